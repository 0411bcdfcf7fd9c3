// Operators.cpp — see Operators.h.
#include "runtime/interp/Operators.h"

#include "planformat/OperatorTypes.h"
#include "runtime/interp/Elementwise.h"
#include "runtime/interp/EvalError.h"

#include <cmath>

namespace xdml::runtime {

namespace {

using Op = BinaryOperator;
using K = Value::Kind;

[[noreturn]] void undefined(Op op, const Value& a, const Value& b) {
    throw EvalError(std::string("operator '") + spelling(op) + "' is not defined for " + describe(a) + " and " +
                    describe(b));
}

template <typename T>
int compare(T a, T b) { return a < b ? -1 : (b < a ? 1 : 0); }

/// A comparison operator applied to a three-way result; NaN (unordered) compares false
/// except for `!=`.
Value comparison(Op op, int c, bool unordered = false) {
    if (unordered) return Value::boolean(op == Op::Ne);
    switch (op) {
    case Op::Eq: return Value::boolean(c == 0);
    case Op::Ne: return Value::boolean(c != 0);
    case Op::Lt: return Value::boolean(c < 0);
    case Op::Le: return Value::boolean(c <= 0);
    case Op::Gt: return Value::boolean(c > 0);
    default: return Value::boolean(c >= 0);
    }
}

using planformat::isComparison;

Value integers(Op op, int64_t a, int64_t b) {
    const uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    switch (op) {
    case Op::Add: return Value::integer(static_cast<int64_t>(ua + ub));
    case Op::Sub: return Value::integer(static_cast<int64_t>(ua - ub));
    case Op::Mul: return Value::integer(static_cast<int64_t>(ua * ub));
    case Op::Div:
        if (b == 0) throw EvalError("integer division by zero");
        return Value::integer(b == -1 ? static_cast<int64_t>(0 - ua) : a / b);
    case Op::Mod:
        if (b == 0) throw EvalError("integer remainder by zero");
        return Value::integer(b == -1 ? 0 : a % b);
    default: return comparison(op, compare(a, b));
    }
}

template <typename T>
Value floats(Op op, T a, T b) {
    auto make = [](T x) { return std::is_same_v<T, float> ? Value::float32(static_cast<float>(x)) : Value::float64(x); };
    switch (op) {
    case Op::Add: return make(a + b);
    case Op::Sub: return make(a - b);
    case Op::Mul: return make(a * b);
    case Op::Div: return make(a / b);
    case Op::Mod: return make(std::fmod(a, b));
    default: return comparison(op, compare(a, b), std::isnan(a) || std::isnan(b));
    }
}

Value quantities(Op op, const Value& a, const Value& b) {
    const bool qa = a.is(K::Quantity), qb = b.is(K::Quantity);
    if (qa && qb) {
        const Quantity &x = a.asQuantity(), &y = b.asQuantity();
        if (x.kind != y.kind) undefined(op, a, b);
        switch (op) {
        case Op::Add: return Value::quantity(x.kind, x.value + y.value);
        case Op::Sub: return Value::quantity(x.kind, x.value - y.value);
        case Op::Div: return Value::float64(x.value / y.value);  // the ratio of two is a float
        case Op::Mod: return Value::quantity(x.kind, std::fmod(x.value, y.value));
        case Op::Mul: undefined(op, a, b);
        default:
            if (!isComparison(op)) undefined(op, a, b);
            return comparison(op, compare(x.value, y.value), std::isnan(x.value) || std::isnan(y.value));
        }
    }
    const Value& q = qa ? a : b;
    const Value& n = qa ? b : a;
    if (!n.isNumber()) undefined(op, a, b);
    const Quantity& x = q.asQuantity();
    if (op == Op::Mul) return Value::quantity(x.kind, x.value * n.number());
    if (op == Op::Div && qa) return Value::quantity(x.kind, x.value / n.number());
    undefined(op, a, b);
}

bool equalScalars(const Value& a, const Value& b, bool& decided) {
    decided = true;
    if (a.is(K::None) || b.is(K::None)) return a.is(K::None) && b.is(K::None);
    if (a.is(K::Bool) && b.is(K::Bool)) return a.asBool() == b.asBool();
    decided = false;
    return false;
}

}  // namespace

Value::Kind numericJoin(const Value& a, const Value& b) {
    switch (planformat::scalarJoin(elemTypeOf(a), elemTypeOf(b))) {
    case ElemType::I64: return K::Int;
    case ElemType::F64: return K::Float;
    default: return K::F32;
    }
}

Value applyBinary(BinaryOperator op, const Value& a, const Value& b) {
    if (a.is(K::Tensor) || b.is(K::Tensor)) return Value::tensor(tensorBinary(op, a, b));
    if (op == Op::And || op == Op::Or) {
        if (!a.is(K::Bool) || !b.is(K::Bool)) undefined(op, a, b);
        return Value::boolean(op == Op::And ? a.asBool() && b.asBool() : a.asBool() || b.asBool());
    }
    if (a.isNumber() && b.isNumber()) {
        switch (numericJoin(a, b)) {
        case K::Int: return integers(op, a.asInt(), b.asInt());
        case K::Float: return floats<double>(op, a.number(), b.number());
        default: return floats<float>(op, static_cast<float>(a.number()), static_cast<float>(b.number()));
        }
    }
    if (a.is(K::Quantity) || b.is(K::Quantity)) return quantities(op, a, b);
    if (a.is(K::String) && b.is(K::String) && isComparison(op)) return comparison(op, a.asString().compare(b.asString()));
    if (op == Op::Eq || op == Op::Ne) {
        bool decided;
        const bool equal = equalScalars(a, b, decided);
        if (decided) return Value::boolean(op == Op::Eq ? equal : !equal);
    }
    undefined(op, a, b);
}

Value applyNegate(const Value& v) {
    switch (v.kind()) {
    case K::Int: return Value::integer(static_cast<int64_t>(0 - static_cast<uint64_t>(v.asInt())));
    case K::Float: return Value::float64(-v.asFloat());
    case K::F32: return Value::float32(-v.asF32());
    case K::Quantity: return Value::quantity(v.asQuantity().kind, -v.asQuantity().value);
    case K::Tensor: return Value::tensor(tensorNegate(v.asTensor()));
    default: throw EvalError("'-' is not defined for " + describe(v));
    }
}

Value applyNot(const Value& v) {
    if (v.is(K::Bool)) return Value::boolean(!v.asBool());
    if (v.is(K::Tensor)) return Value::tensor(tensorNot(v.asTensor()));
    throw EvalError("'not' is not defined for " + describe(v));
}

}  // namespace xdml::runtime
