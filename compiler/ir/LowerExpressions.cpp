// LowerExpressions.cpp — lowering of expressions: a node per fn or task call, model inference
// and expression, with data edges from the values it reads.
#include "ir/Lowering.h"

#include "ast/AstPrinter.h"
#include "ast/Children.h"
#include "ir/Lower.h"
#include "sema/Types.h"

namespace xdml::ir {

using namespace ast;
using sema::Type;
using sema::TypeKind;

std::string Lowering::shortText(const Expr& e) {
    std::string s = printExpr(e);
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

/// A data edge from -> to; a value read twice by one node is one edge (it moves once).
void Lowering::input(NodeId from, NodeId to) {
    if (from == kNoNode || to == kNoNode || boost::edge(from, to, ir_.graph).second) return;
    const Node& f = ir_.node(from);
    ir_.connect(from, to, f.bytes, f.type);
}

NodeId Lowering::lookup(const std::string& name) const {
    for (auto s = env_.rbegin(); s != env_.rend(); ++s) {
        auto it = s->find(name);
        if (it != s->end()) return it->second;
    }
    return kNoNode;
}

/// The node whose output is the value of `e`: a call node, an expression node over the
/// values it reads, or the node that bound a name.
NodeId Lowering::value(const Expr* e) {
    if (!e) return kNoNode;
    if (e->kind == ExprKind::Ident && e->binding == Binding::Local) return lookup(e->text);
    if (e->kind == ExprKind::Call) {
        const Expr* callee = e->callee.get();
        const Decl* d = callee->decl;
        if (callee->binding == Binding::Global && d) {
            if (d->kind == DeclKind::Fn || d->kind == DeclKind::Task) return call(e, d);
            if (d->kind == DeclKind::Model) return infer(e, d);
        }
        if (callee->binding == Binding::Builtin && callee->text == "probs" && e->args.size() == 2 &&
            e->args[0].value->decl)
            return infer(e, e->args[0].value->decl);
    }
    // An expression node over every value it reads.
    Node n = exprNode(NodeKind::Eval, shortText(*e), e, nullptr);
    n.pure = !hasEffects(e);
    policies_.place(n, policyFor(current_, nullptr), triggerSite_);
    NodeId id = addNode(std::move(n));
    reads(e, id);
    return id;
}

/// Whether an expression calls a standard function with side effects (sh, write).
bool Lowering::hasEffects(const Expr* e) {
    if (!e) return false;
    if (e->kind == ExprKind::Call && e->callee->binding == Binding::Builtin &&
        stdlib::hasSideEffects(e->callee->text))
        return true;
    return ast::anyChild(*e, [&](const Expr* child) { return hasEffects(child); });
}

/// Connects the values an expression reads (names, nested calls, catalogs) to `into`.
void Lowering::reads(const Expr* e, NodeId into) {
    if (!e) return;
    switch (e->kind) {
    case ExprKind::Ident:
        if (e->binding == Binding::Local) input(lookup(e->text), into);
        else if (e->binding == Binding::Global && e->decl) {
            if (auto c = ir_.catalogs.find(e->text); c != ir_.catalogs.end()) ir_.connect(c->second, into, 0, nullptr);
            if (auto m = ir_.models.find(e->text); m != ir_.models.end()) ir_.connect(m->second, into, 0, nullptr);
            if (auto s = ir_.streams.find(e->text); s != ir_.streams.end()) ir_.connect(s->second, into, 0, nullptr);
        }
        return;
    case ExprKind::Call:
        if ((e->callee->binding == Binding::Global && e->callee->decl &&
             (e->callee->decl->kind == DeclKind::Fn || e->callee->decl->kind == DeclKind::Task ||
              e->callee->decl->kind == DeclKind::Model)) ||
            (e->callee->binding == Binding::Builtin && e->callee->text == "probs")) {
            input(value(e), into);
            return;
        }
        for (const Arg& a : e->args) reads(a.value.get(), into);
        return;
    case ExprKind::String:
        for (const StringPart& part : e->parts) reads(part.expr.get(), into);
        return;
    case ExprKind::Field:
        reads(e->callee.get(), into);
        return;
    case ExprKind::Index:
        reads(e->callee.get(), into);
        for (const SliceItem& s : e->slices) {
            reads(s.lo.get(), into);
            reads(s.hi.get(), into);
        }
        return;
    case ExprKind::Record:
        for (const FieldInit& f : e->fields) reads(f.value.get(), into);
        return;
    default:
        for (const ExprPtr& op : e->operands) reads(op.get(), into);
        return;
    }
}

/// A node computing expression `e`, with its type and size.
Node Lowering::exprNode(NodeKind kind, const std::string& label, const Expr* e, const Decl* decl) {
    Node n;
    n.kind = kind;
    n.label = label;
    n.where = e->range;
    n.expr = e;
    n.decl = decl;
    n.type = e->type;
    n.bytes = bytesOf(e->type);
    return n;
}

NodeId Lowering::call(const Expr* e, const Decl* d) {
    std::vector<NodeId> args;
    for (const Arg& a : e->args) args.push_back(value(a.value.get()));
    Node n = exprNode(d->kind == DeclKind::Task ? NodeKind::Task : NodeKind::Call, d->name.text, e, d);
    n.pure = d->kind == DeclKind::Fn;
    n.persist = d->kind == DeclKind::Task;  // a naive pipeline writes every task's output
    policies_.place(n, policyFor(current_, d->kind == DeclKind::Task ? d : nullptr), triggerSite_);
    NodeId id = addNode(std::move(n));
    for (NodeId a : args) input(a, id);
    return id;
}

NodeId Lowering::infer(const Expr* e, const Decl* model) {
    const Expr* x = e->args.size() == 2 ? e->args[1].value.get() : e->args.empty() ? nullptr : e->args[0].value.get();
    NodeId arg = value(x);
    Node n = exprNode(NodeKind::Infer, model->name.text, e, model);
    policies_.place(n, policyFor(current_, nullptr), triggerSite_);
    NodeId id = addNode(std::move(n));
    input(arg, id);
    if (auto m = ir_.models.find(model->name.text); m != ir_.models.end()) ir_.connect(m->second, id, 0, nullptr);
    return id;
}

}  // namespace xdml::ir
