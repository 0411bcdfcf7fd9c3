// TaskWorker.h — the worker's half of a task call: given a decoded request, it binds the
// arguments to the task's parameters, runs the body in a Firing and returns the outcome; for
// a fused chain's request, it binds the locals the chain reads, runs the chain's statements
// (their task calls in place, through the sink) and returns the values they bind. It reads
// only the program and the plan (FiringContext); the body's effects go to the sink the
// executor hands it. The coordinator's half (queueing, retries, deadlines, provenance) is
// TaskCall.h.
#pragma once

#include "runtime/engine/Firing.h"
#include "runtime/engine/TaskMessages.h"

#include <unordered_map>

namespace xdml::runtime {

class TaskWorker {
public:
    explicit TaskWorker(FiringContext context);
    const FiringContext& context() const { return context_; }
    /// Runs the requested task's body, or chain. Never throws: a failure is the outcome's.
    TaskOutcome run(const TaskRequest& request, EffectSink& sink) const;

private:
    DatumPtr runTask(const TaskRequest& request, EffectSink& sink) const;
    DatumPtr runPython(const TaskDecl& task, const TaskRequest& request, EffectSink& sink) const;
    std::vector<DatumPtr> runChain(const TaskRequest& request, EffectSink& sink) const;

    FiringContext context_;
    std::unordered_map<int64_t, const Stmt*> chains_;  // fused statements by their node
};

}  // namespace xdml::runtime
