// Text.cpp — see Text.h.
#include "runtime/values/Text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace xdml::runtime {

namespace {

/// The shortest round-trip digits of x, positional between 1e-6 and 1e15, else `1.5e-7`.
template <typename T>
std::string shortest(T x, bool keepPointZero) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
    const bool negative = std::signbit(x);
    const double magnitude = std::fabs(static_cast<double>(x));
    if (magnitude == 0) return std::string(negative ? "-0" : "0") + (keepPointZero ? ".0" : "");

    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, negative ? -x : x, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);  // "d.ddde+XX" or "de-XX"
    const std::size_t e = sci.find('e');
    const std::string mantissa = sci.substr(0, e);
    const int exponent = std::atoi(sci.c_str() + e + 1);
    std::string out = negative ? "-" : "";

    if (magnitude < 1e-6 || magnitude >= 1e15) return out + mantissa + "e" + std::to_string(exponent);

    std::string digits;
    for (char c : mantissa)
        if (c != '.') digits += c;
    const int point = exponent + 1;  // how many digits stand before the decimal point
    const int n = static_cast<int>(digits.size());
    if (point <= 0) return out + "0." + std::string(-point, '0') + digits;
    if (point >= n) return out + digits + std::string(point - n, '0') + (keepPointZero ? ".0" : "");
    return out + digits.substr(0, point) + "." + digits.substr(point);
}

struct Unit {
    const char* name;
    QuantityKind kind;
    double scale;  // base units per unit
};
// The units of LANGUAGE.md §1, the same scales as the parser's.
constexpr Unit kUnits[] = {
    {"ns", QuantityKind::Duration, 1e-9},        {"us", QuantityKind::Duration, 1e-6},
    {"ms", QuantityKind::Duration, 1e-3},        {"s", QuantityKind::Duration, 1},
    {"min", QuantityKind::Duration, 60},         {"h", QuantityKind::Duration, 3600},
    {"d", QuantityKind::Duration, 86400},        {"B", QuantityKind::Bytes, 1},
    {"KB", QuantityKind::Bytes, 1e3},            {"MB", QuantityKind::Bytes, 1e6},
    {"GB", QuantityKind::Bytes, 1e9},            {"TB", QuantityKind::Bytes, 1e12},
    {"PB", QuantityKind::Bytes, 1e15},           {"KiB", QuantityKind::Bytes, 1024.0},
    {"MiB", QuantityKind::Bytes, 1048576.0},     {"GiB", QuantityKind::Bytes, 1073741824.0},
    {"TiB", QuantityKind::Bytes, 1099511627776.0}, {"PiB", QuantityKind::Bytes, 1125899906842624.0},
    {"Kbps", QuantityKind::Bandwidth, 1e3 / 8},  {"Mbps", QuantityKind::Bandwidth, 1e6 / 8},
    {"Gbps", QuantityKind::Bandwidth, 1e9 / 8},  {"Tbps", QuantityKind::Bandwidth, 1e12 / 8},
    {"KB/s", QuantityKind::Bandwidth, 1e3},      {"MB/s", QuantityKind::Bandwidth, 1e6},
    {"GB/s", QuantityKind::Bandwidth, 1e9},
};

double roundTo12Digits(double x) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g", x);
    return std::strtod(buf, nullptr);
}

int significantDigits(double x) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    int n = 0;
    for (char* p = buf; p < res.ptr && *p != 'e'; ++p) n += *p >= '0' && *p <= '9';
    return n;
}

std::string nestedText(const Value& v) { return v.is(Value::Kind::String) ? quoted(v.asString()) : toText(v); }

constexpr int64_t kShownPerDim = 6;

std::string elementText(const Tensor& t, std::size_t i) {
    switch (t.elem) {
    case ElemType::F32: return formatF32(t.data<float>()[i]);
    case ElemType::F64: return formatFloat(t.data<double>()[i]);
    case ElemType::Bool: return t.data<bool>()[i] ? "true" : "false";
    default: return std::to_string(static_cast<int64_t>(t.at(i)));
    }
}

void tensorText(const Tensor& t, std::size_t dim, std::size_t offset, std::string& out) {
    if (dim == t.dims.size()) {
        out += elementText(t, offset);
        return;
    }
    std::size_t stride = 1;
    for (std::size_t d = dim + 1; d < t.dims.size(); ++d) stride *= static_cast<std::size_t>(t.dims[d]);
    out += "[";
    for (int64_t i = 0; i < t.dims[dim]; ++i) {
        if (i == kShownPerDim) {
            out += ", ...";
            break;
        }
        if (i) out += ", ";
        tensorText(t, dim + 1, offset + static_cast<std::size_t>(i) * stride, out);
    }
    out += "]";
}

}  // namespace

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string formatFloat(double x) { return shortest(x, true); }
std::string formatF32(float x) { return shortest(x, true); }

