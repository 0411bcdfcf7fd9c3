// HandlerThreads.h — the threads a rank's requests run on. A request's handler may wait on
// other messages (rank 0's attempt waits for its run, a run for its effects' answers), so a
// fixed pool could starve; instead an idle thread takes the next piece of work and a new
// thread starts only when none is idle. Threads are kept, not joined per request: a call
// costs a queue hand-off, not a thread's creation (docs/distributed.md, "What crosses the wire").
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace xdml::runtime::distributed {

class HandlerThreads {
public:
    HandlerThreads() = default;
    HandlerThreads(const HandlerThreads&) = delete;
    HandlerThreads& operator=(const HandlerThreads&) = delete;
    ~HandlerThreads() { stop(); }

    /// Runs `work` on an idle thread, or on a new one when every thread is busy.
    void run(std::function<void()> work);
    /// Finishes the queued work and joins every thread.
    void stop();
    /// Threads started so far (for tests: reuse keeps it at the peak of concurrent work).
    std::size_t started() const;

private:
    void serve();

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace xdml::runtime::distributed
