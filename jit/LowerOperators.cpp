// LowerOperators.cpp — operators and built-ins of kernels, by the rules of the interpreter's
// Operators.cpp (scalars), Elementwise.cpp (tensors) and Builtins.cpp; where the interpreter
// always raises an error the kernel is Unsupported, so the interpreter raises it.
#include "jit/ElementOps.h"
#include "jit/Lowerer.h"

#include <llvm/IR/Intrinsics.h>

#include <cmath>

namespace xdml::jit {

using Op = runtime::BinaryOperator;
using Kind = JitValue::Kind;

namespace {

bool isFloat(ElemType e) { return runtime::isFloatElem(e); }

}  // namespace

GeneratorPtr Lowerer::mapped(const GeneratorPtr& g, ElemType elem, std::function<llvm::Value*(llvm::Value*)> f) {
    auto out = std::make_shared<Generator>();
    out->elem = elem;
    out->dims = g->dims;
    out->at = [g, f = std::move(f)](llvm::Value* i, unsigned width) { return f(g->at(i, width)); };
    return out;
}

JitValue Lowerer::binary(Op op, const JitValue& a, const JitValue& b) {
    if (a.kind == Kind::Record || b.kind == Kind::Record) throw Unsupported("an operator on records");
    if (a.kind == Kind::Tensor || b.kind == Kind::Tensor) return tensorBinary(op, a, b);
    return scalarBinary(op, a, b);
}

JitValue Lowerer::scalarBinary(Op op, const JitValue& a, const JitValue& b) {
    if (isLogical(op)) {  // on bools; the short-circuit forms are lowered before they get here
        if (!a.isScalar(ElemType::Bool) || !b.isScalar(ElemType::Bool)) throw Unsupported("'and'/'or' on numbers");
        return JitValue::of(ElemType::Bool, elemBinary(b_, op, ElemType::Bool, a.scalar, b.scalar));
    }
    if (a.isNumber() && b.isNumber()) {
        const ElemType join = planformat::scalarJoin(a.elem, b.elem);
        llvm::Value* x = convertElem(b_, a.scalar, a.elem, join);
        llvm::Value* y = convertElem(b_, b.scalar, b.elem, join);
        llvm::Value* r = elemBinary(b_, op, join, x, y);
        return JitValue::of(isComparison(op) ? ElemType::Bool : join, r);
    }
    if (a.isScalar(ElemType::Bool) && b.isScalar(ElemType::Bool) && (op == Op::Eq || op == Op::Ne))
        return JitValue::of(ElemType::Bool, elemBinary(b_, op, ElemType::Bool, a.scalar, b.scalar));
    throw Unsupported(std::string("'") + runtime::spelling(op) + "' on these operands");
}

JitValue Lowerer::tensorBinary(Op op, const JitValue& a, const JitValue& b) {
    const bool ta = a.kind == Kind::Tensor, tb = b.kind == Kind::Tensor;
    const bool cmp = isComparison(op), logical = isLogical(op);
    const Generator& t = ta ? *a.tensor : *b.tensor;
    planformat::ElementwiseTypes types;  // the one rule of planformat/OperatorTypes.h
    if (ta && tb) {
        const Generator& u = *b.tensor;
        if (t.dims.size() != u.dims.size()) throw Unsupported("tensors of different ranks");
        llvm::Value* same = b_.ir.getTrue();
        for (std::size_t d = 0; d < t.dims.size(); ++d) same = b_.ir.CreateAnd(same, b_.ir.CreateICmpEQ(t.dims[d], u.dims[d]));
        b_.check(same, "shapes.ok");
        types = planformat::tensorOperands(op, t.elem, u.elem);
    } else {
        const JitValue& s = ta ? b : a;
        if (s.kind != Kind::Scalar) throw Unsupported("a tensor meets a record");
        types = planformat::tensorScalarOperands(op, t.elem, s.elem);
    }
    const ElemType compute = types.compute;
    if (!types.defined()) throw Unsupported("'and'/'or' on number tensors");
    if (!cmp && !logical && compute == ElemType::Bool) throw Unsupported("arithmetic on bool elements");

    // A scalar operand is converted once, before the loop (scalarTensor's rules).
    auto side = [&](const JitValue& v) -> std::function<llvm::Value*(llvm::Value*, unsigned)> {
        if (v.kind == Kind::Tensor) {
            GeneratorPtr g = v.tensor;
            return [this, g, compute](llvm::Value* i, unsigned w) { return convertElem(b_, g->at(i, w), g->elem, compute); };
        }
        llvm::Value* s = convertElem(b_, v.scalar, v.elem, compute);
        return [this, s](llvm::Value*, unsigned w) { return b_.splat(s, w); };
    };
    auto x = side(a), y = side(b);
    // The interpreter computes every element, so a zero divisor anywhere is its error, even
    // where the kernel reads only some elements (a slice, an index): check them all up front.
    const bool integerDivision = compute == ElemType::I64 && (op == Op::Div || op == Op::Mod);
    if (integerDivision) {
        if (tb) {
            GeneratorPtr divisor = b.tensor;
            b_.whenTaken([&] {
                emitLoop(b_, elementCount(b_, *divisor), [&](llvm::Value* i, unsigned w) {
                    llvm::Value* d = convertElem(b_, divisor->at(i, w), divisor->elem, compute);
                    llvm::Value* zero = b_.ir.CreateICmpEQ(d, llvm::Constant::getNullValue(d->getType()));
                    b_.check(b_.ir.CreateNot(w == 1 ? zero : b_.ir.CreateOrReduce(zero)), "divisors.ok");
                });
            });
        } else {
            llvm::Value* none = b_.ir.CreateICmpEQ(elementCount(b_, t), b_.i64(0));
            b_.check(b_.ir.CreateOr(none, b_.ir.CreateICmpNE(y(nullptr, 1), b_.i64(0))), "divisor.ok");
        }
    }
    const ElemType out = types.result;
    auto g = std::make_shared<Generator>();
    g->elem = out;
    g->dims = t.dims;
    g->at = [this, x, y, op, compute, out, integerDivision](llvm::Value* i, unsigned w) {
        llvm::Value* r = elemBinary(b_, op, compute, x(i, w), y(i, w), integerDivision);
        return out == ElemType::Bool || out == compute ? r : convertElem(b_, r, compute, out);
    };
    return JitValue::of(std::move(g));
}

JitValue Lowerer::negate(const JitValue& v) {
    if (v.kind == Kind::Tensor) {  // 0 - t, as the interpreter computes it
        if (v.elem == ElemType::Bool) throw Unsupported("'-' on a bool tensor");
        return tensorBinary(Op::Sub, JitValue::of(ElemType::I64, b_.i64(0)), v);
    }
    if (!v.isNumber()) throw Unsupported("'-' on this operand");
    if (v.elem == ElemType::I64) return JitValue::of(ElemType::I64, b_.ir.CreateSub(b_.i64(0), v.scalar));
    return JitValue::of(v.elem, b_.ir.CreateFNeg(v.scalar));
}

JitValue Lowerer::logicalNot(const JitValue& v) {
    if (v.kind == Kind::Tensor && v.elem == ElemType::Bool)
        return tensorBinary(Op::Eq, v, JitValue::of(ElemType::Bool, b_.ir.getFalse()));
    if (!v.isScalar(ElemType::Bool)) throw Unsupported("'not' on this operand");
    return JitValue::of(ElemType::Bool, b_.ir.CreateNot(v.scalar));
}

JitValue Lowerer::math(planformat::MathBuiltin fn, const JitValue& x) {
    using planformat::MathBuiltin;
    auto apply = [this, fn](llvm::Value* v, ElemType e) -> llvm::Value* {
        b_.countOperation();
        const bool f32 = e == ElemType::F32;
        switch (fn) {
        case MathBuiltin::Abs: return b_.ir.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, v);
        case MathBuiltin::Sqrt: return b_.ir.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, v);
        case MathBuiltin::Exp: return b_.callLibm(f32 ? "expf" : "exp", v);
        case MathBuiltin::Log: return b_.callLibm(f32 ? "logf" : "log", v);
        }
        throw Unsupported(std::string("the built-in '") + spelling(fn) + "'");
    };
    auto absInt = [this](llvm::Value* v) {  // wraps: abs of INT64_MIN is itself
        llvm::Value* zero = llvm::Constant::getNullValue(v->getType());
        return b_.ir.CreateSelect(b_.ir.CreateICmpSLT(v, zero), b_.ir.CreateSub(zero, v), v);
    };
    if (x.kind == Kind::Tensor && x.elem == ElemType::Bool) throw Unsupported("math on a bool tensor");
    if (x.kind != Kind::Tensor && !x.isNumber()) throw Unsupported(std::string("'") + spelling(fn) + "' of this operand");
    // The types of planformat/OperatorTypes.h, the interpreter's and the checker's: only abs
    // computes in i64, everything else in a float type.
    const planformat::MathTypes types = planformat::mathOperand(fn, x.elem);
    const ElemType from = x.elem;
    auto one = [this, types, from, apply, absInt](llvm::Value* v) {
        llvm::Value* c = convertElem(b_, v, from, types.compute);
        c = types.compute == ElemType::I64 ? absInt(c) : apply(c, types.compute);
        return convertElem(b_, c, types.compute, types.result);
    };
    if (x.kind == Kind::Tensor) return JitValue::of(mapped(x.tensor, types.result, one));
    return JitValue::of(types.result, one(x.scalar));
}