std::string formatQuantity(const Quantity& q) {
    const double magnitude = std::fabs(q.value);
    const Unit* best = nullptr;
    const Unit* smallest = nullptr;
    double bestNumber = 0;
    int bestDigits = 0;
    for (const Unit& u : kUnits) {
        if (u.kind != q.kind) continue;
        if (!smallest || u.scale < smallest->scale) smallest = &u;
        const double number = roundTo12Digits(magnitude / u.scale);
        if (number < 1) continue;
        const int digits = significantDigits(number);
        if (!best || digits < bestDigits || (digits == bestDigits && u.scale > best->scale)) {
            best = &u;
            bestNumber = number;
            bestDigits = digits;
        }
    }
    if (magnitude == 0) {
        const char* zero = q.kind == QuantityKind::Duration ? "s" : q.kind == QuantityKind::Bytes ? "B" : "Gbps";
        return std::string("0") + zero;
    }
    if (std::isnan(magnitude) || std::isinf(magnitude) || !best) {
        best = smallest;
        bestNumber = std::isfinite(magnitude) ? roundTo12Digits(magnitude / best->scale) : magnitude;
    }
    return (q.value < 0 ? "-" : "") + shortest(bestNumber, false) + best->name;
}

namespace {

/// `digits` (a number's text, maybe signed, maybe with a fraction) with `,` every three digits
/// of its integer part.
std::string withThousands(const std::string& digits) {
    const std::size_t first = digits.find_first_of("0123456789");
    std::size_t end = digits.find_first_not_of("0123456789", first);
    if (first == std::string::npos) return digits;
    if (end == std::string::npos) end = digits.size();
    std::string out = digits.substr(0, first);
    for (std::size_t i = first; i < end; ++i) {
        out += digits[i];
        const std::size_t left = end - i - 1;
        if (left > 0 && left % 3 == 0) out += ',';
    }
    return out + digits.substr(end);
}

}  // namespace

std::string formatText(const Value& v, const planformat::TextFormat& f) {
    const bool isFloat = v.is(Value::Kind::Float) || v.is(Value::Kind::F32);
    const bool isNumber = isFloat || v.is(Value::Kind::Int);
    std::string text;
    if (isFloat && f.precision >= 0) {
        const double x = v.is(Value::Kind::Float) ? v.asFloat() : static_cast<double>(v.asF32());
        char buffer[512];
        std::snprintf(buffer, sizeof buffer, "%.*f", f.precision, x);
        text = buffer;
    } else {
        text = toText(v);
    }
    if (isNumber && f.thousands && text.find_first_not_of("-0123456789.") == std::string::npos) text = withThousands(text);
    const std::size_t width = static_cast<std::size_t>(f.width);
    if (text.size() >= width) return text;
    const std::size_t pad = width - text.size();
    if (isNumber && f.zero && !f.align) {
        const std::size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
        return text.substr(0, sign) + std::string(pad, '0') + text.substr(sign);
    }
    const char align = f.align ? f.align : isNumber ? '>' : '<';
    if (align == '<') return text + std::string(pad, ' ');
    if (align == '>') return std::string(pad, ' ') + text;
    return std::string(pad / 2, ' ') + text + std::string(pad - pad / 2, ' ');
}

std::string toText(const Value& v) {
    switch (v.kind()) {
    case Value::Kind::None: return "none";
    case Value::Kind::Bool: return v.asBool() ? "true" : "false";
    case Value::Kind::Int: return std::to_string(v.asInt());
    case Value::Kind::Float: return formatFloat(v.asFloat());
    case Value::Kind::F32: return formatF32(v.asF32());
    case Value::Kind::String: return v.asString();
    case Value::Kind::Quantity: return formatQuantity(v.asQuantity());
    case Value::Kind::Tensor: {
        std::string out = describe(v) + " ";
        tensorText(v.asTensor(), 0, 0, out);
        return out;
    }
    case Value::Kind::Record: {
        const RecordValue& r = v.asRecord();
        if (r.fields.empty()) return "{}";
        std::string out = "{ ";
        for (std::size_t i = 0; i < r.fields.size(); ++i)
            out += (i ? ", " : "") + r.fields[i].name + ": " + nestedText(r.fields[i].value);
        return out + " }";
    }
    case Value::Kind::List: {
        std::string out = "[";
        const auto& items = v.asList();
        for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + nestedText(items[i]);
        return out + "]";
    }
    }
    return "?";
}

}  // namespace xdml::runtime
