// BoundedQueue.h — a fixed-capacity queue between stream sources and handler dispatch, with
// backpressure: a producer that gets ahead of the handlers blocks instead of piling frames
// up in memory. Any number of producers and consumers; close() ends it for all of them.
//
// A blocked producer is woken once the queue has drained to half its capacity, not at each
// item taken: a fast producer and its consumer would otherwise trade a wake-up per item
// (a futex call and a context switch each, the largest per-item cost of a no-op handler).
// Consumers are woken after the lock is let go, so a woken one does not at once block on it.
// (Like any object, the queue must outlive the calls on it: its owners join their threads.)
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace xdml::runtime {

enum class PushResult { Pushed, TimedOut, Closed };

template <typename T>
class BoundedQueue {
public:
    /// A capacity of 0 is taken as 1: a queue that holds nothing would block every push forever.
    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity ? capacity : 1), lowWater_(capacity_ / 2) {}
    BoundedQueue(const BoundedQueue&) = delete;
    BoundedQueue& operator=(const BoundedQueue&) = delete;

    /// Blocks while the queue is full. False when the queue is (or becomes) closed; the item is
    /// then dropped.
    bool push(T item) {
        std::unique_lock lock(mutex_);
        waitForRoom(lock);
        if (closed_) return false;
        items_.push_back(std::move(item));
        lock.unlock();
        notEmpty_.notify_one();
        return true;
    }

    /// Pushes without waiting for room, past the capacity: for producers that must never block
    /// (a handler emitting into a stream of its own cycle). False once closed.
    bool pushPastCapacity(T item) {
        {
            std::lock_guard lock(mutex_);
            if (closed_) return false;
            items_.push_back(std::move(item));
        }
        notEmpty_.notify_one();
        return true;
    }

    /// Like push, but waits at most `timeout`; the item is moved from only when Pushed, so the
    /// caller can retry or drop it knowingly.
    template <typename Rep, typename Period>
    PushResult tryPush(T& item, std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lock(mutex_);
        if (!waitForRoom(lock, std::chrono::steady_clock::now() + timeout)) return PushResult::TimedOut;
        if (closed_) return PushResult::Closed;
        items_.push_back(std::move(item));
        lock.unlock();
        notEmpty_.notify_one();
        return PushResult::Pushed;
    }

    /// Blocks until an item is there (returned in FIFO order) or the queue is closed and
    /// drained (nullopt): items pushed before close() are still delivered.
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        notEmpty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        return takeFront();
    }

    /// Like pop, but takes every item there is at once (in FIFO order, appended to `out`): a
    /// consumer that keeps up takes one lock per burst rather than per item. False once the
    /// queue is closed and drained.
    template <typename Out>
    bool popAll(Out& out) {
        std::unique_lock lock(mutex_);
        notEmpty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) return false;
        for (T& item : items_) out.push_back(std::move(item));
        items_.clear();
        if (waitingProducers_) notFull_.notify_all();
        return true;
    }

    /// Like pop, but waits at most `timeout`; nullopt on timeout too (closed() tells them apart).
    template <typename Rep, typename Period>
    std::optional<T> tryPop(std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lock(mutex_);
        notEmpty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
        return takeFront();
    }

    /// Wakes every blocked producer (they fail) and consumer (they drain, then get nullopt).
    /// Idempotent.
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        notFull_.notify_all();
        notEmpty_.notify_all();
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }
    std::size_t capacity() const { return capacity_; }
    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }

private:
    /// Call with the lock held.
    std::optional<T> takeFront() {
        if (items_.empty()) return std::nullopt;
        std::optional<T> out(std::move(items_.front()));
        items_.pop_front();
        // A producer waits only while the queue is full, so it is woken as the queue drains
        // past half (every pop passes that mark on the way down).
        if (waitingProducers_ && items_.size() == lowWater_) notFull_.notify_all();
        return out;
    }

    /// Waits (with the lock held) until there is room or the queue is closed; false when
    /// `until` passed first.
    bool waitForRoom(std::unique_lock<std::mutex>& lock,
                     std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max()) {
        const auto ready = [&] { return closed_ || items_.size() < capacity_; };
        ++waitingProducers_;
        const bool room = until == std::chrono::steady_clock::time_point::max() ? (notFull_.wait(lock, ready), true)
                                                                                 : notFull_.wait_until(lock, until, ready);
        --waitingProducers_;
        return room;
    }

    const std::size_t capacity_;
    const std::size_t lowWater_;  // a blocked producer is woken when the queue drains to this
    mutable std::mutex mutex_;
    std::condition_variable notFull_, notEmpty_;
    std::deque<T> items_;
    bool closed_ = false;
    int waitingProducers_ = 0;
};

}  // namespace xdml::runtime
