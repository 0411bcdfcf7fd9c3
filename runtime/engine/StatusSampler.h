// StatusSampler.h — records every site's status (SiteStatus: workers, calls running and
// waiting, the estimated wait) into provenance at a fixed interval, from its own thread, so
// the run report can draw queue depth and busy workers over time: the performance-control
// interface the meta-controller decides from, made visible (docs/report.md).
#pragma once

#include "runtime/engine/SiteExecutor.h"
#include "runtime/provenance/Store.h"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace xdml::runtime {

class StatusSampler {
public:
    using Statuses = std::function<std::vector<SiteStatus>()>;

    StatusSampler(Statuses statuses, prov::Store& store, double intervalSeconds)
        : statuses_(std::move(statuses)), store_(store), interval_(intervalSeconds) {}
    ~StatusSampler() { stop(); }
    StatusSampler(const StatusSampler&) = delete;
    StatusSampler& operator=(const StatusSampler&) = delete;

    /// Samples now and then every interval until stop().
    void start();
    /// Samples once more (the last state of the run) and joins the thread.
    void stop();

private:
    void sample();

    Statuses statuses_;
    prov::Store& store_;
    double interval_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

}  // namespace xdml::runtime
