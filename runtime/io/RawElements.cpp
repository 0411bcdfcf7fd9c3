// RawElements.cpp — see RawElements.h.
#include "runtime/io/RawElements.h"

#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/DataFile.h"
#include "runtime/io/PrintableName.h"

#include <cstdint>
#include <cstring>

namespace xdml::runtime {

Tensor tensorFromLittleEndian(ElemType elem, std::vector<int64_t> dims, const std::byte* src) {
    Tensor t = Tensor::uninitialized(elem, std::move(dims));
    const std::size_t n = t.count();
    if (elem == ElemType::Bool) {
        // A bool object holding a byte other than 0 or 1 is undefined behaviour; normalise.
        bool* out = t.data<bool>();
        for (std::size_t i = 0; i < n; ++i) out[i] = src[i] != std::byte{0};
    } else if (n) {
        std::memcpy(t.buffer->data(), src, n * elemSize(elem));
    }
    return t;
}

std::size_t rawBytes(const TypeDesc& tensorType) {
    if (tensorType.kind != TypeDesc::Kind::Tensor) return SIZE_MAX;
    std::size_t count = elemSize(tensorType.elem);
    for (int64_t d : tensorType.dims) {
        if (d < 0 || (d > 0 && count > SIZE_MAX / static_cast<std::size_t>(d))) return SIZE_MAX;
        count *= static_cast<std::size_t>(d);
    }
    return count;
}

Tensor readRawFile(const std::filesystem::path& file, const TypeDesc& tensorType) {
    const std::string where = printableName(file.string());
    const std::size_t bytes = rawBytes(tensorType);
    if (bytes == SIZE_MAX)
        throw DataError(where, "raw files hold the elements of a static shape, but " + describeItemType(tensorType) +
                                   " has a '?' dimension");
    Tensor t = Tensor::uninitialized(tensorType.elem, tensorType.dims);
    readDataFileInto(file, t.buffer->data(), bytes, "raw elements of " + describeItemType(tensorType));
    if (tensorType.elem == ElemType::Bool) {  // every bool exactly 0 or 1, as tensorFromLittleEndian makes them
        auto* b = reinterpret_cast<unsigned char*>(t.buffer->data());
        for (std::size_t i = 0; i < bytes; ++i) b[i] = b[i] != 0;
    }
    return t;
}

Tensor decodeRaw(const std::byte* data, std::size_t n, const TypeDesc& tensorType, const std::string& where) {
    if (tensorType.kind != TypeDesc::Kind::Tensor)
        throw DataError(where, "raw elements need a tensor type, not " + describeItemType(tensorType));
    std::size_t count = 1;
    for (int64_t d : tensorType.dims) {
        if (d < 0)
            throw DataError(where, "raw elements need every dimension known, and " +
                                       describeItemType(tensorType) +
                                       " has a '?'; send an .npy payload instead");
        count *= static_cast<std::size_t>(d);
    }
    const std::size_t expected = count * elemSize(tensorType.elem);
    if (n != expected)
        throw DataError(where, "raw elements of " + describeItemType(tensorType) + " are " +
                                   std::to_string(expected) + " bytes, got " + std::to_string(n));
    return tensorFromLittleEndian(tensorType.elem, tensorType.dims, data);
}

}  // namespace xdml::runtime
