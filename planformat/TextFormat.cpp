// TextFormat.cpp — see TextFormat.h.
#include "planformat/TextFormat.h"

#include <cctype>

namespace xdml::planformat {

namespace {

/// Digits at `s[i]`, as a number up to `limit` (a format wider than that is surely a typo).
bool readNumber(std::string_view s, std::size_t& i, int& out, int limit) {
    const std::size_t from = i;
    long value = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        value = value * 10 + (s[i++] - '0');
        if (value > limit) return false;
    }
    out = static_cast<int>(value);
    return i > from;
}

}  // namespace

std::optional<TextFormat> parseTextFormat(std::string_view spec, std::string& problem) {
    constexpr int kMaxWidth = 1000, kMaxPrecision = 100;
    TextFormat f;
    std::size_t i = 0;
    if (spec.empty()) {
        problem = "an empty format: write one after the ':' (03, .3, >8, ,) or drop the ':'";
        return std::nullopt;
    }
    if (spec[i] == '<' || spec[i] == '>' || spec[i] == '^') f.align = spec[i++];
    if (i < spec.size() && spec[i] == '0') {
        f.zero = true;
        ++i;
    }
    if (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])) && !readNumber(spec, i, f.width, kMaxWidth)) {
        problem = "a width above " + std::to_string(kMaxWidth);
        return std::nullopt;
    }
    if (i < spec.size() && spec[i] == ',') {
        f.thousands = true;
        ++i;
    }
    if (i < spec.size() && spec[i] == '.') {
        const std::size_t digits = ++i;
        if (!readNumber(spec, i, f.precision, kMaxPrecision)) {
            problem = i > digits ? "a precision above " + std::to_string(kMaxPrecision)
                                 : "'.' must be followed by the number of digits after the point";
            return std::nullopt;
        }
    }
    if (i != spec.size()) {
        problem = "unexpected '" + std::string(spec.substr(i)) +
                  "': a format is [align < > ^][0][width][,][.precision], as in 03, .3, >8.2 or ,";
        return std::nullopt;
    }
    return f;
}

}  // namespace xdml::planformat
