// Tensor.cpp — see Tensor.h.
#include "runtime/values/Tensor.h"

#include "runtime/values/LargeBuffers.h"
#include "runtime/values/SharedBlocks.h"

#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

namespace xdml::runtime {

namespace {

constexpr std::size_t kAlignment = 64;  // a cache line, and wide enough for any vector load
constexpr char kSharedMark = '\x01';     // in `large_`: the buffer is a shared block

}  // namespace

TensorBuffer::TensorBuffer(std::size_t bytes) : TensorBuffer(bytes, Uninitialized{}) {
    std::memset(data_, 0, bytes ? bytes : 1);
}

TensorBuffer::TensorBuffer(std::size_t bytes, Uninitialized) : bytes_(bytes) {
    // A run with Python tasks keeps large tensors in memory its workers can map (SharedBlocks.h);
    // `large_` then holds one byte, which no large buffer's string can be, to say so.
    if (const SharedBlock* block = takeSharedBlock(bytes)) {
        data_ = block->data;
        large_.assign(1, kSharedMark);
        return;
    }
    if (bytes >= kLargeBufferBytes) {
        // Reused from the buffers a stream of large values lets go (LargeBuffers.h), aligned inside.
        large_ = takeLargeBuffer(bytes + kAlignment - 1);
        const auto at = (reinterpret_cast<uintptr_t>(large_.data()) + kAlignment - 1) / kAlignment * kAlignment;
        data_ = reinterpret_cast<std::byte*>(at);
    } else {
        data_ = static_cast<std::byte*>(::operator new(bytes ? bytes : 1, std::align_val_t(kAlignment)));
    }
}

TensorBuffer::~TensorBuffer() {
    if (large_.size() == 1)
        giveBackSharedBlock(data_);
    else if (!large_.empty())
        giveBackLargeBuffer(std::move(large_));
    else
        ::operator delete(data_, std::align_val_t(kAlignment));
}

Tensor Tensor::zeros(ElemType elem, std::vector<int64_t> dims) {
    Tensor t;
    t.elem = elem;
    t.dims = std::move(dims);
    t.buffer = std::make_shared<TensorBuffer>(t.count() * elemSize(elem));
    return t;
}

Tensor Tensor::uninitialized(ElemType elem, std::vector<int64_t> dims) {
    Tensor t;
    t.elem = elem;
    t.dims = std::move(dims);
    t.buffer = std::make_shared<TensorBuffer>(t.count() * elemSize(elem), TensorBuffer::Uninitialized{});
    return t;
}

Tensor Tensor::clone() const {
    if (buffer && buffer->bytes() == count() * elemSize(elem)) {
        Tensor t = uninitialized(elem, dims);  // every byte copied below
        if (buffer->bytes()) std::memcpy(t.buffer->data(), buffer->data(), t.buffer->bytes());
        return t;
    }
    Tensor t = zeros(elem, dims);
    if (buffer && buffer->bytes()) std::memcpy(t.buffer->data(), buffer->data(), t.buffer->bytes());
    return t;
}

std::size_t Tensor::count() const {
    std::size_t n = 1;
    for (int64_t d : dims) n *= static_cast<std::size_t>(d < 0 ? 0 : d);
    return n;
}

double Tensor::at(std::size_t i) const {
    return withElemType(elem, [&](auto v) { return static_cast<double>(data<decltype(v)>()[i]); });
}

Tensor convertTensor(const Tensor& t, ElemType to) {
    if (t.elem == to) return t;
    Tensor out = Tensor::zeros(to, t.dims);
    const std::size_t n = t.count();
    withElemType(t.elem, [&](auto from) {
        using From = decltype(from);
        withElemType(to, [&](auto target) {
            using To = decltype(target);
            const From* src = t.data<From>();
            To* dst = out.data<To>();
            // Integer to integer goes through int64 and wraps (exact for every widening);
            // everything else goes through double.
            constexpr bool integral = std::is_integral_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool>;
            for (std::size_t i = 0; i < n; ++i) {
                if constexpr (integral) dst[i] = static_cast<To>(static_cast<int64_t>(src[i]));
                else dst[i] = convertElement<To>(static_cast<double>(src[i]));
            }
        });
    });
    return out;
}

}  // namespace xdml::runtime
