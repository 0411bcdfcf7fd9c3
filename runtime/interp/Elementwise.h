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

#include <cmath>
#include <type_traits>

namespace xdml::runtime {

/// `a op b` where a or b (or both) is a tensor and the other a number or bool.
Tensor tensorBinary(BinaryOperator op, const Value& a, const Value& b);
Tensor tensorNegate(const Tensor& t);
Tensor tensorNot(const Tensor& t);

/// A math built-in (abs sqrt exp log), as the plan names it (planformat/PlanVocabulary.h).
using MathBuiltin = planformat::MathBuiltin;
/// fn(t) elementwise, in the types planformat::mathOperand gives: abs keeps the element type;
/// sqrt, exp and log keep float element types and give f64 for integer ones.
Tensor tensorMath(MathBuiltin fn, const Tensor& t);

/// fn(x) computed in T. An integer T is only ever abs's (mathOperand): the absolute value,
/// wrapping at the least value as int `-` does.
template <typename T>
T applyMath(MathBuiltin fn, T x) {
    if constexpr (std::is_floating_point_v<T>) {
        switch (fn) {
        case MathBuiltin::Abs: return std::fabs(x);
        case MathBuiltin::Sqrt: return std::sqrt(x);
        case MathBuiltin::Exp: return std::exp(x);
        case MathBuiltin::Log: return std::log(x);
        }
        return x;
    } else if constexpr (std::is_signed_v<T>) {
        return x < 0 ? static_cast<T>(0 - static_cast<std::make_unsigned_t<T>>(x)) : x;
    } else {
        return x;  // unsigned and bool: abs is the identity
    }
}
/// clamp(t, lo, hi) elementwise, lo and hi numbers, computed as `t op scalar` would be.
Tensor tensorClamp(const Tensor& t, const Value& lo, const Value& hi);

}  // namespace xdml::runtime
