// Elementwise.cpp — see Elementwise.h. Operands are first converted to the type the
// operation computes in (float, double, int64 or bool), so each kernel is written once per
// operator; a scalar is a one-element tensor read with stride 0.
#include "runtime/interp/Elementwise.h"

#include "planformat/OperatorTypes.h"
#include "runtime/interp/EvalError.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace xdml::runtime {

namespace {

bool isFloatScalar(const Value& v) { return v.is(Value::Kind::Float) || v.is(Value::Kind::F32); }

Tensor scalarTensor(const Value& s, ElemType as) {
    if (!s.isNumber() && !s.is(Value::Kind::Bool))
        throw EvalError("a tensor meets " + describe(s) + "; it takes numbers and bools");
    Tensor t = Tensor::zeros(as, {});
    withElemType(as, [&](auto v) {
        using T = decltype(v);
        T* out = t.data<T>();
        if (s.is(Value::Kind::Bool)) out[0] = static_cast<T>(s.asBool());
        else if constexpr (std::is_same_v<T, int64_t>) out[0] = s.is(Value::Kind::Int) ? s.asInt() : convertElement<T>(s.number());
        else out[0] = convertElement<T>(s.number());
    });
    return t;
}

template <typename T>
T wrap(uint64_t x) { return static_cast<T>(x); }

/// One operator over two operands of type T (strides 0 or 1), the result of type R.
template <typename T, typename R, typename F>
Tensor loop(const Tensor& x, std::size_t sx, const Tensor& y, std::size_t sy, const std::vector<int64_t>& dims,
            ElemType result, F f) {
    Tensor out = Tensor::zeros(result, dims);
    const std::size_t n = out.count();
    const T* a = x.data<T>();
    const T* b = y.data<T>();
    R* o = out.data<R>();
    for (std::size_t i = 0; i < n; ++i) o[i] = f(a[i * sx], b[i * sy]);
    return out;
}

template <typename T>
Tensor run(BinaryOperator op, ElemType c, const Tensor& x, std::size_t sx, const Tensor& y, std::size_t sy,
           const std::vector<int64_t>& dims) {
    using Op = BinaryOperator;
    auto compare = [&](auto f) { return loop<T, bool>(x, sx, y, sy, dims, ElemType::Bool, f); };
    switch (op) {
    case Op::Eq: return compare([](T a, T b) { return a == b; });
    case Op::Ne: return compare([](T a, T b) { return a != b; });
    case Op::Lt: return compare([](T a, T b) { return a < b; });
    case Op::Le: return compare([](T a, T b) { return a <= b; });
    case Op::Gt: return compare([](T a, T b) { return a > b; });
    case Op::Ge: return compare([](T a, T b) { return a >= b; });
    default: break;
    }
    if constexpr (std::is_same_v<T, bool>) {
        if (op == Op::And) return compare([](bool a, bool b) { return a && b; });
        if (op == Op::Or) return compare([](bool a, bool b) { return a || b; });
        throw EvalError(std::string("'") + spelling(op) + "' on bool elements");
    } else {
        auto arith = [&](auto f) { return loop<T, T>(x, sx, y, sy, dims, c, f); };
        if constexpr (std::is_same_v<T, int64_t>) {
            // Unsigned arithmetic wraps where signed overflow would be undefined.
            switch (op) {
            case Op::Add: return arith([](T a, T b) { return wrap<T>(uint64_t(a) + uint64_t(b)); });
            case Op::Sub: return arith([](T a, T b) { return wrap<T>(uint64_t(a) - uint64_t(b)); });
            case Op::Mul: return arith([](T a, T b) { return wrap<T>(uint64_t(a) * uint64_t(b)); });
            case Op::Div:
                return arith([](T a, T b) {
                    if (b == 0) throw EvalError("integer division by zero");
                    return b == -1 ? wrap<T>(0 - uint64_t(a)) : a / b;
                });
            case Op::Mod:
                return arith([](T a, T b) {
                    if (b == 0) throw EvalError("integer remainder by zero");
                    return b == -1 ? T(0) : a % b;
                });
            default: break;
            }
        } else {
            switch (op) {
            case Op::Add: return arith([](T a, T b) { return a + b; });
            case Op::Sub: return arith([](T a, T b) { return a - b; });
            case Op::Mul: return arith([](T a, T b) { return a * b; });
            case Op::Div: return arith([](T a, T b) { return a / b; });
            case Op::Mod: return arith([](T a, T b) { return std::fmod(a, b); });
            default: break;
            }
        }
        throw EvalError(std::string("'") + spelling(op) + "' on number elements");
    }
}

Tensor runIn(BinaryOperator op, ElemType c, const Tensor& x, std::size_t sx, const Tensor& y, std::size_t sy,
             const std::vector<int64_t>& dims) {
    switch (c) {
    case ElemType::Bool: return run<bool>(op, c, x, sx, y, sy, dims);
    case ElemType::F32: return run<float>(op, c, x, sx, y, sy, dims);
    case ElemType::F64: return run<double>(op, c, x, sx, y, sy, dims);
    default: return run<int64_t>(op, ElemType::I64, x, sx, y, sy, dims);
    }
}

}  // namespace

