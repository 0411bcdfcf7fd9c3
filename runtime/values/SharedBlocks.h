// SharedBlocks.h — large tensor memory another process can map: each block a memfd mapped here
// and, by file descriptor, in a Python task's worker (runtime/python/), so a frame reaches
// NumPy without a copy. Off until a run with Python tasks turns it on; then tensors of 1 MiB and
// more are blocks while the budget lasts (a process holds few file descriptors), and ordinary
// memory after. Blocks let go are kept for reuse, as LargeBuffers keeps its spares, so a stream
// of frames cycles through the same few blocks and the workers' mappings of them stay valid.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xdml::runtime {

/// Below this a tensor is never a shared block (copying it costs less than mapping it).
inline constexpr std::size_t kSharedBlockBytes = std::size_t{1} << 20;

struct SharedBlock {
    uint64_t id = 0;  // never reused within the process
    int fd = -1;      // the memfd: what a worker maps
    std::byte* data = nullptr;
    std::size_t size = 0;  // mapped bytes (whole pages)
};

/// From now on, tensors of kSharedBlockBytes and more are shared blocks (while the budget lasts).
void shareLargeTensors();
bool largeTensorsShared();

/// A block of at least `n` bytes, contents unspecified, or null (sharing off, below the size,
/// over the budget, or the system refused).
const SharedBlock* takeSharedBlock(std::size_t n);
/// Lets the block at `data` go (kept as a spare, or unmapped and closed).
void giveBackSharedBlock(std::byte* data);
/// The live block holding `data`, or null; `offset` is data's place in it.
const SharedBlock* sharedBlockHolding(const std::byte* data, std::size_t& offset);
/// Whether block `id` is still mapped here (live or spare): a worker may keep its mapping.
bool sharedBlockExists(uint64_t id);

}  // namespace xdml::runtime
