// ExplainPredicate.cpp — see ExplainPredicate.h.
#include "runtime/interp/ExplainPredicate.h"

#include "runtime/values/Text.h"

#include <cstdio>

namespace xdml::runtime {

namespace {

using Op = Expr::Op;
using BinaryOp = BinaryOperator;

int precedence(BinaryOp op) {
    switch (op) {
    case BinaryOp::Or: return 1;
    case BinaryOp::And: return 2;
    case BinaryOp::Eq:
    case BinaryOp::Ne:
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge: return 3;
    case BinaryOp::Add:
    case BinaryOp::Sub: return 4;
    default: return 5;
    }
}

bool comparison(BinaryOp op) {
    return precedence(op) == 3;
}

int precedenceOf(const Expr& e) {
    if (e.op == Op::Binary) return precedence(e.binary);
    if (e.op == Op::Ternary) return 0;
    if (e.op == Op::Negate || e.op == Op::Not) return 6;
    return 7;
}

std::string operand(const Expr& e, int parent, bool right) {
    const std::string text = sourceText(e);
    const int p = precedenceOf(e);
    return p < parent || (right && p == parent) ? "(" + text + ")" : text;
}

/// A value short enough for a sentence: scalars whole, anything else cut.
std::string shortText(const Value& v) {
    // Six digits say why a comparison went as it did; the decision's inputs are not for arithmetic.
    if (v.is(Value::Kind::Float) || v.is(Value::Kind::F32)) {
        char text[32];
        std::snprintf(text, sizeof text, "%.6g", v.is(Value::Kind::Float) ? v.asFloat() : static_cast<double>(v.asF32()));
        return text;
    }
    // A tensor or list is named, never printed whole (a frame has millions of elements).
    if (v.is(Value::Kind::Tensor)) return "a " + describe(v);
    if (v.is(Value::Kind::List)) return "a list of " + std::to_string(v.asList().size());
    std::string text = toText(v);
    if (text.size() > 60) {
        std::size_t cut = 57;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
        text = text.substr(0, cut) + "...";
    }
    return text;
}

bool isLiteral(const Expr& e) {
    return e.op == Op::Literal || (e.op == Op::String && e.parts.size() <= 1 && (e.parts.empty() || e.parts[0].arg < 0));
}

std::string explain(Evaluator& ev, const Expr& e, const Scope& scope, bool holds) {
    if (e.op == Op::Binary && (e.binary == BinaryOp::And || e.binary == BinaryOp::Or) && e.args.size() == 2) {
        const bool isAnd = e.binary == BinaryOp::And;
        // The operand that decided: a false one of `and`, a true one of `or`.
        if (holds != isAnd) {
            for (const Expr& side : e.args) {
                const Value v = ev.evaluate(side, scope);
                if (v.is(Value::Kind::Bool) && v.asBool() == holds) return explain(ev, side, scope, holds);
            }
        }
        return explain(ev, e.args[0], scope, holds) + (isAnd ? " and " : " or ") + explain(ev, e.args[1], scope, holds);
    }
    if (e.op == Op::Not && e.args.size() == 1) return "not (" + explain(ev, e.args[0], scope, !holds) + ")";
    if (e.op == Op::Binary && comparison(e.binary) && e.args.size() == 2) {
        const Expr& left = e.args[0];
        const Expr& right = e.args[1];
        std::string text = isLiteral(left) ? sourceText(left) : sourceText(left) + " = " + shortText(ev.evaluate(left, scope));
        const std::string op = spelling(e.binary);
        text += holds ? " " + op + " " : ", not " + op + " ";
        text += isLiteral(right) ? sourceText(right) : sourceText(right) + " = " + shortText(ev.evaluate(right, scope));
        return text;
    }
    return sourceText(e) + " is " + (holds ? "true" : "false");
}

std::string joined(const std::vector<Expr>& args, std::size_t from, const std::vector<std::string>* names = nullptr) {
    std::string out;
    for (std::size_t i = from; i < args.size(); ++i) {
        out += i > from ? ", " : "";
        if (names && i < names->size() && !(*names)[i].empty()) out += (*names)[i] + ": ";
        out += sourceText(args[i]);
    }
    return out;
}

}  // namespace

std::string sourceText(const Expr& e) {
    switch (e.op) {
    case Op::Literal: return e.literal.is(Value::Kind::Float) ? formatFloat(e.literal.asFloat()) : toText(e.literal);
    case Op::String: {
        std::string out = "\"";
        for (const Expr::StringPart& p : e.parts)
            out += p.arg >= 0 && static_cast<std::size_t>(p.arg) < e.args.size() ? "{" + sourceText(e.args[static_cast<std::size_t>(p.arg)]) + "}"
                                                                                 : p.text;
        return out + "\"";
    }
    case Op::Name: return e.name;
    case Op::Negate: return e.args.empty() ? "-?" : "-" + operand(e.args[0], 6, false);
    case Op::Not: return e.args.empty() ? "not ?" : "not " + operand(e.args[0], 6, false);
    case Op::Binary: {
        if (e.args.size() != 2) return "?";
        const int p = precedence(e.binary);
        return operand(e.args[0], p, false) + " " + spelling(e.binary) + " " + operand(e.args[1], p, true);
    }
    case Op::Ternary:
        if (e.args.size() != 3) return "?";
        return operand(e.args[0], 1, false) + " ? " + operand(e.args[1], 1, false) + " : " + operand(e.args[2], 1, false);
    case Op::Call: return e.name + "(" + joined(e.args, 0, &e.names) + ")";
    case Op::Field: return (e.args.empty() ? "?" : operand(e.args[0], 7, false)) + "." + e.name;
    case Op::Index: {
        if (e.args.empty()) return "?";
        std::string out = operand(e.args[0], 7, false) + "[";
        for (std::size_t i = 0; i < e.slices.size(); ++i) {
            const Expr::Slice& s = e.slices[i];
            auto bound = [&](int at) { return at >= 0 && static_cast<std::size_t>(at) < e.args.size() ? sourceText(e.args[static_cast<std::size_t>(at)]) : ""; };
            out += (i ? ", " : "") + bound(s.lo) + (s.range ? ":" + bound(s.hi) : "");
        }
        return out + "]";
    }
    case Op::List: return "[" + joined(e.args, 0) + "]";
    case Op::Record: {
        std::string out = "{ ";
        for (std::size_t i = 0; i < e.args.size(); ++i)
            out += (i ? ", " : "") + (i < e.names.size() ? e.names[i] : "?") + ": " + sourceText(e.args[i]);
        return out + " }";
    }
    }
    return "?";
}

std::string explainPredicate(Evaluator& evaluator, const Expr& where, const Value& item, bool holds) {
    Scope scope;
    scope.it = item;
    try {
        return explain(evaluator, where, scope, holds);
    } catch (const std::exception& e) {
        return sourceText(where) + " is " + (holds ? "true" : "false") + " (its parts could not be shown: " + e.what() + ")";
    }
}

}  // namespace xdml::runtime
