// PassDecisions.cpp — see PassDecisions.h.
#include "plan/PassDecisions.h"

#include "ast/Ast.h"
#include "sema/Types.h"

namespace xdml::plan {

namespace {

/// Calls every sub-expression of `e` (not `e` itself) with `f`, until `f` answers true.
template <class F>
bool anySubExpression(const ast::Expr* e, F&& f) {
    if (!e) return false;
    auto visit = [&](const ast::Expr* x) { return x && (f(x) || anySubExpression(x, f)); };
    if (visit(e->callee.get())) return true;
    for (const auto& op : e->operands)
        if (visit(op.get())) return true;
    for (const ast::Arg& a : e->args)
        if (visit(a.value.get())) return true;
    for (const ast::FieldInit& fi : e->fields)
        if (visit(fi.value.get())) return true;
    for (const ast::StringPart& p : e->parts)
        if (visit(p.expr.get())) return true;
    for (const ast::SliceItem& s : e->slices)
        if (visit(s.lo.get()) || visit(s.hi.get())) return true;
    return false;
}

bool hasTask(const ir::Node& n) {
    if (n.kind == ir::NodeKind::Task) return true;
    if (n.kind != ir::NodeKind::Fused) return false;
    for (const std::string& m : n.members)
        if (m.rfind("task ", 0) == 0) return true;
    return false;
}

/// A literal the plan's code can hold for a value of type `t`: the runtime reads the literal
/// back as exactly the value it would have computed (f32 and tensors stay expressions).
bool literalFits(const sema::ConstValue& v, const sema::Type* t) {
    t = sema::structure(t);
    if (!t) return false;
    using K = sema::TypeKind;
    switch (v.kind) {
    case sema::ConstValue::Kind::Int: return t->kind == K::Int;
    case sema::ConstValue::Kind::Float: return t->kind == K::Float;
    case sema::ConstValue::Kind::Bool: return t->kind == K::Bool;
    case sema::ConstValue::Kind::String: return t->kind == K::String;
    case sema::ConstValue::Kind::Quantity:
        return t->kind == K::Duration || t->kind == K::Bytes || t->kind == K::Bandwidth;
    case sema::ConstValue::Kind::Unknown: break;
    }
    return false;
}

}  // namespace

PassDecisions::PassDecisions(const ir::FlowIR& ir) : ir_(ir) {
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id)
        if (const ast::Expr* e = ir.node(id).expr; e && ir.node(id).kind != ir::NodeKind::Region &&
                                                   ir.node(id).kind != ir::NodeKind::Log)
            byExpr_.emplace(e, id);
}

const ir::Node* PassDecisions::nodeOf(const ast::Expr* e) const {
    auto it = byExpr_.find(e);
    return it == byExpr_.end() ? nullptr : &ir_.node(it->second);
}

ir::NodeId PassDecisions::survivor(ir::NodeId id) const {
    // fuse-chains names the node a merged one went into; a node removed without one was
    // removed as unused.
    const ir::Node& n = ir_.node(id);
    return n.removed ? n.fusedInto : id;
}

bool PassDecisions::eliminated(const ast::Expr* e) const {
    auto it = byExpr_.find(e);
    return it != byExpr_.end() && survivor(it->second) == ir::kNoNode;
}

bool PassDecisions::unused(const ast::Expr* e) const {
    auto live = [&](const ast::Expr* x) { return byExpr_.count(x) && !eliminated(x); };
    return eliminated(e) && !anySubExpression(e, live);
}

sema::ConstValue PassDecisions::folded(const ast::Expr* e) const {
    const ir::Node* n = nodeOf(e);
    if (!n || n->kind != ir::NodeKind::Const || !ir_.program) return {};
    sema::ConstValue v = sema::evaluateConstant(*ir_.program, e);
    return literalFits(v, e->type) ? v : sema::ConstValue{};
}

ir::NodeId PassDecisions::taskChain(const ast::Expr* e) const {
    auto it = byExpr_.find(e);
    if (it == byExpr_.end()) return ir::kNoNode;
    ir::NodeId s = survivor(it->second);
    return s != ir::kNoNode && ir_.node(s).kind == ir::NodeKind::Fused && hasTask(ir_.node(s)) ? s : ir::kNoNode;
}

bool PassDecisions::callsOutside(const ast::Expr* e, ir::NodeId chain) const {
    auto outside = [&](const ast::Expr* x) {
        const ir::Node* n = nodeOf(x);
        return n && (n->kind == ir::NodeKind::Task || n->kind == ir::NodeKind::Infer || hasTask(*n)) &&
               taskChain(x) != chain;
    };
    return outside(e) || anySubExpression(e, outside);
}

}  // namespace xdml::plan
