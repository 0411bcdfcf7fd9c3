// Elementwise.h — arithmetic, comparison and math on tensors, elementwise, with a scalar
// broadcast to every element (LANGUAGE.md §2, §6).
//
// Which type an operation computes in and gives is planformat/OperatorTypes.h's rule, the one
// the checker and the JIT follow too. Converting to the result's element type: int to int
// wraps, float to int truncates toward zero and saturates. Integer arithmetic wraps on
// overflow; integer `/` and `%` truncate as in C, and by zero they are an EvalError; float `%`
// is fmod; `not` takes bool tensors.
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
