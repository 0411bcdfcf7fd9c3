// Builtins.cpp — see Builtins.h.
#include "runtime/interp/Builtins.h"

#include "planformat/OperatorTypes.h"
#include "runtime/interp/Elementwise.h"
#include "runtime/interp/EvalError.h"
#include "runtime/exec/ShellQuote.h"
#include "runtime/interp/Operators.h"
#include "runtime/numerics/Philox.h"
#include "runtime/numerics/Reductions.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace xdml::runtime {

namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

void arity(const std::string& name, const Args& args, std::size_t n) {
    if (args.size() != n)
        throw EvalError("'" + name + "' takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", got " +
                        std::to_string(args.size()));
}

[[noreturn]] void badArgument(const std::string& name, const Value& v) {
    throw EvalError("'" + name + "' is not defined for " + describe(v));
}

/// sum mean max min count argmax of a tensor's elements.
Value reduceTensor(const std::string& name, const Tensor& t) {
    const std::size_t n = t.count();
    return withElemType(t.elem, [&](auto v) {
        using T = decltype(v);
        const T* d = t.data<T>();
        if (name == "sum") return Value::float64(sumOf(d, n));
        if (name == "mean") return Value::float64(meanOf(d, n));
        if (name == "max") return Value::float64(maxOf(d, n));
        if (name == "min") return Value::float64(minOf(d, n));
        if (name == "count") return Value::integer(countOf(d, n));
        return Value::integer(argmaxOf(d, n));
    });
}

/// sum mean max min count of a list: sum, max and min keep the element type; mean is a float.
Value reduceList(const std::string& name, const std::vector<Value>& items) {
    if (name == "count") return Value::integer(static_cast<int64_t>(items.size()));
    if (name == "max" || name == "min") {
        if (items.empty()) throw EvalError("'" + name + "' of an empty list");
        Value best = items[0];
        const BinaryOperator better = name == "max" ? BinaryOperator::Gt : BinaryOperator::Lt;
        for (const Value& item : items) {
            const Value is = applyBinary(better, item, best);
            if (!is.is(K::Bool)) badArgument(name, item);
            if (is.asBool()) best = item;
        }
        return best;
    }
    if (name != "sum" && name != "mean") throw EvalError("'" + name + "' is not defined for a list");
    bool ints = true, f32 = true;
    const Quantity* quantity = nullptr;
    LaneSum lanes;  // the same association as a tensor's sum
    uint64_t total = 0;  // ints wrap, as int `+` does
    for (const Value& item : items) {
        if (item.is(K::Quantity)) {
            quantity = &item.asQuantity();
            lanes.add(item.asQuantity().value);
            ints = f32 = false;
            continue;
        }
        if (!item.isNumber()) badArgument(name, item);
        ints = ints && item.is(K::Int);
        f32 = f32 && item.is(K::F32);
        if (item.is(K::Int)) total += static_cast<uint64_t>(item.asInt());
        lanes.add(item.number());
    }
    const double sum = lanes.total();
    if (name == "mean") {
        if (quantity) badArgument(name, Value::quantity(quantity->kind, 0));
        return Value::float64(items.empty() ? 0.0 : sum / static_cast<double>(items.size()));
    }
    if (quantity) return Value::quantity(quantity->kind, sum);
    if (items.empty() || ints) return Value::integer(static_cast<int64_t>(total));
    return f32 ? Value::float32(static_cast<float>(sum)) : Value::float64(sum);
}

/// max(a, b) and min(a, b) of two numbers (in the type they meet in) or two quantities of one
/// kind; a NaN operand gives NaN, as the tensor reductions do.
Value pick(const std::string& name, const Value& a, const Value& b) {
    const bool takeMax = name == "max";
    if (a.is(K::Quantity) && b.is(K::Quantity) && a.asQuantity().kind == b.asQuantity().kind) {
        const double x = a.asQuantity().value, y = b.asQuantity().value;
        const double r = std::isnan(x) || std::isnan(y) ? NAN : takeMax ? std::max(x, y) : std::min(x, y);
        return Value::quantity(a.asQuantity().kind, r);
    }
    if (!a.isNumber() || !b.isNumber()) throw EvalError("'" + name + "' of " + describe(a) + " and " + describe(b));
    switch (numericJoin(a, b)) {
    case K::Int: return Value::integer(takeMax ? std::max(a.asInt(), b.asInt()) : std::min(a.asInt(), b.asInt()));
    case K::Float: {
        const double x = a.number(), y = b.number();
        return Value::float64(std::isnan(x) || std::isnan(y) ? NAN : takeMax ? std::max(x, y) : std::min(x, y));
    }
    default: {
        const float x = static_cast<float>(a.number()), y = static_cast<float>(b.number());
        return Value::float32(std::isnan(x) || std::isnan(y) ? NAN : takeMax ? std::max(x, y) : std::min(x, y));
    }
    }
}

