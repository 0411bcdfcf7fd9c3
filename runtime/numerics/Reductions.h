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

/// Compiled for AVX-512 and AVX2 too, chosen when the program starts (GCC's function
/// multiversioning): the lanes are independent, so vector code adds the same numbers in the
/// same order and gives the same bits; with AVX-512 a u32 frame sums about 2.5x faster.
template <typename T>
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double sumOf(const T* data, std::size_t n) {
    // Eight elements at a time into eight independent lanes: the lanes LaneSum would fill, in the
    // same order, so the same bits, without a dependency from one element to the next.
    double lanes[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t k = 0; k < 8; ++k) lanes[k] += static_cast<double>(data[i + k]);
    for (std::size_t k = 0; i < n; ++i, ++k) lanes[k] += static_cast<double>(data[i]);
    double t = lanes[0];
    for (int k = 1; k < 8; ++k) t += lanes[k];
    return t;
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
