// FiringQueue.cpp — see FiringQueue.h.
#include "runtime/engine/FiringQueue.h"

namespace xdml::runtime {

namespace {
constexpr std::size_t kFiringBatches = 8;  // batches waiting for handler threads
constexpr std::size_t kBatch = 8;          // firings per batch, at most
constexpr int kHandlerThreads = 8;
// A replay's firing may wait for a model version the recorded run had used, whose training
// needs items that later firings of the same stream emit: with a few threads, and firings
// batched behind a waiting one, those could never run. A replay favours finishing over speed.
constexpr int kReplayHandlerThreads = 64;
}  // namespace

FiringQueue::FiringQueue() : work_(kFiringBatches) {}

void FiringQueue::start(bool replay) {
    replay_ = replay;
    for (int i = 0; i < (replay ? kReplayHandlerThreads : kHandlerThreads); ++i)
        threads_.emplace_back([this] {
            while (auto batch = work_.pop())
                for (Job& job : *batch) {
                    job();
                    finished(1);
                }
        });
}

void FiringQueue::submit(Job job, Strand* strand, bool urgent) {
    ++inflight_;
    if (strand) {
        // One drain job at a time runs the strand's firings in order; it counts as a firing
        // of its own, so the stream is idle only once the strand is empty.
        bool start = false;
        {
            std::lock_guard lock(strand->mutex);
            strand->jobs.push_back(std::move(job));
            start = !strand->running;
            strand->running = true;
        }
        if (!start) return;
        ++inflight_;
        batch_.push_back([this, strand] {
            for (;;) {
                Job next;
                {
                    std::lock_guard lock(strand->mutex);
                    if (strand->jobs.empty()) {
                        strand->running = false;
                        break;
                    }
                    next = std::move(strand->jobs.front());
                    strand->jobs.pop_front();
                }
                next();
                finished(1);
            }
        });
        flush();
        return;
    }
    batch_.push_back(std::move(job));
    if (batch_.size() >= kBatch || urgent || replay_) flush();
}

void FiringQueue::flush() {
    if (batch_.empty()) return;
    const int n = static_cast<int>(batch_.size());
    std::vector<Job> batch;
    batch.swap(batch_);
    if (!work_.push(std::move(batch))) finished(n);
}

void FiringQueue::finished(int firings) {
    if (inflight_.fetch_sub(firings) == firings) {
        std::lock_guard lock(idleMutex_);
        idle_.notify_all();
    }
}

void FiringQueue::waitIdle() {
    std::unique_lock lock(idleMutex_);
    idle_.wait(lock, [&] { return inflight_.load() == 0; });
}

void FiringQueue::close() {
    work_.close();
    for (std::thread& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

}  // namespace xdml::runtime