/// abs sqrt exp log of a number, a tensor, or (abs) a quantity; planformat::mathOperand's types.
Value math(MathBuiltin fn, const Value& x) {
    if (x.is(K::Tensor)) return Value::tensor(tensorMath(fn, x.asTensor()));
    if (x.is(K::Quantity) && planformat::takesQuantity(fn))
        return Value::quantity(x.asQuantity().kind, applyMath(fn, x.asQuantity().value));
    if (!x.isNumber()) badArgument(spelling(fn), x);
    // A scalar computes in its result type: int abs in i64, an int's sqrt in f64, f32 in f32.
    switch (planformat::mathOperand(fn, elemTypeOf(x)).compute) {
    case ElemType::I64: return Value::integer(applyMath(fn, x.asInt()));
    case ElemType::F32: return Value::float32(applyMath(fn, x.asF32()));
    default: return Value::float64(applyMath(fn, x.number()));
    }
}

/// clamp(x, lo, hi) = x < lo ? lo : (hi < x ? hi : x), in x's type (NaN stays NaN).
Value clamp(const Value& x, const Value& lo, const Value& hi) {
    if (x.is(K::Tensor)) return Value::tensor(tensorClamp(x.asTensor(), lo, hi));
    if (x.is(K::Quantity)) {
        if (!lo.is(K::Quantity) || !hi.is(K::Quantity)) throw EvalError("clamp of a quantity takes quantity bounds");
        const double v = x.asQuantity().value, a = lo.asQuantity().value, b = hi.asQuantity().value;
        return Value::quantity(x.asQuantity().kind, v < a ? a : (b < v ? b : v));
    }
    if (!x.isNumber() || !lo.isNumber() || !hi.isNumber()) badArgument("clamp", x);
    if (x.is(K::Int) && lo.is(K::Int) && hi.is(K::Int)) {
        const int64_t v = x.asInt(), a = lo.asInt(), b = hi.asInt();
        return Value::integer(v < a ? a : (b < v ? b : v));
    }
    if (x.is(K::F32)) {
        const float v = x.asF32(), a = static_cast<float>(lo.number()), b = static_cast<float>(hi.number());
        return Value::float32(v < a ? a : (b < v ? b : v));
    }
    const double v = x.number(), a = lo.number(), b = hi.number();
    const double r = v < a ? a : (b < v ? b : v);
    return x.is(K::Int) ? Value::integer(convertElement<int64_t>(r)) : Value::float64(r);
}

int64_t codePoints(const std::string& s) {
    int64_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count all but continuation bytes
    return n;
}

}  // namespace

void notPure(const std::string& what) {
    throw EvalError(what + " is not available in a pure evaluation: it needs the runtime's context");
}

bool isPureBuiltin(const std::string& name) {
    static const char* names[] = {"sum", "mean", "max", "min", "count", "argmax", "shape", "len",
                                  "abs", "sqrt", "exp", "log", "clamp", "zeros", "noise", "shell_quote"};
    return std::find_if(std::begin(names), std::end(names), [&](const char* n) { return name == n; }) != std::end(names);
}

Value callBuiltin(const std::string& name, const Args& args) {
    if (name == "sum" || name == "mean" || name == "max" || name == "min" || name == "count" || name == "argmax") {
        if ((name == "max" || name == "min") && args.size() == 2) return pick(name, args[0], args[1]);
        arity(name, args, 1);
        if (args[0].is(K::Tensor)) return reduceTensor(name, args[0].asTensor());
        if (args[0].is(K::List)) return reduceList(name, args[0].asList());
        badArgument(name, args[0]);
    }
    if (name == "shape") {
        arity(name, args, 1);
        if (!args[0].is(K::Tensor)) badArgument(name, args[0]);
        std::vector<Value> dims;
        for (int64_t d : args[0].asTensor().dims) dims.push_back(Value::integer(d));
        return Value::list(std::move(dims));
    }
    if (name == "len") {
        arity(name, args, 1);
        if (args[0].is(K::List)) return Value::integer(static_cast<int64_t>(args[0].asList().size()));
        if (args[0].is(K::String)) return Value::integer(codePoints(args[0].asString()));
        badArgument(name, args[0]);
    }
    if (MathBuiltin fn; planformat::parseMathBuiltin(name, fn)) {
        arity(name, args, 1);
        return math(fn, args[0]);
    }
    if (name == "shell_quote") {
        arity(name, args, 1);
        if (!args[0].is(K::String)) badArgument(name, args[0]);
        return Value::string(shellQuote(args[0].asString()));
    }
    if (name == "clamp") {
        arity(name, args, 3);
        return clamp(args[0], args[1], args[2]);
    }
    if (name == "seq") notPure("'seq' (the sequence number of a stream item)");
    notPure("'" + name + "'");
}

Value zerosOf(ElemType elem, const std::vector<int64_t>& dims) { return Value::tensor(Tensor::zeros(elem, dims)); }

Value noiseOf(ElemType elem, const std::vector<int64_t>& dims, int64_t seed) {
    if (!isFloatElem(elem)) throw EvalError(std::string("noise of a tensor<") + spelling(elem) + ">: it needs f32 or f64");
    Tensor t = Tensor::zeros(elem, dims);
    if (elem == ElemType::F32) fillNormal(seed, 0, t.data<float>(), t.count());
    else fillNormal(seed, 0, t.data<double>(), t.count());
    return Value::tensor(std::move(t));
}

}  // namespace xdml::runtime
