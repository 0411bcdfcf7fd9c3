// WorkerPool.h — one site's workers on this machine (sized by the site's `cores`, capped by
// the machine), running its JobQueue (JobQueue.h: the order by policy, the limits, the
// SiteStatus). The executors of this machine (LocalExecutor, LoopbackExecutor) run their task
// calls on it.
#pragma once

#include "deploy/Deployment.h"
#include "runtime/engine/JobQueue.h"
#include "runtime/engine/SiteExecutor.h"

#include <atomic>
#include <chrono>
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


class WorkerPool {
public:
    WorkerPool(std::string site, int workers);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(Job job);
    /// Runs `body` on the caller's thread, holding a slot as `job` would, when the site has a
    /// free worker slot and nothing waiting (so neither priority nor limits are bypassed);
    /// false, and nothing run, otherwise. Saves two thread hand-offs per task in the common,
    /// unloaded case, and the caller builds `job.run` only for a job that must wait.
    template <class Body>
    bool runIfFree(const Job& job, Body&& body) {
        {
            std::lock_guard lock(mutex_);
            if (!queue_.startNow(job)) return false;
        }
        const auto start = std::chrono::steady_clock::now();
        body();
        finished(job, start);
        return true;
    }
    SiteStatus status() const;
    const std::string& site() const { return site_; }
    /// Finishes the queued jobs, then stops the workers.
    void shutdown();

private:
    void work();
    /// Counts a job that started at `start` finished, and lets the next one go.
    void finished(const Job& job, std::chrono::steady_clock::time_point start);

    std::string site_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    JobQueue queue_;
    std::vector<std::thread> workers_;
    bool stopping_ = false;
};

/// Workers for a site of `cores` (0: the whole machine) on a machine of `hardware` threads.
int workersFor(int64_t cores, unsigned hardware);
/// A site's cores (0: the whole machine) under its deployment binding: a `local` binding that
/// grants cores caps them; other bindings, or none, leave them.
int64_t boundCores(int64_t cores, const deploy::SiteBinding* binding);

}  // namespace xdml::runtime
