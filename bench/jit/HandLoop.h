// HandLoop.h — the hit finder of bench_jit written by hand in C++ (HandLoop.cpp is built with
// -O3 -march=native): the yardstick the JIT's kernel is measured against.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xdml::bench {

/// count((frame - background) > threshold) over n f32 elements.
int64_t handHitCount(const float* frame, const float* background, std::size_t n, float threshold);

}  // namespace xdml::bench
