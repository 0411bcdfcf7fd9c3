// Firing.h — one execution of a handler's body, or of a task's body inside a task call: the
// statement interpreter of LANGUAGE.md §4. Statements run in program order on the handler's
// thread, except that a `let` bound to a task call only submits the task: independent calls
// run at the same time, and a statement that reads the value waits for it. Effects (emit,
// record, log) therefore keep program order, and a firing ends when all its tasks have.
//
// Every expression is evaluated at the site the plan placed its node (found by its source
// position); the values it reads are moved there first (Run::moveTo).
#pragma once

#include "runtime/engine/Pending.h"
#include "runtime/engine/Run.h"
#include "runtime/interp/Evaluate.h"

#include <optional>
#include <string>
#include <vector>

namespace xdml::runtime {

inline bool isTaskCall(const Expr& e) {
    return e.op == Expr::Op::Call && e.binding == NameBinding::OtherGlobal && e.declares == "task";
}
inline bool isLocalName(const Expr& e) { return e.op == Expr::Op::Name && e.binding == NameBinding::Local; }

class Firing : public EffectHost {
public:
    /// `handler`: the plan's handler; `site`: where the body runs by default.
    Firing(Run& run, int handler, std::string site, int64_t seq, int64_t activity);

    void bind(const std::string& name, DatumPtr d);
    /// Runs a handler's body. Throws EvalError, TaskFailure or DataError on a failure.
    void runHandler(const std::vector<Stmt>& body);
    /// Runs a task's body with its parameters bound; the value of its `return`.
    DatumPtr runTask(const TaskDecl& task, int line);

    std::optional<Value> call(const Expr& call, const Scope& scope, Evaluator& evaluator) override;
    std::optional<Value> global(const Expr& name, const Scope& scope) override;

private:
    void block(const std::vector<Stmt>& stmts);
    /// Emits and records, once their value is known (in program order).
    void effect(const Stmt& s, const DatumPtr& value);
    void applyDeferred();
    void statement(const Stmt& s);
    /// The value of `e`, evaluated at the site of its node (or the firing's site).
    DatumPtr value(const Expr& e);
    DatumPtr evaluateAt(const Expr& e, const std::string& site);
    /// Starts a task call; the result arrives later.
    /// `needNow`: the caller waits at once (run it here if the site has room); `as`: the
    /// declared type of the `let` it is bound to.
    Pending startTask(const Expr& call, bool needNow = false, const TypeDesc* as = nullptr);
    DatumPtr local(const std::string& name);
    std::string siteOf(const std::string& at) const;
    /// Waits for every task this firing started (so a firing ends after its tasks).
    void settle();

    Run& run_;
    int handler_;
    std::string site_;       // the default site of this body
    std::string evalSite_;   // the site of the expression being evaluated
    int64_t seq_;
    int64_t activity_;       // the handler's or task's activity
    bool inTask_ = false;
    std::vector<std::pair<std::string, Pending>> locals_;
    std::vector<Pending> started_;
    std::vector<std::pair<const Stmt*, Pending>> deferred_;  // effects waiting for their task
    std::optional<DatumPtr> returned_;
    Evaluator evaluator_;
};

/// Calls `task` with `args` as one activity at `site` (on the caller's thread): provenance,
/// retries, persistence at -O0, deadline checks. Throws TaskFailure when it fails for good.
DatumPtr executeTask(Run& run, const TaskDecl& task, const std::vector<DatumPtr>& args, const std::string& site,
                     const EffectivePolicy& policy, const NodeInfo* node, int handler, int64_t seq, int line,
                     double submitted);

}  // namespace xdml::runtime
