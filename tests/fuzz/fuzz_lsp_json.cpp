// fuzz_lsp_json.cpp — libFuzzer target: the body of a language server message, as the reader
// parses it (lsp/Framing.h: nlohmann's parser, without exceptions) and the server answers
// (frame). The input is the body; the target frames it with its right Content-Length, so every
// input reaches the JSON parser. A message that is read must frame and read back the same.
#include "lsp/Framing.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace xdml::lsp;

namespace {

/// Whether every string in the message is valid UTF-8 (frame() replaces what is not).
bool validUtf8Strings(const Json& message) {
    try {
        (void)message.dump();
        return true;
    } catch (const Json::type_error&) {
        return false;
    }
}

}  // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string body(reinterpret_cast<const char*>(data), size);
    MessageReader reader;
    reader.feed("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    auto incoming = reader.next();
    if (!incoming) __builtin_trap();  // the whole message was there: it is a message or an error
    if (!incoming->message) return 0;
    MessageReader echo;
    echo.feed(frame(*incoming->message));
    auto back = echo.next();
    if (!back || !back->message) __builtin_trap();
    // A body with invalid UTF-8 in a string is framed with U+FFFD in its place; otherwise the same.
    if (validUtf8Strings(*incoming->message) && *back->message != *incoming->message) __builtin_trap();
    return 0;
}
