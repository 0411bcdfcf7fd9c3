// WorkerPool.cpp — see WorkerPool.h.
#include "runtime/engine/WorkerPool.h"

#include <algorithm>

namespace xdml::runtime {

namespace {
/// The pool whose worker this thread is, if any.
thread_local const WorkerPool* workerOf = nullptr;
}  // namespace

int workersFor(int64_t cores, unsigned hardware) {
    const int64_t machine = std::max<unsigned>(1, hardware);
    return static_cast<int>(cores <= 0 ? machine : std::min(cores, machine));
}

int64_t boundCores(int64_t cores, const deploy::SiteBinding* binding) {
    if (!binding || binding->placement != deploy::Placement::Local || binding->cores <= 0) return cores;
    return cores <= 0 ? binding->cores : std::min<int64_t>(cores, binding->cores);
}

WorkerPool::WorkerPool(std::string site, int workers) : site_(site), queue_(std::move(site), workers) {
    for (int i = 0; i < queue_.slots(); ++i) workers_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::submit(Job job) {
    {
        std::lock_guard lock(mutex_);
        queue_.push(std::move(job));
    }
    wake_.notify_one();
}

void WorkerPool::finished(const Job& job, std::chrono::steady_clock::time_point start) {
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bool wakeAll = false;
    {
        std::lock_guard lock(mutex_);
        queue_.finish(job, took);
        // Stopping workers wait for the last job. Otherwise the slot (and limits) freed here
        // let at most one queued job go: a worker takes it itself as it loops; a job run inline
        // wakes one worker. Waking them all made every job cost each idle worker a futex
        // round (rank 0's eight step threads: 18 futex calls per task call).
        if (stopping_)
            wakeAll = true;
        else if (queue_.empty() || workerOf == this)
            return;
    }
    if (wakeAll)
        wake_.notify_all();
    else
        wake_.notify_one();
}

void WorkerPool::work() {
    workerOf = this;
    std::unique_lock lock(mutex_);
    for (;;) {
        std::optional<Job> job;
        // Jobs run inline by runOrSubmit hold slots too: never more than the site's cores.
        wake_.wait(lock, [&] { return (job = queue_.startNext()) || (stopping_ && queue_.empty()); });
        if (!job) return;  // stopping, nothing left
        lock.unlock();
        const auto start = std::chrono::steady_clock::now();
        job->run();
        finished(*job, start);
        lock.lock();
    }
}

SiteStatus WorkerPool::status() const {
    std::lock_guard lock(mutex_);
    return queue_.status();
}

void WorkerPool::shutdown() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && workers_.empty()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_)
        if (t.joinable()) t.join();
    workers_.clear();
}

}  // namespace xdml::runtime
