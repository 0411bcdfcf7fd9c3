// LocalExecutor.h — a site's executor on this machine: task calls queue on the site's worker
// pool by their policy, and a worker runs the body (TaskWorker) directly, its effects going
// straight to the coordinator's sink. LoopbackExecutor.h overrides how one attempt runs.
#pragma once

#include "runtime/engine/SiteExecutor.h"
#include "runtime/engine/TaskWorker.h"
#include "runtime/engine/WorkerPool.h"

namespace xdml::runtime {

/// The pool job of a queued call: its priority, deadline and limits from the request's
/// policy (`run` left to the caller). A site controller on another rank queues by it too.
Job queuedJob(const TaskRequest& request);

class LocalExecutor : public SiteExecutor {
public:
    /// `worker` outlives the executor.
    LocalExecutor(std::string site, int workers, const TaskWorker& worker);
    void submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch how) override;
    SiteStatus status() const override { return pool_.status(); }
    void shutdown() override { pool_.shutdown(); }

protected:
    /// One attempt, once the coordinator has begun it: the body's outcome.
    virtual TaskOutcome attempt(const TaskRequest& request, TaskClient& client);
    const TaskWorker& worker_;

private:
    /// Attempts until the coordinator is done with the call (it asks for retries).
    void runCall(TaskRequest& request, TaskClient& client);
    WorkerPool pool_;
};

}  // namespace xdml::runtime
