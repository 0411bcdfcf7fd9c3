// MpiExecutor.h — rank 0's executor for a site that runs on other ranks (docs/distributed.md).
// The coordinator's half of each call (TaskClient) stays here; the site's controller rank
// queues the call by its policy (SiteRank.h) and, when it gives the call a slot on one of the
// site's ranks, posts `start`. Rank 0 then begins the call (start_within, the activity, the
// arguments moved to the site, counted as in a local run), posts the begun request to that
// rank (`go`), applies the body's effects as they arrive, ends the call with the outcome
// (`done`) and tells the controller (`ended`: the slot is free, or the call runs again on it,
// a retry). Every message of a call is posted (CallMessages.h): no thread waits for a call's
// length. A call with small values is begun and ended on the communication thread as its
// messages arrive (TaskClient::quickSteps: no hand-off per call); large values, persisted
// results and failures are begun and ended on a few threads of rank 0 that take them in turn.
// The site's status is the last SiteStatus its controller sent.
#pragma once

#include "runtime/distributed/CallMessages.h"
#include "runtime/distributed/Mailbox.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/engine/SiteExecutor.h"
#include "runtime/engine/WorkerPool.h"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

namespace xdml::runtime {
class Program;
}

namespace xdml::runtime::distributed {

/// The calls under way at every MPI-placed site, by id: the messages that name a call
/// (start, done, effect) find it here. One per run on rank 0.
class CoordinatorCalls {
public:
    /// Registers the handlers for start, done, effect and status on `mailbox`.
    CoordinatorCalls(Mailbox& mailbox, const Program& program, const RankLayout& layout);
    /// Registers a call of `site` (whose controller is `controller`) and returns its id.
    uint64_t add(TaskRequest request, std::shared_ptr<TaskClient> client, int controller, bool now);
    /// Waits until no call of `site` is under way.
    void waitIdle(const std::string& site);
    SiteStatus status(const std::string& site) const;
    Mailbox& mailbox() { return mailbox_; }

private:
    struct Call {
        TaskRequest request;
        std::shared_ptr<TaskClient> client;
        int controller = 0;
        bool now = false;
        bool quick = false;  // TaskClient::quickSteps: its steps may run on the communication thread
        int rank = -1;       // the slot's rank, once started
    };
    bool quick(uint64_t id);
    void begin(Started s);
    Done decodeDoneOrFail(const std::string& payload);
    void end(uint64_t id, TaskOutcome outcome);
    std::string effect(std::string payload);
    Call& find(uint64_t id, const char* what);

    Mailbox& mailbox_;
    const Program& program_;
    const RankLayout layout_;  // a copy: late messages may arrive after the run's own is gone
    mutable std::mutex mutex_;
    std::condition_variable idle_;
    std::map<uint64_t, Call> calls_;
    std::map<std::string, int> underWay_;  // by site
    std::map<std::string, SiteStatus> statuses_;
    uint64_t next_ = 1;
    // The slow begins and ends, off the communication thread (a begin moves large values; an
    // end may wait out a retry's backoff). Last: its threads stop before the calls they use go.
    WorkerPool steps_;
};

class MpiExecutor : public SiteExecutor {
public:
    MpiExecutor(CoordinatorCalls& calls, const SiteRanks& ranks) : calls_(calls), ranks_(ranks) {}
    void submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch how) override;
    SiteStatus status() const override { return calls_.status(ranks_.site); }
    void shutdown() override { calls_.waitIdle(ranks_.site); }

private:
    CoordinatorCalls& calls_;
    const SiteRanks ranks_;
};

}  // namespace xdml::runtime::distributed
