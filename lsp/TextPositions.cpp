// TextPositions.cpp — counting code units over UTF-8: 1 byte or 3-byte sequences are one UTF-16
// unit, 4-byte ones (outside the BMP) are two; malformed bytes count one unit each.
#include "lsp/TextPositions.h"

#include <algorithm>

namespace xdml::lsp {

bool parseEncoding(std::string_view name, PositionEncoding& out) {
    if (name == "utf-8") out = PositionEncoding::Utf8;
    else if (name == "utf-16") out = PositionEncoding::Utf16;
    else if (name == "utf-32") out = PositionEncoding::Utf32;
    else return false;
    return true;
}

const char* encodingName(PositionEncoding e) {
    switch (e) {
    case PositionEncoding::Utf8: return "utf-8";
    case PositionEncoding::Utf16: return "utf-16";
    case PositionEncoding::Utf32: return "utf-32";
    }
    return "utf-16";
}

namespace {

/// The byte length of the UTF-8 sequence starting with `lead` (1 for a stray byte).
uint32_t sequenceLength(unsigned char lead) {
    if (lead >= 0xF0 && lead <= 0xF7) return 4;
    if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
    if (lead >= 0xC0) return 2;
    return 1;
}

/// How many code units the character of `bytes` UTF-8 bytes takes.
uint32_t units(uint32_t bytes, PositionEncoding encoding) {
    switch (encoding) {
    case PositionEncoding::Utf8: return bytes;
    case PositionEncoding::Utf16: return bytes == 4 ? 2 : 1;
    case PositionEncoding::Utf32: return 1;
    }
    return 1;
}

}  // namespace

LineTable::LineTable(std::string_view text) : text_(text), starts_{0} {
    for (uint32_t i = 0; i < text.size(); ++i)
        if (text[i] == '\n') starts_.push_back(i + 1);
}

uint32_t LineTable::lineEnd(uint32_t line) const {
    uint32_t end = line + 1 < starts_.size() ? starts_[line + 1] - 1 : static_cast<uint32_t>(text_.size());
    if (end > starts_[line] && text_[end - 1] == '\r' && line + 1 < starts_.size()) --end;
    return end;
}

Position LineTable::position(uint32_t offset, PositionEncoding encoding) const {
    offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    auto line = static_cast<uint32_t>(it - starts_.begin() - 1);
    uint32_t character = 0;
    for (uint32_t i = starts_[line]; i < offset;) {
        uint32_t len = std::min<uint32_t>(sequenceLength(static_cast<unsigned char>(text_[i])),
                                          static_cast<uint32_t>(text_.size()) - i);
        if (i + len > offset) break;  // inside a character: its start
        character += units(len, encoding);
        i += len;
    }
    return {line, character};
}

uint32_t LineTable::offset(Position pos, PositionEncoding encoding) const {
    if (pos.line >= starts_.size()) return static_cast<uint32_t>(text_.size());
    uint32_t i = starts_[pos.line], end = lineEnd(pos.line), counted = 0;
    while (i < end && counted < pos.character) {
        uint32_t len = std::min(sequenceLength(static_cast<unsigned char>(text_[i])), end - i);
        uint32_t n = units(len, encoding);
        if (counted + n > pos.character) break;
        counted += n;
        i += len;
    }
    return i;
}

}  // namespace xdml::lsp
