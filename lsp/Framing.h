// Framing.h — JSON-RPC messages over a byte stream, framed by `Content-Length` headers (the LSP
// base protocol): a reader that takes bytes as they come and a writer's framing.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
    /// Arrays and objects nested deeper than this are refused before parsing: the server and
    /// the JSON library recurse once per level.
    static constexpr int kMaxNesting = 512;

    /// Appends bytes read from the stream (any split: partial headers and bodies are fine).
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    /// The next complete message or error; nothing when more bytes are needed.
    std::optional<Incoming> next();
    /// Whether bytes of an incomplete message are waiting.
    bool hasPartial() const { return !buffer_.empty(); }
    /// What resynchronizing skipped since the last call, one line each (the server prints
    /// them on stderr: the client was already answered with one error).
    std::vector<std::string> takeSkipped() { return std::exchange(skipped_, {}); }

private:
    std::string buffer_;
    /// After a framing error the bytes that follow cannot be trusted (a body of unknown
    /// length, the tail of a body whose length was too small): skip to the next header block
    /// that parses.
    bool resyncing_ = false;
    /// The last body was not JSON: if the next headers are bad but hold a `Content-Length`
    /// later on, they are that body's tail (its length was too small): skip to the header.
    /// Other bad headers after it are reported, as anywhere.
    bool afterBadBody_ = false;
    std::size_t skippedBytes_ = 0;
    std::string skippedStart_;
    std::vector<std::string> skipped_;

    /// Drops bytes up to the next header block that parses; false while more bytes are needed.
    bool resync();
    void skip(std::size_t bytes);
    void endSkip();
    /// Reports `problem`, drops `consumed` bytes and resynchronizes after them.
    Incoming framingError(int code, std::string problem, std::size_t consumed);
};

/// Whether `body` nests arrays and objects deeper than `limit` (strings are skipped, so
/// brackets inside them do not count).
bool nestsDeeperThan(std::string_view body, int limit);

/// `Content-Length: N\r\n\r\n{...}`; invalid UTF-8 in strings is replaced, never thrown.
std::string frame(const Json& message);

}  // namespace xdml::lsp
