// OperatorTypes.h — the type an operator gives, and the type it computes in, for tensor
// elements and numeric scalars: one rule that the checker (compiler/sema), the interpreter
// (runtime/interp) and the JIT (jit/) all follow, so checked types, interpreted results and
// compiled results agree to the bit.
//
// - a bool tensor in arithmetic counts as f32 zeros and ones;
// - two tensors (of one shape) compute in the promoted element type (bool < u8 < i16 < u16 <
//   i32 < u32 < i64 < f32 < f64, except that a signed type meeting an unsigned one at least as
//   wide takes the next wider signed type, as NumPy does: i16 and u16 give i32, i32 and u32
//   give i64), integers widened to i64;
// - a float tensor meeting a scalar: the scalar is rounded to the element type and the
//   operation runs in it (f32 tensor * 0.1 multiplies by 0.1f, as a vectorised kernel does);
// - an integer tensor meeting an int scalar computes in i64; meeting a float scalar, in f64;
//   either way the result has the tensor's element type;
// - comparisons give bool elements; `and` and `or` are defined on bool elements only;
// - two numeric scalars: int with int gives int, else float if either is, else f32.
// The math built-ins (abs, sqrt, exp, log: XDML_MATH_BUILTINS) follow one rule on a tensor's
// elements and on a scalar alike: abs keeps the type, computing integers in i64 (so it wraps
// at the least value); sqrt, exp and log keep a float type and give f64 for an integer one;
// none is defined on bool.
#pragma once

#include "planformat/PlanVocabulary.h"

namespace xdml::planformat {

/// ==, !=, <, <=, >, >=.
bool isComparison(BinaryOperator op);
/// and, or.
bool isLogical(BinaryOperator op);

/// The element type two tensors' elements meet in (the rule above).
ElemType promote(ElemType a, ElemType b);

struct ElementwiseTypes {
    BinaryOperator op;
    ElemType compute;  // both operands are converted to it and the operator runs in it
    ElemType result;   // the result's element type: bool for comparisons, `and` and `or`
    /// False for `and`/`or` on number elements, the one case no rule defines.
    bool defined() const;
};

/// `a op b` of two tensors (of one shape) with element types `a` and `b`.
ElementwiseTypes tensorOperands(BinaryOperator op, ElemType a, ElemType b);
/// `t op s` or `s op t`: a tensor of element type `tensor` and a scalar, given as the element
/// type it is (i64 for an int, f64 for a float, f32 for an f32, bool for a bool).
ElementwiseTypes tensorScalarOperands(BinaryOperator op, ElemType tensor, ElemType scalar);

/// What two numeric scalars (i64 for int, f64 for float, f32) compute in: int with int is
/// int, else float if either is, else f32. Comparisons then give bool, arithmetic this type.
ElemType scalarJoin(ElemType a, ElemType b);

struct MathTypes {
    MathBuiltin fn;
    ElemType compute;  // the argument is converted to it and the function runs in it
    ElemType result;   // then converted to this
    bool defined;      // false for bool
};

/// `fn(x)` for x a tensor of element type `arg`, or a numeric scalar given as the element
/// type it is (i64 for an int, f64 for a float, f32 for an f32).
MathTypes mathOperand(MathBuiltin fn, ElemType arg);

/// abs of a quantity is a quantity of the same kind; sqrt, exp and log take no quantities.
bool takesQuantity(MathBuiltin fn);

}  // namespace xdml::planformat
