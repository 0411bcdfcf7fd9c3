// MessageCodec.h — the byte layout of the executor's messages (TaskMessages, EffectMessages):
// little-endian scalars, length-prefixed strings, values by the value codec. The reader checks
// every length against what is left, so malformed bytes are a MessageError, never a crash.
#pragma once

#include "runtime/io/DataError.h"
#include "runtime/io/ValueCodec.h"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::runtime {

/// Bytes that are not a well-formed message of the kind expected.
class MessageError : public std::runtime_error {
public:
    explicit MessageError(const std::string& problem) : std::runtime_error("malformed executor message: " + problem) {}
};

class MessageWriter {
public:
    MessageWriter() = default;
    /// Writes into `reuse`'s storage (emptied first): a caller that encodes often hands its
    /// buffer back and forth with take() and allocates once.
    explicit MessageWriter(std::string&& reuse) : out_(std::move(reuse)) { out_.clear(); }

    template <typename T>
    void pod(T v) {
        char raw[sizeof(T)];
        std::memcpy(raw, &v, sizeof(T));
        out_.append(raw, sizeof(T));
    }
    void flag(bool b) { pod<uint8_t>(b ? 1 : 0); }
    void text(std::string_view s) {
        pod<uint64_t>(s.size());
        out_ += s;
    }
    /// A length-prefixed part that `write` appends in place: a large value is written once,
    /// not encoded apart and copied in.
    template <typename Write>
    void part(Write&& write) {
        const std::size_t at = out_.size();
        pod<uint64_t>(0);
        write(*this);
        const uint64_t n = out_.size() - at - sizeof(uint64_t);
        std::memcpy(out_.data() + at, &n, sizeof n);
    }
    void value(const Value& v) {
        part([&](MessageWriter& w) { encodeValueInto(w.out_, v); });
    }
    void ids(const std::vector<int64_t>& ids) {
        pod<uint64_t>(ids.size());
        for (int64_t id : ids) pod(id);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class MessageReader {
public:
    /// `what`: the kind of message, for the error. `bytes` must outlive the reader.
    MessageReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

    template <typename T>
    T pod() {
        need(sizeof(T), "a number");
        T v;
        std::memcpy(&v, bytes_.data() + at_, sizeof(T));
        at_ += sizeof(T);
        return v;
    }
    bool flag() {
        const auto b = pod<uint8_t>();
        if (b > 1) fail("a flag byte of " + std::to_string(b));
        return b == 1;
    }
    std::string text() { return std::string(textView()); }
    /// The next length-prefixed part, in place (valid while the message's bytes are).
    std::string_view textView() {
        const auto n = pod<uint64_t>();
        need(n, "a string of " + std::to_string(n) + " bytes");
        std::string_view s = bytes_.substr(at_, n);
        at_ += n;
        return s;
    }
    Value value() {
        const std::string_view raw = textView();
        try {
            return decodeValue(reinterpret_cast<const std::byte*>(raw.data()), raw.size(), "");
        } catch (const DataError& e) {
            fail("a value that does not decode (" + e.problem() + ")");
        }
    }
    std::vector<int64_t> ids() {
        const auto n = count(sizeof(int64_t));
        std::vector<int64_t> out(n);
        for (auto& id : out) id = pod<int64_t>();
        return out;
    }
    /// A count of items of at least `itemBytes` each, checked against the bytes left.
    uint64_t count(std::size_t itemBytes) {
        const auto n = pod<uint64_t>();
        if (itemBytes && n > (bytes_.size() - at_) / itemBytes) fail("a count of " + std::to_string(n) + " items");
        return n;
    }
    /// The message must end here.
    void end() {
        if (at_ != bytes_.size()) fail(std::to_string(bytes_.size() - at_) + " bytes after its end");
    }
    [[noreturn]] void fail(const std::string& problem) const {
        throw MessageError(what_ + ": " + problem + " at byte " + std::to_string(at_));
    }

private:
    void need(uint64_t n, const std::string& what) const {
        if (bytes_.size() - at_ < n) fail("truncated: " + what + " needs " + std::to_string(n) + " bytes");
    }

    std::string_view bytes_;
    std::string what_;
    std::size_t at_ = 0;
};

}  // namespace xdml::runtime
