// Chunks.h — how one message of the distributed run crosses MPI: in chunks of at most a chunk
// size (4 MiB by default: large values do not need one huge MPI message, whose count is an
// int, and small messages are not stuck behind a 256 MB one for long). The first chunk has a
// header naming the message, its chunk count, its length and the size of the chunks after
// it; a small message is all in it (copied), a large one has only its short head there and
// its body follows in chunks of those bytes alone, sent from where the body was written and
// received straight into the joined message (MPI keeps the order of one rank's messages with
// one tag), so a large value is not copied on either side. Malformed chunks (short, a wrong
// mark, a count that does not fit the length, a chunk of another size than the one due) are
// a MessageError, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdml::runtime::distributed {

inline constexpr std::size_t kDefaultChunkBytes = std::size_t{4} << 20;
inline constexpr uint32_t kChunkMark = 0x43444D58;  // "XMDC"
// mark, message id, chunk count, length, the size of the chunks after the first
inline constexpr std::size_t kChunkHeaderBytes = 4 + 8 + 4 + 8 + 8;
inline constexpr std::size_t kMinChunkBytes = 64;
/// A message up to this long crosses whole in its first chunk; a longer one's body follows.
inline constexpr std::size_t kWholeMessageBytes = std::size_t{64} << 10;

/// One message in chunks: the first (its header, and the message when it is small) and the
/// others as views into the message's body, to be sent from there (the body must outlive the
/// sends).
struct ChunkedMessage {
    std::string first;
    std::vector<std::string_view> rest;
};

/// The chunks of the message `head` + `body` (the `id`-th message from this rank): one when it
/// is at most kWholeMessageBytes, else the head and then the body in chunks of `chunkBytes`
/// (at least kMinChunkBytes).
ChunkedMessage splitIntoChunks(std::string_view head, std::string_view body, uint64_t id, std::size_t chunkBytes);

/// Joins the chunks arriving from each rank with each tag.
class ChunkJoiner {
public:
    /// Where a chunk of `size` bytes from `source` with `tag` is to be received: inside the
    /// message it continues, or nullptr when it starts a message (then give it to start()).
    /// Throws MessageError when its size is not the one due.
    char* continuation(int source, int tag, std::size_t size);
    /// After a continuation was received where continuation() said: the whole message once
    /// its last chunk is in.
    std::optional<std::string> received(int source, int tag, std::size_t size);
    /// A chunk that starts a message: the whole message when it is its only chunk.
    std::optional<std::string> start(int source, int tag, std::string_view chunk);
    /// Either kind of chunk, copied into place (for callers that received it elsewhere).
    std::optional<std::string> add(int source, int tag, std::string_view chunk);
    /// Messages begun and not finished (for a clean stop).
    std::size_t partial() const { return open_.size(); }

private:
    struct Open {
        uint64_t id;
        uint32_t next, count;
        std::size_t chunkBytes, filled;
        std::string bytes;
    };
    std::map<std::pair<int, int>, Open> open_;
};

}  // namespace xdml::runtime::distributed
