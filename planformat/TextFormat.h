// TextFormat.h — the format an interpolation may carry after a colon (LANGUAGE.md §9):
// `"f{i:03}.npy"`, `"{x:.3}"`, `"{x:>8.2}"`, `"{n:,}"`. Read here once, for the checker (which
// refuses a format that does not fit the value's type) and the runtime (which applies it).
//
//     [align][0][width][,][.precision]     align: < left, > right, ^ centre
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xdml::planformat {

struct TextFormat {
    char align = 0;       // '<', '>', '^', or 0: numbers right, everything else left
    bool zero = false;    // pad a number with zeros after its sign (`03`)
    int width = 0;        // at least this many characters
    bool thousands = false;  // `,` between groups of three digits
    int precision = -1;   // digits after the point (a float); -1: the shortest exact form
};

/// `spec` read as a format; nullopt with `problem` saying what is wrong.
std::optional<TextFormat> parseTextFormat(std::string_view spec, std::string& problem);

}  // namespace xdml::planformat
