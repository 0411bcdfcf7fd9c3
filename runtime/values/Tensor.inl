// Tensor.inl — the element conversion template of Tensor.h.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

namespace xdml::runtime {

template <typename T>
T convertElement(double x) {
    if constexpr (std::is_same_v<T, bool>) {
        return x != 0.0;
    } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(x);
    } else {
        // A plain cast of an out-of-range double is undefined behaviour: saturate instead.
        if (std::isnan(x)) return T(0);
        constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
        constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
        if (x <= lo) return std::numeric_limits<T>::min();
        if (x >= hi) return std::numeric_limits<T>::max();
        return static_cast<T>(x);
    }
}

}  // namespace xdml::runtime
