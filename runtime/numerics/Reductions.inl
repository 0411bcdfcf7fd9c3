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

template <typename T>
double maxOf(const T* data, std::size_t n) {
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        double x = static_cast<double>(data[i]);
        if (std::isnan(x)) return x;
        if (x > m) m = x;
    }
    return m;
}

template <typename T>
double minOf(const T* data, std::size_t n) {
    double m = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        double x = static_cast<double>(data[i]);
        if (std::isnan(x)) return x;
        if (x < m) m = x;
    }
    return m;
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