Tensor tensorBinary(BinaryOperator op, const Value& a, const Value& b) {
    const bool ta = a.is(Value::Kind::Tensor), tb = b.is(Value::Kind::Tensor);
    const Tensor& t = ta ? a.asTensor() : b.asTensor();
    planformat::ElementwiseTypes types;  // the one rule of planformat/OperatorTypes.h
    if (ta && tb) {
        const Tensor& u = b.asTensor();
        if (t.dims != u.dims) throw EvalError("shape mismatch: " + describe(a) + " and " + describe(b));
        types = planformat::tensorOperands(op, t.elem, u.elem);
    } else {
        types = planformat::tensorScalarOperands(op, t.elem, elemTypeOf(ta ? b : a));
    }
    if (!types.defined())
        throw EvalError(std::string("'") + spelling(op) + "' needs bools, got " + describe(a) + " and " + describe(b));
    const ElemType compute = types.compute;
    const Tensor x = ta ? convertTensor(a.asTensor(), compute) : scalarTensor(a, compute);
    const Tensor y = tb ? convertTensor(b.asTensor(), compute) : scalarTensor(b, compute);
    Tensor out = runIn(op, compute, x, ta ? 1 : 0, y, tb ? 1 : 0, t.dims);
    if (out.elem == types.result) return out;
    return convertTensor(out, types.result);
}

Tensor tensorNegate(const Tensor& t) {
    if (t.elem == ElemType::Bool) throw EvalError("'-' on a bool tensor");
    return tensorBinary(BinaryOperator::Sub, Value::integer(0), Value::tensor(t));
}

Tensor tensorNot(const Tensor& t) {
    if (t.elem != ElemType::Bool) throw EvalError("'not' needs a bool tensor, got " + describe(Value::tensor(t)));
    return tensorBinary(BinaryOperator::Eq, Value::tensor(t), Value::boolean(false));
}

Tensor tensorMath(MathBuiltin fn, const Tensor& t) {
    const planformat::MathTypes types = planformat::mathOperand(fn, t.elem);
    if (!types.defined) throw EvalError("math on a bool tensor");
    Tensor out = types.compute == t.elem ? t.clone() : convertTensor(t, types.compute);
    withElemType(out.elem, [&](auto v) {
        using T = decltype(v);
        T* d = out.data<T>();
        for (std::size_t i = 0, n = out.count(); i < n; ++i) d[i] = applyMath(fn, d[i]);
    });
    return convertTensor(out, types.result);
}

Tensor tensorClamp(const Tensor& t, const Value& lo, const Value& hi) {
    if (t.elem == ElemType::Bool) throw EvalError("clamp of a bool tensor");
    const ElemType compute = isFloatElem(t.elem) ? t.elem
                             : isFloatScalar(lo) || isFloatScalar(hi) ? ElemType::F64
                                                                      : ElemType::I64;
    Tensor x = compute == t.elem ? t.clone() : convertTensor(t, compute);
    const Tensor l = scalarTensor(lo, compute), h = scalarTensor(hi, compute);
    withElemType(compute, [&](auto v) {
        using T = decltype(v);
        T* d = x.data<T>();
        const T a = l.data<T>()[0], b = h.data<T>()[0];
        for (std::size_t i = 0, n = x.count(); i < n; ++i) d[i] = d[i] < a ? a : (b < d[i] ? b : d[i]);
    });
    return convertTensor(x, t.elem);
}

}  // namespace xdml::runtime
