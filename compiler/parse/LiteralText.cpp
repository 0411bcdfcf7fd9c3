// LiteralText.cpp — see LiteralText.h.
#include "parse/LiteralText.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace xdml::parse {

namespace {

using planformat::QuantityKind;

struct Unit {
    const char* name;
    QuantityKind kind;
    double scale;  // to seconds, bytes, or bytes per second
};
constexpr Unit kUnits[] = {
    {"ns", QuantityKind::Duration, 1e-9}, {"us", QuantityKind::Duration, 1e-6},
    {"ms", QuantityKind::Duration, 1e-3}, {"s", QuantityKind::Duration, 1},
    {"min", QuantityKind::Duration, 60}, {"h", QuantityKind::Duration, 3600},
    {"d", QuantityKind::Duration, 86400},
    {"B", QuantityKind::Bytes, 1}, {"KB", QuantityKind::Bytes, 1e3},
    {"MB", QuantityKind::Bytes, 1e6}, {"GB", QuantityKind::Bytes, 1e9},
    {"TB", QuantityKind::Bytes, 1e12}, {"PB", QuantityKind::Bytes, 1e15},
    {"KiB", QuantityKind::Bytes, 1024.0}, {"MiB", QuantityKind::Bytes, 1048576.0},
    {"GiB", QuantityKind::Bytes, 1073741824.0}, {"TiB", QuantityKind::Bytes, 1099511627776.0},
    {"PiB", QuantityKind::Bytes, 1125899906842624.0},
    {"Kbps", QuantityKind::Bandwidth, 1e3 / 8}, {"Mbps", QuantityKind::Bandwidth, 1e6 / 8},
    {"Gbps", QuantityKind::Bandwidth, 1e9 / 8}, {"Tbps", QuantityKind::Bandwidth, 1e12 / 8},
    {"KB/s", QuantityKind::Bandwidth, 1e3}, {"MB/s", QuantityKind::Bandwidth, 1e6},
    {"GB/s", QuantityKind::Bandwidth, 1e9},
};

std::string withoutUnderscores(std::string_view text) {
    std::string s(text);
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    return s;
}

bool isNumberChar(char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }

}  // namespace

std::optional<QuantityValue> quantityOfText(std::string_view text) {
    const std::string s = withoutUnderscores(text);
    std::size_t split = 0;
    while (split < s.size() && isNumberChar(s[split])) ++split;
    if (split == 0 || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    const std::optional<double> number = numberOfText(std::string_view(s).substr(0, split));
    if (!number) return std::nullopt;
    const std::string_view unit = std::string_view(s).substr(split);
    for (const Unit& u : kUnits)
        if (unit == u.name) return QuantityValue{u.kind, *number * u.scale};
    return std::nullopt;
}

std::optional<int64_t> integerOfText(std::string_view text) {
    const std::string s = withoutUnderscores(text);
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return value;
}

std::optional<double> numberOfText(std::string_view text) {
    const std::string s = withoutUnderscores(text);
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(s.c_str(), &end);
    // strtod also reads "inf", "nan" and hexadecimal: none is an XDML number.
    const bool plain = s.find_first_not_of("0123456789.eE+-") == std::string::npos;
    if (!plain || end != s.c_str() + s.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

const char* quantityUnitsText() {
    return "ns us ms s min h d, B KB MB GB TB PB KiB MiB GiB TiB PiB, Kbps Mbps Gbps Tbps KB/s MB/s GB/s";
}

}  // namespace xdml::parse
