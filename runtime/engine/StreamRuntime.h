// StreamRuntime.h — one stream of a run: where its items come from (a source read on its
// own thread, or emits), the dispatcher that numbers them (`seq`), decides each item's run-time
// type once per handler type (LANGUAGE.md §4), groups `every N`, and hands firings to the
// stream's handler threads through a bounded queue (backpressure reaches the source), and the
// end: the last short groups, then `on end of` handlers, once every firing has finished.
#pragma once

#include "runtime/engine/Run.h"
#include "runtime/streams/BoundedQueue.h"
#include "runtime/streams/Source.h"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace xdml::runtime {

class StreamRuntime {
public:
    StreamRuntime(Run& run, const StreamDecl& decl, std::string site);
    ~StreamRuntime();

    /// A data or end handler of this stream, with its body.
    void addHandler(const HandlerInfo& handler, const Stmt& statement);
    /// Opens the source (a bad folder, glob or endpoint throws here, before any thread runs).
    void open();
    /// Starts the dispatcher and the handler threads: emits are taken from now on.
    void startDispatch();
    /// Starts reading the source.
    void startSource();
    /// An item sent by `emit` (from a firing's thread). It blocks while the stream is full,
    /// unless `mustNotBlock` (an emit from a task's worker, or within a cycle of streams, where
    /// waiting could deadlock).
    void emit(const DatumPtr& d, int64_t activity, bool mustNotBlock = false);
    /// Nothing queued and no firing under way.
    bool quiet() const { return input_.size() == 0 && inflight_.load() == 0; }
    /// No more emits will come: the stream ends once what it holds is handled.
    void closeInput();
    /// Stops the source (endless sources end so).
    void stopSource();
    void join();

    bool hasSource() const { return decl_.source.has_value(); }
    bool done() const { return done_.load(); }
    const std::string& name() const { return decl_.name; }
    std::size_t queueDepth() const { return input_.size() + static_cast<std::size_t>(std::max(0, inflight_.load())); }

private:
    struct Incoming {
        DatumPtr datum;       // null for a malformed item
        std::string origin, error;
        uint64_t bytes = 0;
        int64_t activity = -1;  // the activity that emitted it
        double arrival = 0;
    };
    struct Bound {
        HandlerInfo info;
        const Stmt* statement = nullptr;
        std::vector<DatumPtr> group;  // every N: the items so far
        bool refined = false;         // its type is decided per item (a predicate or a model)
        bool urgent = false;          // a deadline or priority: its firings are not batched
        // Worked out once, when the handler is added, not per firing:
        std::string title;                      // "on new data of type Hit in frames"
        const EffectivePolicy* policy = nullptr;
        HandlerCounters* counters = nullptr;
    };

    void openSource();
    void readSource();
    void readGenerated(const Expr& source);
    void dispatch();
    void accept(Incoming in);
    void fire(Bound& h, DatumPtr binding, int64_t seq, double arrival, const std::vector<int64_t>& items);
    void waitIdle();
    bool matches(const std::string& type, const Value& v, std::map<std::string, bool>& decided);

    Run& run_;
    const StreamDecl& decl_;
    std::string site_;
    std::vector<Bound> data_, end_;
    BoundedQueue<Incoming> input_;
    // Firings go to the handler threads in small batches: one wake-up per batch when items
    // come fast, a batch of one when they trickle in (no added latency).
    using FiringJob = std::function<void()>;
    std::vector<FiringJob> batch_;  // the dispatcher's, not yet handed over
    BoundedQueue<std::vector<FiringJob>> work_;
    void flushBatch();
    void finished(int firings);
    std::unique_ptr<Source> source_;
    std::mutex sourceMutex_;
    std::thread reader_, dispatcher_;
    std::vector<std::thread> handlerThreads_;
    std::mutex idleMutex_;
    std::condition_variable idle_;
    std::atomic<int> inflight_{0};
    int64_t nextSeq_ = 0;
    std::set<std::string> typeFailures_;  // types whose test failed, reported once
    std::atomic<bool> done_{false}, sourceStopped_{false};
    StreamCounters& counters_;
};

}  // namespace xdml::runtime
