// Chunks.cpp — see Chunks.h.
#include "runtime/distributed/Chunks.h"

#include "runtime/engine/MessageCodec.h"

#include <algorithm>

namespace xdml::runtime::distributed {

std::vector<std::string> splitIntoChunks(const std::string& message, uint64_t id, std::size_t chunkBytes) {
    chunkBytes = std::max<std::size_t>(chunkBytes, 1);
    const std::size_t count = std::max<std::size_t>(1, (message.size() + chunkBytes - 1) / chunkBytes);
    if (count > UINT32_MAX) throw MessageError("a message of " + std::to_string(message.size()) + " bytes has too many chunks");
    std::vector<std::string> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        MessageWriter w;
        w.pod<uint32_t>(kChunkMark);
        w.pod<uint64_t>(id);
        w.pod<uint32_t>(static_cast<uint32_t>(i));
        w.pod<uint32_t>(static_cast<uint32_t>(count));
        std::string chunk = w.take();
        const std::size_t at = i * chunkBytes;
        chunk.append(message, std::min(at, message.size()), chunkBytes);
        out.push_back(std::move(chunk));
    }
    return out;
}

std::optional<std::string> ChunkJoiner::add(int source, int tag, const std::string& chunk) {
    const std::string what = "a chunk from rank " + std::to_string(source) + " with tag " + std::to_string(tag);
    if (chunk.size() < kChunkHeaderBytes)
        throw MessageError(what + ": " + std::to_string(chunk.size()) + " bytes, shorter than a chunk's header");
    MessageReader r(chunk, what);
    if (r.pod<uint32_t>() != kChunkMark) r.fail("not a chunk of XDML's (a wrong mark)");
    const auto id = r.pod<uint64_t>();
    const auto index = r.pod<uint32_t>();
    const auto count = r.pod<uint32_t>();
    if (count == 0 || index >= count) r.fail("chunk " + std::to_string(index) + " of " + std::to_string(count));
    const auto key = std::make_pair(source, tag);
    auto it = open_.find(key);
    if (it == open_.end()) {
        if (index != 0) r.fail("chunk " + std::to_string(index) + " of message " + std::to_string(id) + " before its first");
        it = open_.emplace(key, Open{id, 0, count, {}}).first;
    } else if (it->second.id != id || it->second.next != index || it->second.count != count) {
        r.fail("chunk " + std::to_string(index) + "/" + std::to_string(count) + " of message " + std::to_string(id) +
               " while chunk " + std::to_string(it->second.next) + "/" + std::to_string(it->second.count) + " of message " +
               std::to_string(it->second.id) + " was due");
    }
    Open& open = it->second;
    open.bytes.append(chunk, kChunkHeaderBytes, std::string::npos);
    if (++open.next < open.count) return std::nullopt;
    std::string whole = std::move(open.bytes);
    open_.erase(it);
    return whole;
}

}  // namespace xdml::runtime::distributed
