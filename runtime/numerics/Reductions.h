// Reductions.h — `sum`, `mean`, `max`, `min`, `count`, `argmax` over tensor elements with the
// fixed association LANGUAGE.md §6 prescribes: floats accumulate in f64 in eight partial sums
// by index mod 8, combined in order, so the interpreter and the JIT agree to the bit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xdml::runtime {

/// The eight-lane f64 accumulator. Feed elements in index order; `total()` combines
/// ((((((p0 + p1) + p2) + p3) + p4) + p5) + p6) + p7.
class LaneSum {
public:
    void add(double x) {
        lanes_[next_] += x;
        next_ = (next_ + 1) & 7;
    }
    double total() const;

private:
    double lanes_[8] = {};
    unsigned next_ = 0;
};

template <typename T>
double sumOf(const T* data, std::size_t n) {
    LaneSum s;
    for (std::size_t i = 0; i < n; ++i) s.add(static_cast<double>(data[i]));
    return s.total();
}

template <typename T>
double meanOf(const T* data, std::size_t n) {
    return n == 0 ? 0.0 : sumOf(data, n) / static_cast<double>(n);
}

/// max and min of no elements are -inf and +inf; a NaN element makes the result NaN (the
/// first NaN of the first lane that has one).
template <typename T>
double maxOf(const T* data, std::size_t n);
template <typename T>
double minOf(const T* data, std::size_t n);

/// Elements that are not zero (for bool tensors: that are true).
template <typename T>
int64_t countOf(const T* data, std::size_t n) {
    int64_t c = 0;
    for (std::size_t i = 0; i < n; ++i) c += data[i] != T(0);
    return c;
}

/// The index of the first largest element; -1 for no elements.
template <typename T>
int64_t argmaxOf(const T* data, std::size_t n);

}  // namespace xdml::runtime

#include "runtime/numerics/Reductions.inl"