JitValue Lowerer::clamp(const JitValue& x, const JitValue& lo, const JitValue& hi) {
    auto clampIn = [this](ElemType c, llvm::Value* v, llvm::Value* a, llvm::Value* h) {
        llvm::Value* below = isFloat(c) ? b_.ir.CreateFCmpOLT(v, a) : b_.ir.CreateICmpSLT(v, a);
        llvm::Value* above = isFloat(c) ? b_.ir.CreateFCmpOLT(h, v) : b_.ir.CreateICmpSLT(h, v);
        return b_.ir.CreateSelect(below, a, b_.ir.CreateSelect(above, h, v));
    };
    if (!lo.isNumber() || !hi.isNumber()) throw Unsupported("clamp with bounds that are not numbers");
    if (x.kind == Kind::Tensor) {
        const ElemType e = x.elem;
        if (e == ElemType::Bool) throw Unsupported("clamp of a bool tensor");
        const ElemType c = isFloat(e) ? e : isFloat(lo.elem) || isFloat(hi.elem) ? ElemType::F64 : ElemType::I64;
        llvm::Value* a = convertElem(b_, lo.scalar, lo.elem, c);
        llvm::Value* h = convertElem(b_, hi.scalar, hi.elem, c);
        return JitValue::of(mapped(x.tensor, e, [this, e, c, a, h, clampIn](llvm::Value* v) {
            const unsigned w = v->getType()->isVectorTy() ? kLanes : 1;
            return convertElem(b_, clampIn(c, convertElem(b_, v, e, c), b_.splat(a, w), b_.splat(h, w)), c, e);
        }));
    }
    if (!x.isNumber()) throw Unsupported("clamp of this operand");
    if (x.elem == ElemType::I64 && lo.elem == ElemType::I64 && hi.elem == ElemType::I64)
        return JitValue::of(ElemType::I64, clampIn(ElemType::I64, x.scalar, lo.scalar, hi.scalar));
    const ElemType c = x.elem == ElemType::F32 ? ElemType::F32 : ElemType::F64;
    llvm::Value* r = clampIn(c, convertElem(b_, x.scalar, x.elem, c), convertElem(b_, lo.scalar, lo.elem, c),
                             convertElem(b_, hi.scalar, hi.elem, c));
    if (x.elem == ElemType::I64) return JitValue::of(ElemType::I64, convertElem(b_, r, ElemType::F64, ElemType::I64));
    return JitValue::of(c, r);
}

