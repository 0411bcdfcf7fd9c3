// PageAdvice.h — fresh memory for a large value or message, made ready in one go. On this
// project's test machines (virtual machines) a first touch of each 4 KiB page costs tens of
// microseconds, which bounded a 16 MB value's move between ranks to ~70 MB/s; asking for
// transparent huge pages and populating the range with one call each makes it a few
// milliseconds (bench/distributed, figure 3). Advice only: a kernel that refuses it loses nothing.
#pragma once

#include <cstddef>

namespace xdml::runtime {

/// Below this a buffer is left to the ordinary page faults.
inline constexpr std::size_t kLargeBufferBytes = std::size_t{256} << 10;

/// Asks for huge pages over [p, p + n) (its whole 2 MiB pages) and populates it for writing,
/// when n is large; call it before the buffer is first written.
void prepareLargeBuffer(void* p, std::size_t n);

}  // namespace xdml::runtime
