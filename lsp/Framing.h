// Framing.h — JSON-RPC messages over a byte stream, framed by `Content-Length` headers (the LSP
// base protocol): a reader that takes bytes as they come and a writer's framing.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace xdml::lsp {

using Json = nlohmann::json;

/// JSON-RPC error codes (the LSP specification's list).
enum ErrorCode : int {
    kParseError = -32700,
    kInvalidRequest = -32600,
    kMethodNotFound = -32601,
    kInvalidParams = -32602,
    kInternalError = -32603,
    kServerNotInitialized = -32002,
    kRequestFailed = -32803,
};

/// What the reader made of the next framed message: a JSON object, or why there is none
/// (the server answers those with an error response whose id is null).
struct Incoming {
    std::optional<Json> message;
    int errorCode = 0;
    std::string error;
};

class MessageReader {
public:
    /// A body larger than this is refused: an editor never sends one, a broken client might.
    static constexpr std::size_t kMaxContentLength = std::size_t(64) << 20;
    /// Headers longer than this without their blank line are not headers.
    static constexpr std::size_t kMaxHeaderBytes = 8192;

    /// Appends bytes read from the stream (any split: partial headers and bodies are fine).
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    /// The next complete message or error; nothing when more bytes are needed.
    std::optional<Incoming> next();
    /// Whether bytes of an incomplete message are waiting.
    bool hasPartial() const { return !buffer_.empty(); }

private:
    std::string buffer_;
    /// After a refused length the body cannot be trusted: skip to the next `Content-Length`.
    bool resyncing_ = false;
    /// The last body was not JSON: if the next headers are bad but hold a `Content-Length`
    /// later on, they are that body's tail (its length was too small): skip to the header.
    bool afterBadBody_ = false;
};

/// `Content-Length: N\r\n\r\n{...}`; invalid UTF-8 in strings is replaced, never thrown.
std::string frame(const Json& message);

}  // namespace xdml::lsp
