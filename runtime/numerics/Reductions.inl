// Reductions.inl — the templates of Reductions.h that need more than a line.
#pragma once

#include <cmath>
#include <limits>

namespace xdml::runtime {

inline double LaneSum::total() const {
    double t = lanes_[0];
    for (int i = 1; i < 8; ++i) t += lanes_[i];
    return t;
}

/// Whether `x` replaces `m` as the maximum: it is larger, or the first NaN (which then stays).
inline bool replacesMax(double x, double m) { return !std::isnan(m) && (x > m || std::isnan(x)); }
inline bool replacesMin(double x, double m) { return !std::isnan(m) && (x < m || std::isnan(x)); }

/// max and min keep eight lanes by index mod 8, combined in order, like the sums: the same
/// association as the JIT's vector loop, so the two agree on the sign of a zero and on which
/// NaN comes out.
template <typename T, typename Replaces>
double extremeOf(const T* data, std::size_t n, double start, Replaces replaces) {
    double lanes[8] = {start, start, start, start, start, start, start, start};
    for (std::size_t i = 0; i < n; ++i) {
        const double x = static_cast<double>(data[i]);
        if (replaces(x, lanes[i & 7])) lanes[i & 7] = x;
    }
    double t = lanes[0];
    for (int k = 1; k < 8; ++k)
        if (replaces(lanes[k], t)) t = lanes[k];
    return t;
}

template <typename T>
double maxOf(const T* data, std::size_t n) {
    return extremeOf(data, n, -std::numeric_limits<double>::infinity(), replacesMax);
}

template <typename T>
double minOf(const T* data, std::size_t n) {
    return extremeOf(data, n, std::numeric_limits<double>::infinity(), replacesMin);
}

template <typename T>
int64_t argmaxOf(const T* data, std::size_t n) {
    if (n == 0) return -1;
    std::size_t best = 0;
    for (std::size_t i = 1; i < n; ++i)
        if (data[i] > data[best]) best = i;
    return static_cast<int64_t>(best);
}

}  // namespace xdml::runtime
