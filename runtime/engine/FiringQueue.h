// FiringQueue.h — a stream's hand-off of firings to its handler threads: firings go in small
// batches through a bounded queue (one wake-up per batch when items come fast, a batch of one
// when they trickle in; a full queue holds the dispatcher back, and so the source), strands
// keep the firings of a training handler in item order, and the firings under way are counted
// so the stream can tell when it is idle.
#pragma once

#include "runtime/streams/BoundedQueue.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace xdml::runtime {

class FiringQueue {
public:
    using Job = std::function<void()>;
    /// Firings that run one at a time, in the order they were handed over.
    struct Strand {
        std::mutex mutex;
        std::deque<Job> jobs;
        bool running = false;
    };

    FiringQueue();
    ~FiringQueue() { close(); }

    /// Starts the handler threads. `replay`: many of them, and no batches, so that a firing
    /// that waits for a model version never holds back the firings its training needs.
    void start(bool replay = false);
    /// Hands a firing over (from the dispatcher's thread only). `strand`: its strand, or
    /// nullptr; `urgent`: it never waits in a batch behind others (a deadline or priority).
    void submit(Job job, Strand* strand, bool urgent);
    /// Hands over the batch being gathered.
    void flush();
    /// Waits until no firing is under way.
    void waitIdle();
    /// Firings handed over and not finished yet (a strand's drain counts as one more).
    int underWay() const { return inflight_.load(); }
    /// Lets the handler threads finish what they hold, and joins them.
    void close();

private:
    void finished(int firings);

    std::vector<Job> batch_;  // the dispatcher's, not yet handed over
    bool replay_ = false;
    BoundedQueue<std::vector<Job>> work_;
    std::vector<std::thread> threads_;
    std::mutex idleMutex_;
    std::condition_variable idle_;
    std::atomic<int> inflight_{0};
};

}  // namespace xdml::runtime
