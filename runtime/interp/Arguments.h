// Arguments.h — which argument of a call goes to which parameter: named arguments to the
// parameter of that name, the others fill the rest in order. One rule for fn calls (the
// interpreter and the JIT's inlining) and task calls.
#pragma once

#include "runtime/interp/Program.h"

#include <cstddef>
#include <vector>

namespace xdml::runtime {

struct BoundArguments {
    std::vector<const Expr*> byParam;  // the argument of each parameter
    std::vector<std::size_t> order;    // the parameter of each argument, as written (evaluate in this order)
};

/// Throws EvalError (with the call's line) for an unknown or extra argument, or a parameter
/// left without one.
BoundArguments bindArguments(const Expr& call, const std::vector<Param>& params);

}  // namespace xdml::runtime
