// TextPositions.h — LSP positions (0-based line, character in the negotiated encoding: UTF-16
// code units unless the client offers better) to and from the compiler's byte offsets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::lsp {

enum class PositionEncoding { Utf8, Utf16, Utf32 };

/// "utf-8", "utf-16", "utf-32"; false for anything else.
bool parseEncoding(std::string_view name, PositionEncoding& out);
const char* encodingName(PositionEncoding e);

struct Position {
    uint32_t line = 0;
    uint32_t character = 0;
    bool operator==(const Position&) const = default;
};

/// The line starts of one text, for converting many positions. Lines end at '\n' as in the
/// compiler's SourceManager (a '\r' before it belongs to the line break).
class LineTable {
public:
    explicit LineTable(std::string_view text);

    /// The position of byte `offset` (clamped to the text; inside a character: its start).
    Position position(uint32_t offset, PositionEncoding encoding) const;
    /// The byte offset of `pos`. A character past the line's end means the line's end, a line
    /// past the last the text's end (the LSP's rule); half a surrogate pair rounds down.
    uint32_t offset(Position pos, PositionEncoding encoding) const;
    std::size_t lineCount() const { return starts_.size(); }

private:
    std::string_view text_;
    std::vector<uint32_t> starts_;
    uint32_t lineEnd(uint32_t line) const;
};

}  // namespace xdml::lsp
