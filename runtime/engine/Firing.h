// Firing.h — one execution of a handler's body, or of a task's body inside a task call: the
// statement interpreter of LANGUAGE.md §4. Statements run in program order on the handler's
// thread, except that a `let` bound to a task call only submits the task: independent calls
// run at the same time, and a statement that reads the value waits for it. Effects (emit,
// record, log) therefore keep program order, and a firing ends when all its tasks have. A
// fused chain's statements (docs/plan.md) start as one request that runs them on a worker of
// the chain's site (runChain); the names they bind are its values.
//
// Every expression is evaluated at the site the plan placed its node (found by its source
// position); the values it reads are moved there first. A firing reads only the program and
// the plan; everything else — effects, task calls, moves, models — goes through its
// EffectSink, so a task's body can run where the run is not (TaskWorker.h).
#pragma once

#include "runtime/engine/Counter.h"
#include "runtime/engine/EffectSink.h"
#include "runtime/engine/Pending.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/interp/Evaluate.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xdml::runtime::python {
class PythonTasks;
}

namespace xdml::runtime {

inline bool isTaskCall(const Expr& e) {
    return e.op == Expr::Op::Call && e.binding == NameBinding::OtherGlobal && e.declares == DeclKind::Task;
}
inline bool isLocalName(const Expr& e) { return e.op == Expr::Op::Name && e.binding == NameBinding::Local; }

/// What a firing reads: the program, the plan, the JIT's code, the folder `sh` runs in.
struct FiringContext {
    const Program& program;
    const PlanModel& plan;
    const CompiledCode* compiled = nullptr;
    std::filesystem::path workdir;
    bool recordsFiles = false;  // provenance is on: files read and written are hashed for the sink
    /// Where each firing adds the expression nodes it evaluated (RunStats); null: not counted.
    Counter* evaluated = nullptr;
    /// The pools that run Python tasks' bodies here; null when the plan has none.
    python::PythonTasks* python = nullptr;
};

class Firing : public EffectHost {
public:
    /// `handler`: the plan's handler; `site`: where the body runs by default. `context` and
    /// `sink` outlive the firing.
    Firing(const FiringContext& context, EffectSink& sink, int handler, std::string site, int64_t seq);
    ~Firing();
    Firing(const Firing&) = delete;
    Firing& operator=(const Firing&) = delete;

    void bind(const std::string& name, DatumPtr d);
    /// Runs a handler's body. Throws EvalError, TaskFailure or DataError on a failure.
    void runHandler(const std::vector<Stmt>& body);
    /// runHandler in two halves, so that a firing need not hold a thread while its calls run
    /// elsewhere: startHandler runs the body's statements, leaving its calls under way and the
    /// emits and records of their results at its end unapplied; finishHandler applies those,
    /// in order, and waits for every call. Each throws as runHandler does (having waited for
    /// the calls under way first).
    /// `lastCallAtEnd`: a task call the body ends with, whose value nothing uses, is started
    /// and waited for by finishHandler, not in place (for a firing that waits without a thread).
    void startHandler(const std::vector<Stmt>& body, bool lastCallAtEnd = false);
    void finishHandler();
    /// The calls started so far that have not finished.
    std::vector<Pending> unfinished() const;
    /// Runs a task's body with its parameters bound; the value of its `return`.
    DatumPtr runTask(const TaskDecl& task, int line);
    /// Runs a fused chain's statements (the locals they read bound), every one at the firing's
    /// site and every task call in place; the values of the names they bind, in order.
    std::vector<DatumPtr> runChain(const Stmt& fused);
    /// The line of the innermost statement a failure came out of (0: none failed yet), for
    /// the report of an error that carries no line of its own (a DataError, a system error).
    int failedLine() const { return failedLine_; }

    std::optional<Value> call(const Expr& call, const Scope& scope, Evaluator& evaluator) override;
    std::optional<Value> global(const Expr& name, const Scope& scope) override;

private:
    /// `top`: a handler's body, whose last effects finishHandler applies (its locals stay).
    /// `lastCallAtEnd`: startHandler's.
    void block(const std::vector<Stmt>& stmts, bool top = false, bool lastCallAtEnd = false);
    /// Emits and records, once their value is known (in program order).
    void effect(const Stmt& s, const DatumPtr& value);
    void applyDeferred();
    /// `waitForCall`: a call statement of a task waits for it in place (else it is only started).
    void statement(const Stmt& s, bool waitForCall = true);
    /// The value of `e`, evaluated at the site of its node (or the firing's site).
    DatumPtr value(const Expr& e);
    DatumPtr evaluateAt(const Expr& e, const std::string& site);
    /// Starts a task call; the result arrives later.
    /// `needNow`: the caller waits at once (run it here if the site has room); `as`: the
    /// declared type of the `let` it is bound to.
    Pending startTask(const Expr& call, bool needNow = false, const TypeDesc* as = nullptr);
    /// Starts a fused chain as one request (a handler's firing).
    void startChain(const Stmt& fused);
    DatumPtr local(const std::string& name);
    /// The site of the node at `at`, or this body's: a string the plan or this firing keeps.
    const std::string& siteOf(const std::string& at) const;
    /// Waits for every task this firing started (so a firing ends after its tasks).
    void settle();
    /// A model called (`m(x)`) or a std.ml built-in (probs, version, accuracy); nullopt for
    /// any other call.
    std::optional<Value> modelCall(const Expr& e, const Scope& scope, Evaluator& ev);
    /// `read(path, Type)`: the file at `p` as a tensor (.npy) or a string, recorded as used.
    Value read(const Expr& e, const std::filesystem::path& p);

    const FiringContext& context_;
    EffectSink& sink_;
    int handler_;
    std::string site_;       // the default site of this body
    const std::string* evalSite_ = &site_;  // the site of the expression being evaluated (siteOf's)
    int64_t seq_;
    bool inTask_ = false;
    bool inChain_ = false;  // running a fused chain's statements on a worker
    const TaskDecl* task_ = nullptr;  // in a task: which (its policy governs a train in it)
    std::vector<std::pair<std::string, Pending>> locals_;
    std::vector<Pending> started_;
    std::vector<std::pair<const Stmt*, Pending>> deferred_;  // effects waiting for their task
    std::optional<DatumPtr> returned_;
    int failedLine_ = 0;
    Evaluator evaluator_;
};

}  // namespace xdml::runtime
