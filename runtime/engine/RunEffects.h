// RunEffects.h — the coordinator's EffectSink: what a firing's effects, questions and task
// calls do to this run (its streams, catalogs, models, provenance store, counters and site
// executors). One per handler firing, and one per task call (in its attempt's activity). A
// handler's firing is CoordinatorFiring: a Firing with its RunEffects.
#pragma once

#include "runtime/engine/CallTrace.h"
#include "runtime/engine/EffectSink.h"
#include "runtime/engine/Firing.h"
#include "runtime/engine/Run.h"

namespace xdml::runtime {

class RunEffects : public EffectSink {
public:
    /// Whose effects: a handler's firing, a task's body, or a fused chain's statements (on a
    /// worker, both: emits never wait and task calls run in place; a chain's calls keep their
    /// plan node and its policy).
    enum class Body : uint8_t { Handler, Task, Chain };
    /// `handler`: the plan's handler the work belongs to; `site`: where its body runs by default.
    RunEffects(Run& run, int handler, std::string site, int64_t seq, int64_t activity, Body body)
        : run_(run), handler_(handler), site_(std::move(site)), seq_(seq), activity_(activity),
          inTask_(body == Body::Task), body_(body) {}
    void setActivity(int64_t activity) { activity_ = activity; }
    /// A task call's trace (CallTrace.h): its body's effects and reads are noted in it.
    void setTrace(std::shared_ptr<CallTrace> trace) { trace_ = std::move(trace); }
    /// A chain: when it was started, which its first call counts from (start_within, deadline).
    void setChainStarted(double at) { chainStarted_ = at; }

    DatumPtr moveTo(const DatumPtr& d, const std::string& site) override { return run_.moveTo(d, site); }
    void emit(const std::string& stream, const DatumPtr& d, const std::string& site, bool persist) override;
    void record(const std::string& catalog, const DatumPtr& d, const std::string& site) override;
    void log(const std::string& line) override;
    void fileUsed(const FileUse& file) override;
    void train(const Stmt& s, const TaskDecl* task) override;  // ModelStatements.cpp
    Pending startTask(TaskCall call) override;
    ChainResult startChain(ChainCall chain) override;
    Value askModel(const ModelQuery& q) override;  // ModelStatements.cpp
    // What a catalog holds and the clock are not the call's inputs: a body that asks is not reusable.
    bool syncsWrittenFiles() const override { return true; }  // at its group's commit, or the run's end
    int64_t count(const std::string& catalog) override {
        if (trace_) trace_->effect();
        return run_.catalog(catalog).count();
    }
    double now() override {
        if (trace_) trace_->effect();
        return run_.elapsed();
    }
    bool stopping() override { return run_.stopping(); }
    std::string resolve(const std::string& path, bool forWriting) override;

private:
    Run& run_;
    int handler_;
    std::string site_;
    int64_t seq_;
    int64_t activity_;
    bool inTask_;  // a task's body (its train statements follow its policy)
    Body body_;
    double chainStarted_ = -1;
    std::shared_ptr<CallTrace> trace_;  // a task call's, or none
};

/// One execution of a handler's body, on the coordinator.
class CoordinatorFiring {
public:
    CoordinatorFiring(Run& run, int handler, std::string site, int64_t seq, int64_t activity)
        : effects_(run, handler, site, seq, activity, RunEffects::Body::Handler), firing_(run.firingContext(), effects_, handler, std::move(site), seq) {}
    void bind(const std::string& name, DatumPtr d) { firing_.bind(name, std::move(d)); }
    /// Throws EvalError, TaskFailure or DataError on a failure.
    void runHandler(const std::vector<Stmt>& body) { firing_.runHandler(body); }
    /// Firing::startHandler, unfinished and finishHandler: runHandler in two halves.
    void startHandler(const std::vector<Stmt>& body, bool lastCallAtEnd) { firing_.startHandler(body, lastCallAtEnd); }
    std::vector<Pending> unfinished() const { return firing_.unfinished(); }
    void finishHandler() { firing_.finishHandler(); }
    /// Firing::failedLine.
    int failedLine() const { return firing_.failedLine(); }

private:
    RunEffects effects_;
    Firing firing_;
};

}  // namespace xdml::runtime
