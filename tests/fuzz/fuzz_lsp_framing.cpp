// fuzz_lsp_framing.cpp — libFuzzer target: the language server's message reader (lsp/Framing.h)
// on an arbitrary byte stream, fed in pieces as reads from a pipe would split it. Every input
// must give messages or errors (which the server answers), never a crash, and the reader must
// use up what it is given: after a last `next()` that returns nothing, only an incomplete
// message may be left.
#include "lsp/Framing.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace xdml::lsp;

namespace {

/// Takes every message and error the reader has; each message is framed again as a reply would be.
void drain(MessageReader& reader) {
    while (auto incoming = reader.next())
        if (incoming->message) (void)frame(*incoming->message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte chooses the size of the pieces (1 to 64 bytes; 0: the whole stream at once).
    const std::size_t piece = data[0] % 65 == 0 ? size : data[0] % 65;
    std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
    MessageReader reader;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
        reader.feed(stream.substr(at, std::min(piece, stream.size() - at)));
        drain(reader);
    }
    return 0;
}
