// Chunks.cpp — see Chunks.h.
#include "runtime/distributed/Chunks.h"

#include "runtime/engine/MessageCodec.h"
#include "runtime/values/LargeBuffers.h"

#include <algorithm>
#include <cstring>

namespace xdml::runtime::distributed {

namespace {

std::string describe(int source, int tag) {
    return "a chunk from rank " + std::to_string(source) + " with tag " + std::to_string(tag);
}

}  // namespace

ChunkedMessage splitIntoChunks(std::string_view head, std::string_view body, uint64_t id, std::size_t chunkBytes) {
    chunkBytes = std::max(chunkBytes, kMinChunkBytes);
    const std::size_t total = head.size() + body.size();
    const bool whole = total <= kWholeMessageBytes;
    const std::size_t count = whole ? 1 : 1 + (body.size() + chunkBytes - 1) / chunkBytes;
    if (count > UINT32_MAX) throw MessageError("a message of " + std::to_string(total) + " bytes has too many chunks");
    MessageWriter w;
    w.pod<uint32_t>(kChunkMark);
    w.pod<uint64_t>(id);
    w.pod<uint32_t>(static_cast<uint32_t>(count));
    w.pod<uint64_t>(total);
    w.pod<uint64_t>(chunkBytes);
    ChunkedMessage out;
    out.first = w.take();
    out.first.append(head);
    if (whole) {
        out.first.append(body);
        return out;
    }
    out.rest.reserve(count - 1);
    for (std::size_t at = 0; at < body.size(); at += chunkBytes) out.rest.push_back(body.substr(at, chunkBytes));
    return out;
}

char* ChunkJoiner::continuation(int source, int tag, std::size_t size) {
    auto it = open_.find({source, tag});
    if (it == open_.end()) return nullptr;
    Open& open = it->second;
    const std::size_t due = std::min(open.chunkBytes, open.bytes.size() - open.filled);
    if (size != due)
        throw MessageError(describe(source, tag) + ": " + std::to_string(size) + " bytes where chunk " + std::to_string(open.next) +
                           "/" + std::to_string(open.count) + " of message " + std::to_string(open.id) + " (" +
                           std::to_string(due) + " bytes) was due");
    return open.bytes.data() + open.filled;
}

std::optional<std::string> ChunkJoiner::received(int source, int tag, std::size_t size) {
    auto it = open_.find({source, tag});
    Open& open = it->second;
    open.filled += size;
    if (++open.next < open.count) return std::nullopt;
    std::string whole = std::move(open.bytes);
    open_.erase(it);
    return whole;
}

std::optional<std::string> ChunkJoiner::start(int source, int tag, std::string_view chunk) {
    const std::string what = describe(source, tag);
    if (chunk.size() < kChunkHeaderBytes)
        throw MessageError(what + ": " + std::to_string(chunk.size()) + " bytes, shorter than a chunk's header");
    MessageReader r(chunk, what);
    if (r.pod<uint32_t>() != kChunkMark) r.fail("not a chunk of XDML's (a wrong mark)");
    const auto id = r.pod<uint64_t>();
    const auto count = r.pod<uint32_t>();
    const auto total = r.pod<uint64_t>();
    const auto chunkBytes = r.pod<uint64_t>();
    const std::size_t content = chunk.size() - kChunkHeaderBytes;
    // The rest of the message follows in chunks of chunkBytes (the last shorter).
    const uint64_t rest = total >= content ? total - content : 0;
    const bool fits = total >= content && (count == 1 ? rest == 0
                                                      : chunkBytes > 0 && rest > 0 && (rest + chunkBytes - 1) / chunkBytes == count - 1);
    if (count == 0 || !fits)
        r.fail("message " + std::to_string(id) + " of " + std::to_string(total) + " bytes in " + std::to_string(count) +
               " chunks, the first of " + std::to_string(content) + ", the others of " + std::to_string(chunkBytes));
    if (count == 1) return std::string(chunk.substr(kChunkHeaderBytes));
    std::string bytes = takeLargeBuffer(total);
    std::memcpy(bytes.data(), chunk.data() + kChunkHeaderBytes, content);
    open_[{source, tag}] = Open{id, 1, count, static_cast<std::size_t>(chunkBytes), content, std::move(bytes)};
    return std::nullopt;
}

std::optional<std::string> ChunkJoiner::add(int source, int tag, std::string_view chunk) {
    char* place = continuation(source, tag, chunk.size());
    if (!place) return start(source, tag, chunk);
    std::memcpy(place, chunk.data(), chunk.size());
    return received(source, tag, chunk.size());
}

}  // namespace xdml::runtime::distributed
