// Builtins.h — the pure built-ins of LANGUAGE.md §6 on evaluated arguments: sum mean max min
// count argmax (of a tensor or a list; max and min also of two scalars), shape len abs sqrt
// exp log clamp shell_quote, and zeros and noise once their type argument is resolved. Float
// reductions go through runtime/numerics/Reductions.h, so the interpreter and the JIT agree to the bit.
//
// `seq` and the built-ins with effects or run-time state (now, read, write, exists, size, sh,
// probs, accuracy, version, count of a catalog, calling a model) need the runtime's context,
// which a pure evaluation does not have: they are an EvalError saying so.
#pragma once

#include "runtime/values/Value.h"

#include <string>
#include <vector>

namespace xdml::runtime {

/// True for the built-ins callBuiltin evaluates (zeros and noise go through zerosOf/noiseOf).
bool isPureBuiltin(const std::string& name);
Value callBuiltin(const std::string& name, const std::vector<Value>& args);

Value zerosOf(ElemType elem, const std::vector<int64_t>& dims);
/// Element i is runtime::normalAt(seed, i) rounded to the element type (f32 or f64).
Value noiseOf(ElemType elem, const std::vector<int64_t>& dims, int64_t seed);

/// The error for a built-in that needs run-time context.
[[noreturn]] void notPure(const std::string& what);

}  // namespace xdml::runtime
