// SiteExecutor.h — the seam between the coordinator and a site's workers. A site executor
// takes task requests (plain messages, TaskMessages.h), queues them by their policy, runs their
// bodies (TaskWorker.h) and answers the site's status (SiteStatus, the performance-control
// interface the meta-controller reads). The coordinator's half of a call (TaskClient) is
// called back when a worker takes the call (begin), for the sink of its effects, and with each
// attempt's outcome (end): it never runs on the far side of a process boundary, so an
// executor on another machine keeps it here and sends only bytes.
//
// Implementations: LocalExecutor (this machine's worker pool), LoopbackExecutor (the same pool,
// every request, outcome and effect encoded to bytes and decoded before use: a test that the
// seam carries everything), distributed::MpiExecutor (a site on other MPI ranks, the same
// bytes as MPI messages: docs/distributed.md).
#pragma once

#include "runtime/engine/TaskMessages.h"

#include <memory>
#include <string>

namespace xdml::runtime {

class EffectSink;

/// The performance-control interface: what a site tells the meta-controller.
struct SiteStatus {
    std::string site;
    int capacity = 0;            // workers
    int running = 0;             // jobs running now
    std::size_t queued = 0;      // jobs waiting
    double meanJobSeconds = 0;   // recent mean run time of a job
    double estimatedWait = 0;    // seconds a job submitted now waits before it starts
};

/// The coordinator's half of one task call.
class TaskClient {
public:
    virtual ~TaskClient() = default;
    /// A worker takes the call: the coordinator checks start_within, starts this attempt's
    /// activity and moves the arguments to the request's site (filling `activity`, `args`).
    virtual void begin(TaskRequest& request) = 0;
    /// Where the body's effects go during this attempt.
    virtual EffectSink& effects() = 0;
    /// The attempt's outcome (a failure of begin too). True: run it again, a retry.
    virtual bool end(TaskOutcome outcome) = 0;
    /// Its begin and a successful end are quick: they move no large value and persist no
    /// file, so they may run on a thread that must not wait long (the MPI executor's
    /// communication thread, which then hands a call's steps to no other thread).
    virtual bool quickSteps() const { return false; }
};

class SiteExecutor {
public:
    enum class Dispatch {
        Queue,       // to the site's queue: the caller goes on
        HereIfFree,  // on the caller's thread when the site has a free slot and nothing waits
        HereNow,     // on the caller's thread now (a call inside a task, on its worker)
    };
    virtual ~SiteExecutor() = default;
    virtual void submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch how) = 0;
    virtual SiteStatus status() const = 0;
    /// Finishes the queued calls, then stops the workers.
    virtual void shutdown() = 0;
};

}  // namespace xdml::runtime
