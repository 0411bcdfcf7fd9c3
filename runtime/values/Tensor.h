// Tensor.h — the run-time dense array: an element type, dims, and a contiguous row-major buffer
// shared between copies, so passing a tensor around never copies its elements.
#pragma once

#include "planformat/PlanVocabulary.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xdml::runtime {

/// The element types of LANGUAGE.md §2, in promotion order: the plan's list
/// (planformat/PlanVocabulary.h), with their spellings and sizes, shared with the compiler.
using ElemType = planformat::ElemType;
using planformat::elemSize;
using planformat::isFloatElem;
using planformat::parseElemType;
using planformat::spelling;

/// Calls f with a value of the C++ type that stores elements of `e` (bool for Bool), so one
/// generic lambda handles every element type.
template <typename F>
decltype(auto) withElemType(ElemType e, F&& f) {
    switch (e) {
    case ElemType::Bool: return f(bool{});
    case ElemType::U8: return f(uint8_t{});
    case ElemType::U16: return f(uint16_t{});
    case ElemType::U32: return f(uint32_t{});
    case ElemType::I16: return f(int16_t{});
    case ElemType::I32: return f(int32_t{});
    case ElemType::I64: return f(int64_t{});
    case ElemType::F32: return f(float{});
    case ElemType::F64: break;
    }
    return f(double{});
}

/// Zero-initialised storage aligned for vector loads (the JIT will read the same buffers).
class TensorBuffer {
public:
    explicit TensorBuffer(std::size_t bytes);
    /// Storage whose every byte the caller writes before anyone reads it (a decoder's output).
    struct Uninitialized {};
    TensorBuffer(std::size_t bytes, Uninitialized);
    ~TensorBuffer();
    TensorBuffer(const TensorBuffer&) = delete;
    TensorBuffer& operator=(const TensorBuffer&) = delete;

    std::byte* data() { return data_; }
    const std::byte* data() const { return data_; }
    std::size_t bytes() const { return bytes_; }

private:
    std::string large_;  // a large buffer's memory (LargeBuffers.h), given back when it goes; else empty
    std::byte* data_;
    std::size_t bytes_;
};

/// A tensor value. Treat the buffer as immutable once the tensor is inside a Value: operations
/// make new tensors, so sharing a buffer between copies is safe.
struct Tensor {
    ElemType elem = ElemType::F32;
    std::vector<int64_t> dims;
    std::shared_ptr<TensorBuffer> buffer;

    /// A new zero-filled tensor.
    static Tensor zeros(ElemType elem, std::vector<int64_t> dims);
    /// A new tensor whose every element the caller writes before the tensor is used (a
    /// decoder filling it from a file or a message): no time spent zeroing large frames.
    static Tensor uninitialized(ElemType elem, std::vector<int64_t> dims);
    /// A copy with a buffer of its own, to fill or modify.
    Tensor clone() const;

    std::size_t count() const;
    template <typename T>
    T* data() { return reinterpret_cast<T*>(buffer->data()); }
    template <typename T>
    const T* data() const { return reinterpret_cast<const T*>(buffer->data()); }
    /// Element i widened to double (bools are 0 and 1).
    double at(std::size_t i) const;
};

/// The same elements converted to another element type: integer to integer wraps as C++20
/// casts do; float to integer truncates toward zero and saturates (NaN becomes 0); anything to
/// bool is "not zero".
Tensor convertTensor(const Tensor& t, ElemType to);

/// Converts one double to an element type with the rules of convertTensor.
template <typename T>
T convertElement(double x);

}  // namespace xdml::runtime

#include "runtime/values/Tensor.inl"
