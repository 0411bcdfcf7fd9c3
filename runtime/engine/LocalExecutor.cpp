// LocalExecutor.cpp — see LocalExecutor.h.
#include "runtime/engine/LocalExecutor.h"

namespace xdml::runtime {

LocalExecutor::LocalExecutor(std::string site, int workers, const TaskWorker& worker)
    : worker_(worker), pool_(std::move(site), workers) {}

TaskOutcome LocalExecutor::attempt(const TaskRequest& request, TaskClient& client) {
    return worker_.run(request, client.effects());
}

void LocalExecutor::runCall(TaskRequest& request, TaskClient& client) {
    for (;;) {
        TaskOutcome outcome;
        try {
            client.begin(request);
            outcome = attempt(request, client);
        } catch (...) {
            outcome = TaskOutcome::failed(std::current_exception());
        }
        request.args.clear();
        if (!client.end(std::move(outcome))) return;
    }
}

Job queuedJob(const TaskRequest& request) {
    const RequestPolicy& p = request.policy;
    Job job;
    job.priority = p.priority;
    job.deadline = p.deadline > 0 ? request.submitted + p.deadline : std::numeric_limits<double>::infinity();
    job.limitKey = p.limitKey;
    job.maxConcurrent = p.maxConcurrent;
    job.memoryCap = p.memoryCap;
    job.memory = p.memory;
    return job;
}

void LocalExecutor::submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch how) {
    if (how == Dispatch::HereNow) {
        runCall(request, *client);
        return;
    }
    Job job = queuedJob(request);
    // A value needed now is worth running on this thread when the site has room; one that can
    // wait goes to the site's workers, so that the firing goes on and calls overlap.
    if (how == Dispatch::HereIfFree && pool_.runIfFree(job, [&] { runCall(request, *client); })) return;
    job.run = [this, request = std::move(request), client = std::move(client)]() mutable { runCall(request, *client); };
    pool_.submit(std::move(job));
}

}  // namespace xdml::runtime
