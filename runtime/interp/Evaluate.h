// Evaluate.h — the interpreter of pure code: evaluates a plan's expressions and calls its fns
// (LANGUAGE.md §6), with the operators of Operators.h and the built-ins of Builtins.h.
//
// A pure evaluation has no run-time context: `seq`, `now`, the effectful standard library
// (sh, read, write, exists, size), models and catalogs (calling a model, probs, accuracy,
// version, count of a catalog), tasks, training metrics and `classified by` types are an
// EvalError that says so. Faults of the program (division by zero, an index out of bounds,
// fn calls nested deeper than kMaxCallDepth) are EvalErrors with the line; a malformed plan
// is a PlanError. Nothing here crashes on bad input.
#pragma once

#include "runtime/interp/CompiledCode.h"
#include "runtime/interp/EvalError.h"
#include "runtime/interp/Program.h"
#include "runtime/values/Value.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xdml::runtime {

/// The names an expression sees besides the program's globals: locals and `it`.
class Scope {
public:
    void bind(const std::string& name, Value v);
    const Value* find(const std::string& name) const;

    std::optional<Value> it;  // the item a refinement predicate tests

private:
    std::vector<std::pair<std::string, Value>> locals_;  // few, so a vector beats a map
};

class Evaluator;

/// What a running flow lends the evaluator beyond pure code: task and model calls, catalogs,
/// `seq`, `now` and the effectful standard library. A pure evaluation has none.
class EffectHost {
public:
    virtual ~EffectHost() = default;
    /// Makes a call the evaluator cannot make itself (a task, a model, or a built-in that needs
    /// the run: seq, now, count of a catalog, sh, read, write, exists, size, probs, accuracy,
    /// version). nullopt declines it: the call is then the pure evaluation's error.
    virtual std::optional<Value> call(const Expr& call, const Scope& scope, Evaluator& evaluator) = 0;
    /// The value of a global that is not a const (a training metric inside `until`, say).
    virtual std::optional<Value> global(const Expr& name, const Scope& scope) = 0;
};

/// Evaluates expressions of one Program. Consts are evaluated on first use and kept, so an
/// Evaluator is not shared between threads: give each worker its own.
class Evaluator {
public:
    static constexpr int kMaxCallDepth = 200;

    /// `compiled`: fns, predicates and kernels the JIT compiled, tried before interpreting.
    explicit Evaluator(const Program& program, EffectHost* host = nullptr, const CompiledCode* compiled = nullptr)
        : program_(program), host_(host), compiled_(compiled) {}

    const Program& program() const { return program_; }
    /// How many expression nodes it evaluated (a compiled kernel counts as one): what
    /// `--stats-json` reports as expressions_evaluated, so the passes' removals can be seen.
    uint64_t evaluated() const { return evaluated_; }

    Value evaluate(const Expr& e, const Scope& scope);
    /// Calls the fn `name` with arguments in parameter order.
    Value call(const std::string& name, std::vector<Value> args);
    /// Calls `fn` by the interpreter alone (what the JIT's results are checked against).
    Value interpret(const FnDecl& fn, std::vector<Value> args);
    /// The value of the const `name`.
    Value constant(const std::string& name);
    /// Whether `item` is of the refinement type `typeName` (its `where` predicate holds); true
    /// for a type without a predicate. A `classified by` type needs a model: an EvalError.
    bool refines(const std::string& typeName, const Value& item);
    /// Whether the `where` predicate of `t` itself holds for `item` (true without one); its
    /// base types are not tested.
    bool holds(const TypeDecl& t, const std::string& typeName, const Value& item);

private:
    uint64_t evaluated_ = 0;
    Value evaluateNode(const Expr& e, const Scope& scope);
    Value name(const Expr& e, const Scope& scope);
    Value callExpr(const Expr& e, const Scope& scope);
    Value builtin(const Expr& e, const Scope& scope);
    Value index(const Expr& e, const Scope& scope);

    const Program& program_;
    EffectHost* host_;
    const CompiledCode* compiled_;
    std::map<std::string, Value> consts_;
    std::set<std::string> constsUnderway_;  // to report a const defined by itself
    int depth_ = 0;
};

}  // namespace xdml::runtime
