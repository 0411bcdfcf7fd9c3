// SiteController.cpp — see SiteController.h.
#include "runtime/engine/SiteController.h"

#include <algorithm>
#include <chrono>

namespace xdml::runtime {

int workersFor(int64_t cores, unsigned hardware) {
    const int64_t machine = std::max<unsigned>(1, hardware);
    return static_cast<int>(cores <= 0 ? machine : std::min(cores, machine));
}

SiteController::SiteController(std::string site, int workers) : site_(std::move(site)) {
    for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { work(); });
}

SiteController::~SiteController() { shutdown(); }

void SiteController::submit(Job job) {
    {
        std::lock_guard lock(mutex_);
        const int priority = job.priority;
        const double deadline = job.deadline;
        queue_.insert(Queued{priority, deadline, order_++, std::move(job)});
    }
    wake_.notify_one();
}

bool SiteController::admissible(const Job& job) const {
    if (job.limitKey.empty()) return true;
    auto it = limits_.find(job.limitKey);
    if (it == limits_.end()) return true;
    if (job.maxConcurrent > 0 && it->second.running >= job.maxConcurrent) return false;
    // A job larger than the whole cap still runs alone, rather than never.
    if (job.memoryCap > 0 && it->second.running > 0 && it->second.memory + job.memory > job.memoryCap) return false;
    return true;
}

void SiteController::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        auto pick = queue_.end();
        wake_.wait(lock, [&] {
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
        ++running_;
        if (!job.limitKey.empty()) {
            LimitUse& use = limits_[job.limitKey];
            ++use.running;
            use.memory += job.memory;
        }
        lock.unlock();
        const auto start = std::chrono::steady_clock::now();
        job.run();
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        lock.lock();
        --running_;
        meanJobSeconds_ = meanJobSeconds_ == 0 ? took : 0.9 * meanJobSeconds_ + 0.1 * took;
        if (!job.limitKey.empty()) {
            LimitUse& use = limits_[job.limitKey];
            --use.running;
            use.memory -= job.memory;
            wake_.notify_all();  // a job held back by this limit may go now
        } else if (stopping_) {
            wake_.notify_all();
        }
    }
}

SiteStatus SiteController::status() const {
    std::lock_guard lock(mutex_);
    SiteStatus s;
    s.site = site_;
    s.capacity = static_cast<int>(workers_.size());
    s.running = running_;
    s.queued = queue_.size();
    s.meanJobSeconds = meanJobSeconds_;
    const double ahead = static_cast<double>(queue_.size()) + std::max(0, running_ - s.capacity + 1);
    s.estimatedWait = running_ >= s.capacity ? ahead * meanJobSeconds_ / s.capacity : 0;
    return s;
}

void SiteController::shutdown() {
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
