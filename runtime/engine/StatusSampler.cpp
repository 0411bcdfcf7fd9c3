// StatusSampler.cpp — see StatusSampler.h.
#include "runtime/engine/StatusSampler.h"

#include <chrono>
#include <cstdio>

namespace xdml::runtime {

void StatusSampler::sample() {
    try {
        for (const SiteStatus& s : statuses_())
            store_.siteStatus({s.site, s.capacity, s.running, static_cast<int64_t>(s.queued), s.meanJobSeconds,
                               s.estimatedWait});
    } catch (const std::exception& e) {
        // The store reports lost groups itself at its flush; a sample is never worth a failed run.
        std::fprintf(stderr, "xdmlc: site status not recorded: %s\n", e.what());
    }
}

void StatusSampler::start() {
    const auto every = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(interval_));
    thread_ = std::thread([this, every] {
        // Ticks on a fixed grid from the start, so samples stay evenly spaced however long one takes.
        auto next = std::chrono::steady_clock::now();
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            sample();
            lock.lock();
            next += every;
            wake_.wait_until(lock, next, [this] { return stopping_; });
        }
    });
}

void StatusSampler::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
        sample();
    }
}

}  // namespace xdml::runtime
