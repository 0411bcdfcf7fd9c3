// JobQueue.cpp — see JobQueue.h.
#include "runtime/engine/JobQueue.h"

#include <algorithm>

namespace xdml::runtime {

JobQueue::JobQueue(std::string site, int slots) : site_(std::move(site)), slots_(std::max(1, slots)) {}

void JobQueue::push(Job job) {
    const int priority = job.priority;
    const double deadline = job.deadline;
    queue_.insert(Queued{priority, deadline, order_++, std::move(job)});
}

bool JobQueue::admissible(const Job& job) const {
    if (job.limitKey.empty()) return true;
    auto it = limits_.find(job.limitKey);
    if (it == limits_.end()) return true;
    if (job.maxConcurrent > 0 && it->second.running >= job.maxConcurrent) return false;
    // A job larger than the whole cap still runs alone, rather than never.
    if (job.memoryCap > 0 && it->second.running > 0 && it->second.memory + job.memory > job.memoryCap) return false;
    return true;
}

void JobQueue::begin(const Job& job) {
    ++running_;
    if (!job.limitKey.empty()) {
        LimitUse& use = limits_[job.limitKey];
        ++use.running;
        use.memory += job.memory;
    }
}

std::optional<Job> JobQueue::startNext() {
    if (running_ >= slots_) return std::nullopt;
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
        if (admissible(it->job)) {
            Job job = std::move(it->job);
            queue_.erase(it);
            begin(job);
            return job;
        }
    return std::nullopt;
}

bool JobQueue::startNow(const Job& job) {
    if (!queue_.empty() || running_ >= slots_ || !admissible(job)) return false;
    begin(job);
    return true;
}

void JobQueue::finish(const Job& job, double took) {
    --running_;
    meanJobSeconds_ = meanJobSeconds_ == 0 ? took : 0.9 * meanJobSeconds_ + 0.1 * took;
    if (!job.limitKey.empty()) {
        LimitUse& use = limits_[job.limitKey];
        --use.running;
        use.memory -= job.memory;
    }
}

SiteStatus JobQueue::status() const {
    SiteStatus s;
    s.site = site_;
    s.capacity = slots_;
    s.running = running_;
    s.queued = queue_.size();
    s.meanJobSeconds = meanJobSeconds_;
    const double ahead = static_cast<double>(queue_.size()) + std::max(0, running_ - s.capacity + 1);
    s.estimatedWait = running_ >= s.capacity ? ahead * meanJobSeconds_ / s.capacity : 0;
    return s;
}

}  // namespace xdml::runtime
