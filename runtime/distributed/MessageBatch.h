// MessageBatch.h — several small messages for one rank that queued up together, sent as one
// MPI message (tag Batch) and taken apart on arrival in their order: under load a call's
// submits, attempts, outcomes and statuses share MPI's per-message cost. The body: a u32
// count, then per message its u8 tag and its bytes (u64 length). A malformed batch (a nested
// batch, an unknown tag, a short or long body) is a MessageError.
#pragma once

#include "runtime/distributed/Wire.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace xdml::runtime::distributed {

/// Messages up to this size may join a batch; larger ones go on their own (and in chunks).
inline constexpr std::size_t kBatchableBytes = std::size_t{64} << 10;
/// A batch is sent once it holds this many bytes.
inline constexpr std::size_t kBatchBytes = std::size_t{256} << 10;

class MessageBatch {
public:
    void add(Tag tag, std::string bytes);
    std::size_t size() const { return parts_.size(); }
    std::size_t bytes() const { return bytes_; }
    Tag onlyTag() const { return parts_.front().first; }
    const std::string& onlyBytes() const { return parts_.front().second; }
    std::string encode() const;
    /// The messages of a batch from rank `source`, in order.
    static std::vector<std::pair<Tag, std::string>> decode(const std::string& body, int source);

private:
    std::vector<std::pair<Tag, std::string>> parts_;
    std::size_t bytes_ = 0;
};

}  // namespace xdml::runtime::distributed
