// OperatorTypes.cpp — see OperatorTypes.h.
#include "planformat/OperatorTypes.h"

namespace xdml::planformat {

namespace {

/// The type integer elements compute in; floats and bools compute in their own type.
ElemType widened(ElemType e) { return isFloatElem(e) || e == ElemType::Bool ? e : ElemType::I64; }

/// The result's element type once the operands' promoted type is known.
ElemType resultOf(BinaryOperator op, ElemType promoted) {
    return isComparison(op) || isLogical(op) ? ElemType::Bool : promoted;
}

/// In arithmetic a bool element counts as an f32 zero or one.
ElemType asOperand(BinaryOperator op, ElemType e) {
    return !isComparison(op) && !isLogical(op) && e == ElemType::Bool ? ElemType::F32 : e;
}

}  // namespace

bool isComparison(BinaryOperator op) { return op >= BinaryOperator::Eq && op <= BinaryOperator::Ge; }

bool isLogical(BinaryOperator op) { return op == BinaryOperator::And || op == BinaryOperator::Or; }

namespace {

/// Place in the promotion order bool < u8 < i16 < u16 < i32 < u32 < i64 < f32 < f64 (the
/// enumerators' order is their encoding's, so the order is spelled out here).
int promotionRank(ElemType e) {
    switch (e) {
    case ElemType::Bool: return 0;
    case ElemType::U8: return 1;
    case ElemType::I16: return 2;
    case ElemType::U16: return 3;
    case ElemType::I32: return 4;
    case ElemType::U32: return 5;
    case ElemType::I64: return 6;
    case ElemType::F32: return 7;
    case ElemType::F64: return 8;
    }
    return 0;
}

}  // namespace

ElemType promote(ElemType a, ElemType b) {
    const ElemType later = promotionRank(a) >= promotionRank(b) ? a : b;
    const ElemType other = later == a ? b : a;
    // A signed type meeting an unsigned one at least as wide: neither holds the other's values.
    if (!isFloatElem(later) && !isSignedElem(later) && later != ElemType::Bool && isSignedElem(other) &&
        elemSize(later) >= elemSize(other))
        return elemSize(later) >= 4 ? ElemType::I64 : ElemType::I32;
    return later;
}

bool ElementwiseTypes::defined() const { return !isLogical(op) || compute == ElemType::Bool; }

ElementwiseTypes tensorOperands(BinaryOperator op, ElemType a, ElemType b) {
    const ElemType promoted = promote(asOperand(op, a), asOperand(op, b));
    return {op, widened(promoted), resultOf(op, promoted)};
}

ElementwiseTypes tensorScalarOperands(BinaryOperator op, ElemType tensor, ElemType scalar) {
    const ElemType elem = asOperand(op, tensor);
    ElemType compute;
    if (isFloatElem(elem)) compute = elem;
    else if (elem == ElemType::Bool && (isLogical(op) || scalar == ElemType::Bool)) compute = ElemType::Bool;
    else compute = isFloatElem(scalar) ? ElemType::F64 : ElemType::I64;
    return {op, compute, resultOf(op, elem)};
}

ElemType scalarJoin(ElemType a, ElemType b) {
    if (a == ElemType::I64 && b == ElemType::I64) return ElemType::I64;
    if (a == ElemType::F64 || b == ElemType::F64) return ElemType::F64;
    return ElemType::F32;
}

namespace {
enum class MathResult { SameType, Floating };

MathResult resultRule(MathBuiltin fn) {
    switch (fn) {
#define XDML_MATH_RULE(name, text, rule, doc) \
    case MathBuiltin::name: return MathResult::rule;
        XDML_MATH_BUILTINS(XDML_MATH_RULE)
#undef XDML_MATH_RULE
    }
    return MathResult::Floating;
}
}  // namespace

MathTypes mathOperand(MathBuiltin fn, ElemType arg) {
    if (arg == ElemType::Bool) return {fn, arg, arg, false};
    if (isFloatElem(arg)) return {fn, arg, arg, true};
    if (resultRule(fn) == MathResult::SameType) return {fn, ElemType::I64, arg, true};
    return {fn, ElemType::F64, ElemType::F64, true};
}

bool takesQuantity(MathBuiltin fn) { return resultRule(fn) == MathResult::SameType; }

}  // namespace xdml::planformat
