// Pending.h — a value a task will produce: what a `let` bound to a task call holds until a
// later statement needs it. Lighter than std::promise/std::future (no call_once, no shared
// state allocation beyond this object), which matters at a hundred thousand tasks a second.
#pragma once

#include "runtime/engine/BlockingWait.h"
#include "runtime/engine/Datum.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>

namespace xdml::runtime {

class PendingDatum {
public:
    static std::shared_ptr<PendingDatum> ready(DatumPtr d) {
        auto p = std::make_shared<PendingDatum>();
        p->value_ = std::move(d);
        p->done_.store(true, std::memory_order_release);
        return p;
    }
    void set(DatumPtr d) { finish(std::move(d), nullptr); }
    void fail(std::exception_ptr e) { finish(nullptr, std::move(e)); }
    bool done() const { return done_.load(std::memory_order_acquire); }
    /// Has `next` called (on the thread that finishes the task, once) when the task has
    /// finished; false, and nothing kept, when it already has. One `next` at a time.
    bool whenDone(std::function<void()> next) {
        std::lock_guard lock(mutex_);
        if (done_.load(std::memory_order_acquire)) return false;
        next_ = std::move(next);
        return true;
    }
    /// Waits until the task has finished.
    void wait() {
        if (done_.load(std::memory_order_acquire)) return;
        BlockingWait blocking;  // a firing waiting for its task lets another firing run
        std::unique_lock lock(mutex_);
        finished_.wait(lock, [&] { return done_.load(std::memory_order_acquire); });
    }
    /// The value; rethrows the task's failure.
    DatumPtr get() {
        wait();
        if (error_) std::rethrow_exception(error_);
        return value_;
    }

private:
    void finish(DatumPtr d, std::exception_ptr e) {
        std::function<void()> next;
        {
            std::lock_guard lock(mutex_);
            value_ = std::move(d);
            error_ = std::move(e);
            done_.store(true, std::memory_order_release);
            next.swap(next_);
        }
        finished_.notify_all();
        if (next) next();
    }

    std::atomic<bool> done_{false};
    DatumPtr value_;
    std::exception_ptr error_;
    std::mutex mutex_;
    std::condition_variable finished_;
    std::function<void()> next_;
};

using Pending = std::shared_ptr<PendingDatum>;

}  // namespace xdml::runtime
