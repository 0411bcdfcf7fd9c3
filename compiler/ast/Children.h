// Children.h — the one walk over an expression's direct sub-expressions, for the code that
// asks a question of every part of an expression (effects, liveness after the passes).
#pragma once

#include "ast/Ast.h"

namespace xdml::ast {

/// Calls `f` with each direct sub-expression of `e`, never null, in this order: the callee or
/// base, the operands, the arguments, the field values, the interpolated parts, each slice's
/// bounds. Stops at the first call that answers true, and answers true; else false.
template <class F>
bool anyChild(const Expr& e, F&& f) {
    auto visit = [&](const Expr* x) { return x && f(x); };
    if (visit(e.callee.get())) return true;
    for (const ExprPtr& op : e.operands)
        if (visit(op.get())) return true;
    for (const Arg& a : e.args)
        if (visit(a.value.get())) return true;
    for (const FieldInit& fi : e.fields)
        if (visit(fi.value.get())) return true;
    for (const StringPart& p : e.parts)
        if (visit(p.expr.get())) return true;
    for (const SliceItem& s : e.slices)
        if (visit(s.lo.get()) || visit(s.hi.get())) return true;
    return false;
}

/// Calls `f` with each direct sub-expression of `e`, in anyChild's order.
template <class F>
void forEachChild(const Expr& e, F&& f) {
    anyChild(e, [&](const Expr* x) {
        f(x);
        return false;
    });
}

}  // namespace xdml::ast
