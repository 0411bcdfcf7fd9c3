// Progress.cpp — see Progress.h.
#include "runtime/engine/Progress.h"

#include "runtime/engine/Run.h"
#include "runtime/engine/StreamRuntime.h"

#include <cstdio>

namespace xdml::runtime {

std::string Progress::line() const {
    RunStats& s = run_.stats();
    std::string out = std::to_string(static_cast<int>(run_.elapsed())) + "s";
    std::size_t queued = 0;
    for (const auto& [name, c] : s.streams()) {
        out += " | " + name + " " + std::to_string(c->items.load());
        if (StreamRuntime* st = run_.stream(name)) queued += st->queueDepth();
    }
    uint64_t firings = 0;
    for (const auto& [id, h] : s.handlers()) firings += h->firings.load();
    for (const SiteStatus& site : run_.siteStatuses()) queued += site.queued;
    out += " | firings " + std::to_string(firings) + " | tasks " + std::to_string(s.tasksRun.load()) + " | queued " +
           std::to_string(queued);
    if (s.deadlineMisses.load()) out += " | deadline misses " + std::to_string(s.deadlineMisses.load());
    if (s.tasksFailed.load()) out += " | failed " + std::to_string(s.tasksFailed.load());
    return out;
}

void Progress::start() {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            std::fprintf(stderr, "\r\033[K%s", line().c_str());
            std::fflush(stderr);
            lock.lock();
            wake_.wait_for(lock, std::chrono::milliseconds(250));
        }
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
    });
}

void Progress::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace xdml::runtime
