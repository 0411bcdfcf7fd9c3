// LargeBuffers.h — the memory of large values and messages (256 KiB and up): made ready in one
// go when fresh, and kept for reuse when let go. On this project's test machines (virtual
// machines) a first touch of each 4 KiB page costs tens of microseconds, which bounded a 16 MB
// value's move between ranks to ~70 MB/s; asking for transparent huge pages and populating the
// range with one call each makes it a few milliseconds. Even so, the kernel zeroes every fresh
// page, and glibc maps every allocation above 32 MiB afresh and unmaps it when freed: half of a
// 64 MB move's time went to zeroing pages. A stream of large values reuses the same few
// buffers instead (bench/distributed, figure 3). Advice to the kernel only: one that refuses
// it loses nothing.
#pragma once

#include <cstddef>
#include <string>

namespace xdml::runtime {

/// Below this a buffer is left to the ordinary allocator and page faults.
inline constexpr std::size_t kLargeBufferBytes = std::size_t{256} << 10;

/// Asks for huge pages over [p, p + n) (its whole 2 MiB pages) and populates it for writing,
/// when n is large; call it before the buffer is first written.
void prepareLargeBuffer(void* p, std::size_t n);

/// A string of size `n`, contents unspecified: a spare whose capacity fits when there is one,
/// else fresh memory made ready by prepareLargeBuffer. Below kLargeBufferBytes, a plain string.
std::string takeLargeBuffer(std::size_t n);

/// Keeps a large string's memory as a spare for takeLargeBuffer while the spares stay within
/// their bound (the oldest go first); small ones are simply freed. Leaves `s` empty.
void giveBackLargeBuffer(std::string&& s);

/// The bytes held as spares now (for tests and the run's statistics).
std::size_t spareLargeBufferBytes();

}  // namespace xdml::runtime
