// PassDecisions.cpp — see PassDecisions.h.
#include "plan/PassDecisions.h"

#include "ast/Ast.h"
#include "ast/Children.h"
#include "sema/Types.h"

namespace xdml::plan {

namespace {

/// Calls every sub-expression of `e` (not `e` itself) with `f`, until `f` answers true.
template <class F>
bool anySubExpression(const ast::Expr* e, F&& f) {
    return e && ast::anyChild(*e, [&](const ast::Expr* x) { return f(x) || anySubExpression(x, f); });
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

PassDecisions::PassDecisions(const ir::FlowIR& ir) : ir_(ir), runsTask_(ir.nodeCount(), false) {
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) {
        const ir::Node& n = ir.node(id);
        if (const ast::Expr* e = n.expr; e && n.kind != ir::NodeKind::Region && n.kind != ir::NodeKind::Log)
            byExpr_.emplace(e, id);
        // Lowered as a task call: its kind says so until fuse-chains merges into it, its
        // declaration always. A merged node names the node it went into.
        if (n.kind != ir::NodeKind::Task && !(n.decl && n.decl->kind == ast::DeclKind::Task)) continue;
        runsTask_[id] = true;
        if (n.removed && n.fusedInto != ir::kNoNode) runsTask_[n.fusedInto] = true;
    }
}

bool PassDecisions::hasTask(ir::NodeId id) const {
    const ir::NodeKind kind = ir_.node(id).kind;
    return kind == ir::NodeKind::Task || (kind == ir::NodeKind::Fused && runsTask_[id]);
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
    if (!n || n->kind != ir::NodeKind::Const) return {};
    return literalFits(n->constant, e->type) ? n->constant : sema::ConstValue{};
}

ir::NodeId PassDecisions::taskChain(const ast::Expr* e) const {
    auto it = byExpr_.find(e);
    if (it == byExpr_.end()) return ir::kNoNode;
    ir::NodeId s = survivor(it->second);
    return s != ir::kNoNode && ir_.node(s).kind == ir::NodeKind::Fused && hasTask(s) ? s : ir::kNoNode;
}

bool PassDecisions::callsOutside(const ast::Expr* e, ir::NodeId chain) const {
    auto outside = [&](const ast::Expr* x) {
        auto it = byExpr_.find(x);
        if (it == byExpr_.end()) return false;
        return (ir_.node(it->second).kind == ir::NodeKind::Infer || hasTask(it->second)) && taskChain(x) != chain;
    };
    return outside(e) || anySubExpression(e, outside);
}

}  // namespace xdml::plan
