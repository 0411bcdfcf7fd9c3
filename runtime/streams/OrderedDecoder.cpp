// OrderedDecoder.cpp — see OrderedDecoder.h.
#include "runtime/streams/OrderedDecoder.h"

#include <algorithm>

namespace xdml::runtime {

OrderedDecoder::OrderedDecoder(std::size_t threads) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

OrderedDecoder::~OrderedDecoder() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
        waiting_.clear();
    }
    jobReady_.notify_all();
    for (std::thread& t : threads_) t.join();
}

std::size_t OrderedDecoder::threadsForMachine() {
    return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
}

void OrderedDecoder::submit(std::function<SourceItem()> job) {
    auto slot = std::make_shared<Slot>();
    slot->job = std::move(job);
    {
        std::lock_guard lock(mutex_);
        order_.push_back(slot);
        if (!threads_.empty()) waiting_.push_back(slot);
    }
    jobReady_.notify_one();
}

std::size_t OrderedDecoder::pending() const {
    std::lock_guard lock(mutex_);
    return order_.size();
}

SourceItem OrderedDecoder::takeNext() {
    std::unique_lock lock(mutex_);
    std::shared_ptr<Slot> slot = order_.front();
    order_.pop_front();
    if (!slot->started) {
        // Not begun by any thread (or there are none): the caller decodes it rather than wait.
        slot->started = true;
        waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), slot), waiting_.end());
        lock.unlock();
        return slot->job();
    }
    jobDone_.wait(lock, [&] { return slot->done; });
    return std::move(slot->item);
}

void OrderedDecoder::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        jobReady_.wait(lock, [&] { return closing_ || !waiting_.empty(); });
        if (closing_) return;
        std::shared_ptr<Slot> slot = waiting_.front();
        waiting_.pop_front();
        slot->started = true;
        lock.unlock();
        SourceItem item = slot->job();
        lock.lock();
        slot->item = std::move(item);
        slot->done = true;
        jobDone_.notify_all();
    }
}

}  // namespace xdml::runtime
