// BoundedQueue.h — a fixed-capacity queue between stream sources and handler dispatch, with
// backpressure: a producer that gets ahead of the handlers blocks instead of piling frames
// up in memory. Any number of producers and consumers; close() ends it for all of them.
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
    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}
    BoundedQueue(const BoundedQueue&) = delete;
    BoundedQueue& operator=(const BoundedQueue&) = delete;

    /// Blocks while the queue is full. False when the queue is (or becomes) closed; the item is
    /// then dropped.
    bool push(T item) {
        std::unique_lock lock(mutex_);
        notFull_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        notEmpty_.notify_one();
        return true;
    }

    /// Pushes without waiting for room, past the capacity: for producers that must never block
    /// (a handler emitting into a stream of its own cycle). False once closed.
    bool pushPastCapacity(T item) {
        std::lock_guard lock(mutex_);
        if (closed_) return false;
        items_.push_back(std::move(item));
        notEmpty_.notify_one();
        return true;
    }

    /// Like push, but waits at most `timeout`; the item is moved from only when Pushed, so the
    /// caller can retry or drop it knowingly.
    template <typename Rep, typename Period>
    PushResult tryPush(T& item, std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lock(mutex_);
        if (!notFull_.wait_for(lock, timeout, [&] { return closed_ || items_.size() < capacity_; }))
            return PushResult::TimedOut;
        if (closed_) return PushResult::Closed;
        items_.push_back(std::move(item));
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
        notFull_.notify_one();
        return out;
    }

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable notFull_, notEmpty_;
    std::deque<T> items_;
    bool closed_ = false;
};

}  // namespace xdml::runtime
