// HandlerThreads.cpp — see HandlerThreads.h.
#include "runtime/distributed/HandlerThreads.h"

namespace xdml::runtime::distributed {

void HandlerThreads::run(std::function<void()> work) {
    std::unique_lock lock(mutex_);
    queue_.push_back(std::move(work));
    if (idle_ >= queue_.size()) {
        lock.unlock();
        ready_.notify_one();
        return;
    }
    threads_.emplace_back([this] { serve(); });
}

void HandlerThreads::serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_;
        ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        --idle_;
        if (queue_.empty()) return;  // stopping, and nothing left to do
        std::function<void()> work = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        work();
        work = nullptr;  // its captures go before the thread waits again
        lock.lock();
    }
}

void HandlerThreads::stop() {
    // Work that runs while stopping may start threads of its own: join until none is left.
    for (;;) {
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            threads.swap(threads_);
        }
        if (threads.empty()) return;
        ready_.notify_all();
        for (std::thread& t : threads) t.join();
    }
}

std::size_t HandlerThreads::started() const {
    std::lock_guard lock(mutex_);
    return threads_.size();
}

}  // namespace xdml::runtime::distributed
