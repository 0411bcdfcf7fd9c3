// MessageBatch.cpp — see MessageBatch.h.
#include "runtime/distributed/MessageBatch.h"

#include "runtime/engine/MessageCodec.h"

namespace xdml::runtime::distributed {

void MessageBatch::add(Tag tag, std::string bytes) {
    bytes_ += bytes.size() + 9;
    parts_.emplace_back(tag, std::move(bytes));
}

std::string MessageBatch::encode() const {
    MessageWriter w;
    w.pod<uint32_t>(static_cast<uint32_t>(parts_.size()));
    for (const auto& [tag, bytes] : parts_) {
        w.pod<uint8_t>(static_cast<uint8_t>(tag));
        w.text(bytes);
    }
    return w.take();
}

std::vector<std::pair<Tag, std::string>> MessageBatch::decode(const std::string& body, int source) {
    MessageReader r(body, "a batch from rank " + std::to_string(source));
    const auto count = r.pod<uint32_t>();
    if (count > body.size() / 9) r.fail("a count of " + std::to_string(count) + " messages");
    std::vector<std::pair<Tag, std::string>> out;
    out.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        const int tag = r.pod<uint8_t>();
        if (tag < kFirstTag || tag > kLastTag || tag == static_cast<int>(Tag::Batch))
            r.fail("message " + std::to_string(i) + " with the tag " + std::to_string(tag));
        out.emplace_back(static_cast<Tag>(tag), r.text());
    }
    r.end();
    return out;
}

}  // namespace xdml::runtime::distributed
