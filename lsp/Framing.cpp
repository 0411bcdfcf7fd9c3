// Framing.cpp — header parsing with recovery: a bad header or body costs one error response,
// never the connection.
#include "lsp/Framing.h"

#include <algorithm>
#include <cctype>

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

}  // namespace

std::optional<Incoming> MessageReader::next() {
    if (resyncing_) {
        std::size_t at = findLengthHeader(buffer_, 0);
        buffer_.erase(0, at == std::string::npos ? buffer_.size() : at);
        if (buffer_.size() < kLengthHeader.size()) return std::nullopt;  // maybe its start: wait
        resyncing_ = false;
    }
    std::size_t headerEnd = buffer_.find(kHeaderEnd);
    if (headerEnd == std::string::npos) {
        if (buffer_.size() <= kMaxHeaderBytes) return std::nullopt;
        std::string bad = excerpt(buffer_);
        buffer_.clear();
        resyncing_ = true;
        return failure(kParseError, "no end of headers (a blank line) in the first " +
                                        std::to_string(kMaxHeaderBytes) + " bytes: '" + bad + "'");
    }
    std::string_view headers(buffer_.data(), headerEnd);
    std::optional<std::size_t> length;
    std::string problem;
    while (!headers.empty() && problem.empty()) {
        std::size_t eol = headers.find("\r\n");
        std::string_view line = headers.substr(0, eol);
        headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            problem = "malformed header line '" + excerpt(line) + "' (expected 'Name: value')";
            break;
        }
        if (!equalsIgnoringCase(trim(line.substr(0, colon)), kLengthHeader)) continue;  // Content-Type etc.
        // A copy: `line` views `buffer_`, which the oversized case below erases.
        std::string value(trim(line.substr(colon + 1)));
        bool digits = !value.empty() && value.size() <= 18 &&
                      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) {
            problem = "invalid Content-Length '" + excerpt(value) + "'";
            break;
        }
        length = std::stoull(value);
        if (*length > kMaxContentLength) {
            buffer_.erase(0, headerEnd + kHeaderEnd.size());
            resyncing_ = true;
            return failure(kInvalidRequest, "Content-Length " + value + " exceeds the limit of " +
                                                std::to_string(kMaxContentLength) + " bytes; message skipped");
        }
    }
    if (problem.empty() && !length) problem = "missing Content-Length header";
    bool tailOfBadBody = afterBadBody_;
    afterBadBody_ = false;
    if (!problem.empty() && tailOfBadBody) {
        // The rest of a body whose Content-Length was too small, already reported: resume at
        // the next message's header after it, without another error.
        std::size_t at = findLengthHeader(std::string_view(buffer_).substr(0, headerEnd), 1);
        if (at != std::string::npos) {
            buffer_.erase(0, at);
            return next();
        }
    }
    if (!problem.empty()) {
        buffer_.erase(0, headerEnd + kHeaderEnd.size());
        return failure(kParseError, problem);
    }
    std::size_t bodyStart = headerEnd + kHeaderEnd.size();
    if (buffer_.size() - bodyStart < *length) return std::nullopt;
    std::string body = buffer_.substr(bodyStart, *length);
    Json message = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) {
        // A Content-Length a few bytes too large takes the start of the next message into this
        // body: resume at a `Content-Length` inside it (or at its end: the start of one). One
        // too small leaves the body's tail before the next header: see `afterBadBody_`.
        buffer_.erase(0, std::min(findLengthHeader(buffer_, bodyStart), bodyStart + *length));
        afterBadBody_ = true;
        return failure(kParseError, "parse error: the body is not valid JSON: '" + excerpt(body) + "'");
    }
    buffer_.erase(0, bodyStart + *length);
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
