// JobQueue.h — one site's queue of task calls, ordered by policy (priority, then earliest
// deadline, then arrival), with its slots, its limits and its SiteStatus: the site's local
// decisions, and no threads. WorkerPool runs it on this machine's workers; a distributed
// site's controller (distributed/SiteRank.cpp) runs it as its messages arrive. Not
// thread-safe: its owner locks.
#pragma once

#include "runtime/engine/SiteExecutor.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace xdml::runtime {

/// A unit of work for a site: one task call.
struct Job {
    int priority = 0;  // higher first
    double deadline = std::numeric_limits<double>::infinity();  // absolute (steady seconds): EDF
    std::string limitKey;       // jobs sharing a `limit` clause
    int maxConcurrent = 0;      // `limit: { tasks | cores }`; 0: none
    uint64_t memory = 0;        // bytes the job holds while it runs (its values)
    uint64_t memoryCap = 0;     // `limit: { memory }`; 0: none
    std::function<void()> run;  // never throws (the caller catches and records)
    uint64_t call = 0;          // the owner's name for it (a distributed controller's call id)
};

class JobQueue {
public:
    JobQueue(std::string site, int slots);
    void push(Job job);
    /// The first job in policy order that may start now (a free slot; its limit allows it),
    /// taken out of the queue and counted as running; none when no job may start.
    std::optional<Job> startNext();
    /// Counts `job` as running at once, outside the queue, when a slot is free, nothing waits
    /// and its limit allows it (so neither priority nor limits are bypassed).
    bool startNow(const Job& job);
    /// A running job has ended after `took` seconds: its slot and limit are free again.
    void finish(const Job& job, double took);
    bool empty() const { return queue_.empty(); }
    int slots() const { return slots_; }
    SiteStatus status() const;

private:
    struct Queued {
        int priority;
        double deadline;
        uint64_t order;
        mutable Job job;
        bool operator<(const Queued& o) const {
            if (priority != o.priority) return priority > o.priority;
            if (deadline != o.deadline) return deadline < o.deadline;
            return order < o.order;
        }
    };
    struct LimitUse {
        int running = 0;
        uint64_t memory = 0;
    };
    bool admissible(const Job& job) const;
    void begin(const Job& job);

    std::string site_;
    int slots_;
    std::set<Queued> queue_;
    std::map<std::string, LimitUse> limits_;
    uint64_t order_ = 0;
    int running_ = 0;
    double meanJobSeconds_ = 0;
};

}  // namespace xdml::runtime
