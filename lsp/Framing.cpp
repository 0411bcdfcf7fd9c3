// Framing.cpp — header parsing with recovery: a bad header or body costs one error response,
// never the connection; after it the reader skips to the next header block that parses.
#include "lsp/Framing.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace xdml::lsp {

namespace {

constexpr std::string_view kHeaderEnd = "\r\n\r\n";
constexpr std::string_view kLengthHeader = "Content-Length";

Incoming failure(int code, std::string message) {
    Incoming in;
    in.errorCode = code;
    in.error = std::move(message);
    return in;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A short, printable excerpt of bad input for an error message.
std::string excerpt(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 40)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    return s.size() > 40 ? out + "..." : out;
}

/// Where `Content-Length` (any case) starts at or after `from`, or where a tail of `buffer`
/// that may be its beginning starts; npos when neither.
std::size_t findLengthHeader(std::string_view buffer, std::size_t from) {
    for (std::size_t at = from; at < buffer.size(); ++at) {
        std::size_t n = std::min(kLengthHeader.size(), buffer.size() - at);
        if (equalsIgnoringCase(buffer.substr(at, n), kLengthHeader.substr(0, n))) return at;
    }
    return std::string_view::npos;
}

/// What a header block says: the body's length, or why it has none.
struct HeaderBlock {
    std::optional<std::size_t> length;
    int errorCode = 0;
    std::string problem;
};

HeaderBlock readHeaders(std::string_view headers) {
    HeaderBlock block;
    auto fail = [&block](int code, std::string problem) {
        block.errorCode = code;
        block.problem = std::move(problem);
        return block;
    };
    while (!headers.empty()) {
        std::size_t eol = headers.find("\r\n");
        std::string_view line = headers.substr(0, eol);
        headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            return fail(kParseError, "malformed header line '" + excerpt(line) + "' (expected 'Name: value')");
        if (!equalsIgnoringCase(trim(line.substr(0, colon)), kLengthHeader)) continue;  // Content-Type etc.
        std::string_view value = trim(line.substr(colon + 1));
        bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) return fail(kParseError, "invalid Content-Length '" + excerpt(value) + "'");
        // 18 digits always fit; more are over the limit anyway.
        std::size_t length = value.size() <= 18 ? std::stoull(std::string(value)) : SIZE_MAX;
        if (length > MessageReader::kMaxContentLength)
            return fail(kInvalidRequest, "Content-Length " + excerpt(value) + " exceeds the limit of " +
                                             std::to_string(MessageReader::kMaxContentLength) + " bytes; message skipped");
        block.length = length;
    }
    if (!block.length) return fail(kParseError, "missing Content-Length header");
    return block;
}

}  // namespace

bool nestsDeeperThan(std::string_view body, int limit) {
    int depth = 0;
    bool inString = false, escaped = false;
    for (char c : body) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return false;
}

void MessageReader::skip(std::size_t bytes) {
    if (bytes == 0) return;
    if (skippedBytes_ == 0) skippedStart_ = excerpt(std::string_view(buffer_).substr(0, bytes));
    skippedBytes_ += bytes;
    buffer_.erase(0, bytes);
}

void MessageReader::endSkip() {
    if (skippedBytes_ == 0) return;
    skipped_.push_back("skipped " + std::to_string(skippedBytes_) + " bytes after a framing error: '" + skippedStart_ + "'");
    skippedBytes_ = 0;
    skippedStart_.clear();
}

bool MessageReader::resync() {
    for (;;) {
        std::size_t at = findLengthHeader(buffer_, 0);
        skip(at == std::string::npos ? buffer_.size() : at);
        if (buffer_.size() < kLengthHeader.size()) return false;  // maybe its start: wait
        std::size_t end = buffer_.find(kHeaderEnd);
        if (end == std::string::npos && buffer_.size() <= kMaxHeaderBytes) return false;  // wait for the blank line
        // A `Content-Length` in a body's text, or a header block that does not parse: skip it.
        bool parses = end != std::string::npos && end <= kMaxHeaderBytes &&
                      readHeaders(std::string_view(buffer_).substr(0, end)).errorCode != kParseError;
        if (parses) break;
        skip(1);
    }
    endSkip();
    resyncing_ = false;
    return true;
}

Incoming MessageReader::framingError(int code, std::string problem, std::size_t consumed) {
    buffer_.erase(0, consumed);
    resyncing_ = true;
    return failure(code, std::move(problem));
}

std::optional<Incoming> MessageReader::next() {
    if (resyncing_ && !resync()) return std::nullopt;
    std::size_t headerEnd = buffer_.find(kHeaderEnd);
    if (headerEnd == std::string::npos) {
        if (buffer_.size() <= kMaxHeaderBytes) return std::nullopt;
        return framingError(kParseError,
                            "no end of headers (a blank line) in the first " + std::to_string(kMaxHeaderBytes) +
                                " bytes: '" + excerpt(buffer_) + "'",
                            buffer_.size());
    }
    HeaderBlock headers = readHeaders(std::string_view(buffer_).substr(0, headerEnd));
    std::size_t bodyStart = headerEnd + kHeaderEnd.size();
    bool tailOfBadBody = std::exchange(afterBadBody_, false);
    if (!headers.length && tailOfBadBody &&
        findLengthHeader(std::string_view(buffer_).substr(0, headerEnd), 1) != std::string::npos) {
        // The rest of a body whose Content-Length was too small, already reported: skip to
        // the header after it without another error.
        resyncing_ = true;
        return next();
    }
    // The body's length is unknown (or refused): what follows is resynchronized, not read.
    if (!headers.length) return framingError(headers.errorCode, headers.problem, bodyStart);
    std::size_t length = *headers.length;
    if (buffer_.size() - bodyStart < length) return std::nullopt;
    std::string_view body(buffer_.data() + bodyStart, length);
    if (nestsDeeperThan(body, kMaxNesting)) {
        buffer_.erase(0, bodyStart + length);
        return failure(kParseError, "parse error: the body nests arrays and objects deeper than " +
                                        std::to_string(kMaxNesting) + " levels");
    }
    Json message = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) {
        // A Content-Length a few bytes too large takes the start of the next message into this
        // body: resume at a `Content-Length` inside it. One too small leaves the body's tail
        // before the next header.
        // Its length was valid, so what follows is read as headers (see `afterBadBody_`).
        std::string problem = "parse error: the body is not valid JSON: '" + excerpt(body) + "'";
        buffer_.erase(0, std::min(findLengthHeader(buffer_, bodyStart), bodyStart + length));
        afterBadBody_ = true;
        return failure(kParseError, problem);
    }
    buffer_.erase(0, bodyStart + length);
    if (!message.is_object()) return failure(kInvalidRequest, "invalid request: a message must be a JSON object");
    Incoming in;
    in.message = std::move(message);
    return in;
}

std::string frame(const Json& message) {
    std::string body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
    return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace xdml::lsp
