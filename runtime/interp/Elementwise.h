// Elementwise.h — arithmetic, comparison and math on tensors, elementwise, with a scalar
// broadcast to every element (LANGUAGE.md §2, §6).
//
// Which type an operation computes in, so the interpreter and the JIT agree to the bit:
// - a bool tensor in arithmetic counts as f32 zeros and ones;
// - two tensors (of one shape) compute in the promoted element type (bool < u8 < u16 < i32 <
//   i64 < f32 < f64);
// - a float tensor meeting a scalar: the scalar is rounded to the element type and the
//   operation runs in it (f32 tensor * 0.1 multiplies by 0.1f, as a vectorised kernel does);
// - an integer tensor meeting an int scalar computes in int64; meeting a float scalar, in f64;
//   either way the result is converted back to the tensor's element type (int to int wraps,
//   float to int truncates toward zero and saturates);
// - integer arithmetic wraps on overflow; integer `/` and `%` truncate as in C, and by zero
//   they are an EvalError; float `%` is fmod;
// - comparisons give bool tensors; `and`, `or`, `not` take bool tensors.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

namespace xdml::runtime {

/// `a op b` where a or b (or both) is a tensor and the other a number or bool.
Tensor tensorBinary(BinaryOperator op, const Value& a, const Value& b);
Tensor tensorNegate(const Tensor& t);
Tensor tensorNot(const Tensor& t);

enum class MathFn { Abs, Sqrt, Exp, Log };
/// abs keeps the element type; sqrt, exp and log keep float element types and give f64 for
/// integer ones.
Tensor tensorMath(MathFn fn, const Tensor& t);
/// clamp(t, lo, hi) elementwise, lo and hi numbers, computed as `t op scalar` would be.
Tensor tensorClamp(const Tensor& t, const Value& lo, const Value& hi);

}  // namespace xdml::runtime
