// ConstValue.cpp — see ConstValue.h.
#include "sema/ConstValue.h"

#include <charconv>
#include <sstream>

namespace xdml::sema {

namespace {
/// The shortest text that reads back as exactly `x`.
std::string shortest(double x) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}
}  // namespace

std::string constantText(const ConstValue& v) {
    using planformat::QuantityKind;
    std::ostringstream out;
    switch (v.kind) {
    case ConstValue::Kind::Int: out << v.i; break;
    case ConstValue::Kind::Float: out << shortest(v.f); break;
    case ConstValue::Kind::Bool: out << (v.b ? "true" : "false"); break;
    case ConstValue::Kind::String: out << '"' << v.s << '"'; break;
    case ConstValue::Kind::Quantity: out << shortest(v.f) << (v.quantity == QuantityKind::Duration ? " s" : v.quantity == QuantityKind::Bytes ? " B" : " B/s"); break;
    case ConstValue::Kind::Unknown: break;
    }
    return out.str();
}

}  // namespace xdml::sema
