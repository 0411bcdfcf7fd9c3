// HandLoop.cpp — see HandLoop.h. Plain C++, left to the compiler's vectorizer at -O3.
#include "HandLoop.h"

namespace xdml::bench {

int64_t handHitCount(const float* frame, const float* background, std::size_t n, float threshold) {
    int64_t count = 0;
    for (std::size_t i = 0; i < n; ++i) count += (frame[i] - background[i]) > threshold;
    return count;
}

}  // namespace xdml::bench
