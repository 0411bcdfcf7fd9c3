// Operators.h — XDML's unary and binary operators on values (LANGUAGE.md §1, §2, §6):
// numbers (int meeting float becomes float, f32 meeting int stays f32, f32 meeting float
// becomes float; on two ints `/` and `%` truncate as in C and wrap on overflow), quantities
// (same-kind `+ - %` and comparisons, times or divided by a number keeps the kind, the ratio
// of two is a float), bools, strings (comparisons), `none` (equality), and tensors
// (Elementwise.h). Throws EvalError for a combination the language does not define.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

namespace xdml::runtime {

/// `a op b`, both sides evaluated (the evaluator short-circuits scalar `and` and `or`).
Value applyBinary(BinaryOperator op, const Value& a, const Value& b);
Value applyNegate(const Value& v);
Value applyNot(const Value& v);

/// The arithmetic type two numbers meet in: Int, Float or F32.
Value::Kind numericJoin(const Value& a, const Value& b);

}  // namespace xdml::runtime
