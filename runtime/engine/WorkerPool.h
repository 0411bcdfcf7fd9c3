// WorkerPool.h — one site's workers on this machine (sized by the site's `cores`, capped by
// the machine), its queue ordered by policy (priority, then earliest deadline, then arrival),
// its limits, and its SiteStatus. The executors of this machine (LocalExecutor,
// LoopbackExecutor) run their task calls on it.
#pragma once

#include "deploy/Deployment.h"
#include "runtime/engine/SiteExecutor.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
};

class WorkerPool {
public:
    WorkerPool(std::string site, int workers);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(Job job);
    /// Runs the job on the caller's thread when the site has a free worker slot and nothing
    /// waiting (so neither priority nor limits are bypassed), else queues it. Saves two thread
    /// hand-offs per task in the common, unloaded case.
    void runOrSubmit(Job job);
    SiteStatus status() const;
    const std::string& site() const { return site_; }
    /// Finishes the queued jobs, then stops the workers.
    void shutdown();

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

    void work();
    bool admissible(const Job& job) const;
    /// Counts a job as running (under the lock), and as finished after `took` seconds.
    void begin(const Job& job);
    void finish(const Job& job, double took);

    std::string site_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::set<Queued> queue_;
    std::map<std::string, LimitUse> limits_;
    std::vector<std::thread> workers_;
    uint64_t order_ = 0;
    int running_ = 0;
    int capacity_ = 1;
    double meanJobSeconds_ = 0;
    bool stopping_ = false;
};

/// Workers for a site of `cores` (0: the whole machine) on a machine of `hardware` threads.
int workersFor(int64_t cores, unsigned hardware);
/// A site's cores (0: the whole machine) under its deployment binding: a `local` binding that
/// grants cores caps them; other bindings, or none, leave them.
int64_t boundCores(int64_t cores, const deploy::SiteBinding* binding);

}  // namespace xdml::runtime
