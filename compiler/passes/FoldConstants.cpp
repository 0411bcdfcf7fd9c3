// FoldConstants.cpp — see FoldConstants.h.
#include "passes/FoldConstants.h"

#include "ast/Ast.h"
#include "sema/Sema.h"

#include <charconv>
#include <sstream>

namespace xdml::passes {

namespace {
/// The shortest text that reads back as exactly `x`.
std::string shortest(double x) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::string show(const sema::ConstValue& v) {
    std::ostringstream out;
    switch (v.kind) {
    case sema::ConstValue::Kind::Int: out << v.i; break;
    case sema::ConstValue::Kind::Float: out << shortest(v.f); break;
    case sema::ConstValue::Kind::Bool: out << (v.b ? "true" : "false"); break;
    case sema::ConstValue::Kind::String: out << '"' << v.s << '"'; break;
    case sema::ConstValue::Kind::Quantity: out << shortest(v.f) << (v.quantity == ast::QuantityKind::Duration ? " s" : v.quantity == ast::QuantityKind::Bytes ? " B" : " B/s"); break;
    case sema::ConstValue::Kind::Unknown: break;
    }
    return out.str();
}
}  // namespace

bool foldConstants(ir::FlowIR& ir, Diagnostics&) {
    bool changed = false;
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) {
        ir::Node& n = ir.node(id);
        if (n.removed || n.kind != ir::NodeKind::Eval || !n.expr || boost::in_degree(id, ir.graph) > 0) continue;
        sema::ConstValue v = sema::evaluateConstant(*ir.program, n.expr);
        if (!v.known()) continue;
        n.kind = ir::NodeKind::Const;
        n.constant = show(v);
        changed = true;
    }
    return changed;
}

}  // namespace xdml::passes
