// Chunks.h — how one message of the distributed run crosses MPI: split into chunks of at most
// a chunk size (4 MiB by default: large values do not need one huge MPI message, whose count
// is an int, and small messages are not stuck behind a 256 MB one for long), each with a
// header naming the message and its place, and joined again on the receiving rank.
// Malformed chunks (short, a wrong mark, out of order, a count that changes) are a
// MessageError, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xdml::runtime::distributed {

inline constexpr std::size_t kDefaultChunkBytes = std::size_t{4} << 20;
inline constexpr uint32_t kChunkMark = 0x43444D58;  // "XMDC"
inline constexpr std::size_t kChunkHeaderBytes = 4 + 8 + 4 + 4;

/// The chunks of `message` (the `id`-th message from this rank), each at most
/// `chunkBytes` of content after its header; at least one, even for an empty message.
std::vector<std::string> splitIntoChunks(const std::string& message, uint64_t id, std::size_t chunkBytes);

/// Joins the chunks arriving from each rank with each tag (chunks of one message arrive in
/// order: MPI does not reorder messages between two ranks with one tag).
class ChunkJoiner {
public:
    /// The whole message once its last chunk arrives; nothing while parts are missing.
    /// Throws MessageError for a malformed chunk.
    std::optional<std::string> add(int source, int tag, const std::string& chunk);
    /// Messages begun and not finished (for a clean stop).
    std::size_t partial() const { return open_.size(); }

private:
    struct Open {
        uint64_t id;
        uint32_t next, count;
        std::string bytes;
    };
    std::map<std::pair<int, int>, Open> open_;
};

}  // namespace xdml::runtime::distributed
