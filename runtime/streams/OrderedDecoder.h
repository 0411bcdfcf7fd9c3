// OrderedDecoder.h — items decoded ahead of their turn on a few threads, handed out in order.
// A files() source over compressed HDF5 frames is bound by decoding: one reader thread
// decoding frame after frame would use one core while the handlers wait. The source submits
// the next frames here and takes them back in the order submitted, so a stream's items keep
// their order while several decode at once.
#pragma once

#include "runtime/streams/Source.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace xdml::runtime {

class OrderedDecoder {
public:
    /// `threads` decoders; with 0 every job runs in takeNext(), on the caller's thread.
    explicit OrderedDecoder(std::size_t threads);
    /// Waits for the jobs under way; jobs not yet started are dropped.
    ~OrderedDecoder();
    OrderedDecoder(const OrderedDecoder&) = delete;
    OrderedDecoder& operator=(const OrderedDecoder&) = delete;

    void submit(std::function<SourceItem()> job);
    /// Jobs submitted and not yet taken.
    std::size_t pending() const;
    /// The oldest job's item, waiting for it. Only with pending() > 0.
    SourceItem takeNext();

    /// Threads worth using on this machine for a source: its cores, at most 8.
    static std::size_t threadsForMachine();

private:
    struct Slot {
        std::function<SourceItem()> job;
        SourceItem item;
        bool started = false, done = false;
    };
    void work();

    mutable std::mutex mutex_;
    std::condition_variable jobReady_, jobDone_;
    std::deque<std::shared_ptr<Slot>> order_;   // every slot not yet taken, oldest first
    std::deque<std::shared_ptr<Slot>> waiting_;  // slots whose job no thread has started
    bool closing_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace xdml::runtime
