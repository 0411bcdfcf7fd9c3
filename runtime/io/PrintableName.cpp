// PrintableName.cpp — see PrintableName.h.
#include "runtime/io/PrintableName.h"

#include <cstdint>
#include <cstdio>

namespace xdml::runtime {

namespace {

std::string hexByte(unsigned char c) {
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    return buf;
}

/// The length of the well-formed UTF-8 sequence at `s[i]` (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF) and its code point; 0 when the bytes are not one.
std::size_t utf8At(std::string_view s, std::size_t i, uint32_t& cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > s.size()) return 0;
    cp = c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3f);
    }
    const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/// Code points a terminal acts on or that hide or reorder the text around them.
bool invisibleControl(uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

}  // namespace

std::string printableName(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size();) {
        const unsigned char c = static_cast<unsigned char>(name[i]);
        if (c < 0x80) {
            if (c == '\n') out += "\\n";
            else if (c == '\r') out += "\\r";
            else if (c == '\t') out += "\\t";
            else if (c == '\\') out += "\\\\";
            else if (c < 0x20 || c == 0x7f) out += hexByte(c);
            else out += static_cast<char>(c);
            ++i;
            continue;
        }
        uint32_t cp = 0;
        const std::size_t n = utf8At(name, i, cp);
        if (n == 0) {
            out += hexByte(c);
            ++i;
        } else if (invisibleControl(cp)) {
            char buf[12];
            std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
            out += buf;
            i += n;
        } else {
            out.append(name.substr(i, n));
            i += n;
        }
    }
    return out;
}

}  // namespace xdml::runtime
