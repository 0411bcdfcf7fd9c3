// CompiledCode.h — what the evaluator asks of compiled code (the JIT, jit/Kernels.h) before it
// interprets: a fn call, a refinement predicate, a kernel expression. Every answer may be
// "not compiled" (nullopt): the kernel is not ready yet, was not compiled, or met something the
// interpreter must report; the evaluator then interprets, with the same result.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

#include <optional>
#include <vector>

namespace xdml::runtime {

class Scope;

class CompiledCode {
public:
    virtual ~CompiledCode() = default;
    /// `fn` applied to `args` (in parameter order, conformed to the parameters' types).
    virtual std::optional<Value> callFn(const FnDecl& fn, const std::vector<Value>& args) const = 0;
    /// Whether `item` satisfies the `where` of `type` itself (its supertypes are not tested).
    virtual std::optional<bool> where(const TypeDecl& type, const Value& item) const = 0;
    /// The value of a kernel expression (Expr::kernel) with its locals from `scope`.
    virtual std::optional<Value> evaluate(const Expr& e, const Scope& scope) const = 0;
};

}  // namespace xdml::runtime
