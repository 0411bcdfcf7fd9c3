// MpiExecutor.h — rank 0's executor for a site that runs on other ranks (docs/distributed.md).
// The coordinator's half of each call (TaskClient) stays here; the site's controller rank
// queues the call by its policy (SiteRank.h) and, when it takes it, asks rank 0 to attempt it
// on one of the site's ranks: rank 0 begins the call (start_within, the activity, the
// arguments moved to the site, counted as in a local run), sends the begun request to that
// rank, applies the body's effects as they arrive, and ends the call with the outcome (retries
// are the client's, as locally). The site's status is the last SiteStatus its controller sent.
#pragma once

#include "runtime/distributed/Mailbox.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/engine/SiteExecutor.h"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

namespace xdml::runtime {
class Program;
}

namespace xdml::runtime::distributed {

/// The calls under way at every MPI-placed site, by id: the messages that name a call
/// (Attempt, Effect) find it here. One per run on rank 0.
class CoordinatorCalls {
public:
    /// Registers the handlers for Attempt, Effect and Status on `mailbox`.
    CoordinatorCalls(Mailbox& mailbox, const Program& program, const RankLayout& layout);
    uint64_t add(TaskRequest request, std::shared_ptr<TaskClient> client);
    /// Waits until no call of `site` is under way.
    void waitIdle(const std::string& site);
    SiteStatus status(const std::string& site) const;
    Mailbox& mailbox() { return mailbox_; }

private:
    struct Call {
        TaskRequest request;
        std::shared_ptr<TaskClient> client;
    };
    std::string attempt(std::string payload);
    std::string effect(std::string payload);
    std::shared_ptr<TaskClient> find(uint64_t id, TaskRequest* request);

    Mailbox& mailbox_;
    const Program& program_;
    mutable std::mutex mutex_;
    std::condition_variable idle_;
    std::map<uint64_t, Call> calls_;
    std::map<std::string, int> underWay_;  // by site
    std::map<std::string, SiteStatus> statuses_;
    uint64_t next_ = 1;
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

/// How a Submit message says a call is to run.
enum class SubmitHow : uint8_t { Queue = 0, Now = 1 };
std::string encodeSubmit(uint64_t id, SubmitHow how, const TaskRequest& request);
struct Submitted {
    uint64_t id;
    SubmitHow how;
    TaskRequest request;
};
Submitted decodeSubmit(const std::string& bytes);
std::string encodeStatus(const SiteStatus& s);
SiteStatus decodeStatus(const std::string& bytes);

}  // namespace xdml::runtime::distributed
