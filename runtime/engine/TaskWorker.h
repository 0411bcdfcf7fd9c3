// TaskWorker.h — the worker's half of a task call: given a decoded request, it binds the
// arguments to the task's parameters, runs the body in a Firing and returns the outcome. It
// reads only the program and the plan (FiringContext); the body's effects go to the sink the
// executor hands it. The coordinator's half (queueing, retries, deadlines, provenance) is
// TaskCall.h.
#pragma once

#include "runtime/engine/Firing.h"
#include "runtime/engine/TaskMessages.h"

namespace xdml::runtime {

class TaskWorker {
public:
    explicit TaskWorker(FiringContext context) : context_(std::move(context)) {}
    const FiringContext& context() const { return context_; }
    /// Runs the requested task's body. Never throws: a failure is the outcome's.
    TaskOutcome run(const TaskRequest& request, EffectSink& sink) const;

private:
    FiringContext context_;
};

}  // namespace xdml::runtime
