// WorkerPool.cpp — see WorkerPool.h.
#include "runtime/engine/WorkerPool.h"

#include <algorithm>
#include <chrono>

namespace xdml::runtime {

int workersFor(int64_t cores, unsigned hardware) {
    const int64_t machine = std::max<unsigned>(1, hardware);
    return static_cast<int>(cores <= 0 ? machine : std::min(cores, machine));
}

int64_t boundCores(int64_t cores, const deploy::SiteBinding* binding) {
    if (!binding || binding->placement != deploy::Placement::Local || binding->cores <= 0) return cores;
    return cores <= 0 ? binding->cores : std::min<int64_t>(cores, binding->cores);
}

WorkerPool::WorkerPool(std::string site, int workers) : site_(std::move(site)), capacity_(std::max(1, workers)) {
    for (int i = 0; i < capacity_; ++i) workers_.emplace_back([this] { work(); });
}

void WorkerPool::begin(const Job& job) {
    ++running_;
    if (!job.limitKey.empty()) {
        LimitUse& use = limits_[job.limitKey];
        ++use.running;
        use.memory += job.memory;
    }
}

void WorkerPool::finish(const Job& job, double took) {
    --running_;
    meanJobSeconds_ = meanJobSeconds_ == 0 ? took : 0.9 * meanJobSeconds_ + 0.1 * took;
    if (!job.limitKey.empty()) {
        LimitUse& use = limits_[job.limitKey];
        --use.running;
        use.memory -= job.memory;
    }
    // A freed slot or limit may let a queued job go; stopping workers wait for the last one.
    if (!queue_.empty() || stopping_) wake_.notify_all();
}

void WorkerPool::runOrSubmit(Job job) {
    {
        std::unique_lock lock(mutex_);
        if (!(queue_.empty() && running_ < capacity_ && admissible(job))) {
            lock.unlock();
            submit(std::move(job));
            return;
        }
        begin(job);
    }
    const auto start = std::chrono::steady_clock::now();
    job.run();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard lock(mutex_);
    finish(job, took);
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::submit(Job job) {
    {
        std::lock_guard lock(mutex_);
        const int priority = job.priority;
        const double deadline = job.deadline;
        queue_.insert(Queued{priority, deadline, order_++, std::move(job)});
    }
    wake_.notify_one();
}

bool WorkerPool::admissible(const Job& job) const {
    if (job.limitKey.empty()) return true;
    auto it = limits_.find(job.limitKey);
    if (it == limits_.end()) return true;
    if (job.maxConcurrent > 0 && it->second.running >= job.maxConcurrent) return false;
    // A job larger than the whole cap still runs alone, rather than never.
    if (job.memoryCap > 0 && it->second.running > 0 && it->second.memory + job.memory > job.memoryCap) return false;
    return true;
}

void WorkerPool::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        auto pick = queue_.end();
        wake_.wait(lock, [&] {
            // Jobs run inline by runOrSubmit hold slots too: never more than the site's cores.
            if (running_ >= capacity_) return false;
            for (auto it = queue_.begin(); it != queue_.end(); ++it)
                if (admissible(it->job)) {
                    pick = it;
                    return true;
                }
            return stopping_ && queue_.empty();
        });
        if (pick == queue_.end()) return;  // stopping, nothing left
        Job job = std::move(pick->job);
        queue_.erase(pick);
        begin(job);
        lock.unlock();
        const auto start = std::chrono::steady_clock::now();
        job.run();
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        lock.lock();
        finish(job, took);
    }
}

SiteStatus WorkerPool::status() const {
    std::lock_guard lock(mutex_);
    SiteStatus s;
    s.site = site_;
    s.capacity = capacity_;
    s.running = running_;
    s.queued = queue_.size();
    s.meanJobSeconds = meanJobSeconds_;
    const double ahead = static_cast<double>(queue_.size()) + std::max(0, running_ - s.capacity + 1);
    s.estimatedWait = running_ >= s.capacity ? ahead * meanJobSeconds_ / s.capacity : 0;
    return s;
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