JitValue Lowerer::pick(const std::string& name, const JitValue& a, const JitValue& b) {
    if (!a.isNumber() || !b.isNumber()) throw Unsupported("'" + name + "' of these operands");
    const bool takeMax = name == "max";
    auto& ir = b_.ir;
    if (a.elem == ElemType::I64 && b.elem == ElemType::I64)
        return JitValue::of(ElemType::I64, takeMax ? ir.CreateSelect(ir.CreateICmpSLT(a.scalar, b.scalar), b.scalar, a.scalar)
                                                   : ir.CreateSelect(ir.CreateICmpSLT(b.scalar, a.scalar), b.scalar, a.scalar));
    const ElemType c = a.elem == ElemType::F64 || b.elem == ElemType::F64 ? ElemType::F64 : ElemType::F32;
    llvm::Value* x = convertElem(b_, a.scalar, a.elem, c);
    llvm::Value* y = convertElem(b_, b.scalar, b.elem, c);
    // std::max(x, y) is x < y ? y : x; std::min(x, y) is y < x ? y : x; a NaN operand gives NAN.
    llvm::Value* r = takeMax ? ir.CreateSelect(ir.CreateFCmpOLT(x, y), y, x) : ir.CreateSelect(ir.CreateFCmpOLT(y, x), y, x);
    llvm::Value* nan = ir.CreateFCmpUNO(x, y);
    llvm::Type* t = b_.elemType(c);
    return JitValue::of(c, ir.CreateSelect(nan, llvm::ConstantFP::get(t, c == ElemType::F32 ? double(NAN) : double(NAN)), r));
}

JitValue Lowerer::builtin(const std::string& name, const std::vector<JitValue>& args) {
    if (name == "sum" || name == "mean" || name == "max" || name == "min" || name == "count" || name == "argmax") {
        if ((name == "max" || name == "min") && args.size() == 2) return pick(name, args[0], args[1]);
        if (args.size() != 1 || args[0].kind != Kind::Tensor) throw Unsupported("'" + name + "' of this operand");
        const ElemType type = name == "count" || name == "argmax" ? ElemType::I64 : ElemType::F64;
        const Generator& g = *args[0].tensor;
        llvm::Value* r = b_.whenTakenValue(b_.elemType(type), [&] { return emitReduction(b_, name, g); });
        return JitValue::of(type, r);
    }
    if (planformat::MathBuiltin fn; planformat::parseMathBuiltin(name, fn)) {
        if (args.size() != 1) throw Unsupported("'" + name + "' with " + std::to_string(args.size()) + " arguments");
        return math(fn, args[0]);
    }
    if (name == "clamp") {
        if (args.size() != 3) throw Unsupported("'clamp' with " + std::to_string(args.size()) + " arguments");
        return clamp(args[0], args[1], args[2]);
    }
    throw Unsupported("the built-in '" + name + "'");
}

}  // namespace xdml::jit
