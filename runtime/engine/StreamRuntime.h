// StreamRuntime.h — one stream of a run: where its items come from (a source read on its
// own thread, or emits), the dispatcher that numbers them (`seq`), decides each item's run-time
// type once per handler type (LANGUAGE.md §4), groups `every N`, and hands firings to the
// stream's handler threads through a bounded queue (backpressure reaches the source), and the
// end: the last short groups, then `on end of` handlers, once every firing has finished.
#pragma once

#include "runtime/engine/ModelUses.h"
#include "runtime/engine/Run.h"
#include "runtime/streams/BoundedQueue.h"
#include "runtime/streams/RehearsalBuffer.h"
#include "runtime/streams/Source.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace xdml::runtime {

class StreamRuntime {
public:
    /// `modelUse`: which models train on or score it (ModelUses.h, worked out once per run).
    StreamRuntime(Run& run, const StreamDecl& decl, std::string site, StreamModelUse modelUse = {});
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

    // ---- what models read (LANGUAGE.md §5), kept only when a model trains on or scores the stream
    /// The items delivered up to `lastSeq` (inclusive) that `model` has not trained on, and in
    /// `end` the position after them, for trained().
    std::vector<DatumPtr> untrained(const std::string& model, int64_t lastSeq, int64_t& end);
    /// The items before `end` count as trained on by `model` (once its training succeeded: the
    /// items of a failed training are offered to the next).
    void trained(const std::string& model, int64_t end);
    /// Held around untrained() .. trained(): one training of a model on this stream at a time.
    std::mutex& trainingMutex(const std::string& model);
    /// Every item delivered so far.
    std::vector<DatumPtr> delivered();
    /// The `rehearse` buffer of `model` on this stream (each model rehearses what it trained
    /// on), made on first use for rows of `rowFloats`; nullptr without `rehearse`.
    RehearsalBuffer* rehearsal(const std::string& model, std::size_t rowFloats);
    /// The `mix` of `rehearse` (0 without one).
    double rehearsalMix() const { return mix_; }

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
        // A handler that trains runs its firings one at a time, in item order: each training
        // then sees the items up to its own, after the trainings before it.
        struct Strand {
            std::mutex mutex;
            std::deque<std::function<void()>> jobs;
            bool running = false;
        };
        std::unique_ptr<Strand> strand;
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
    /// Whether the item is of `type`: its predicates and classifying models, each decided
    /// once per item (`decided`: type -> answer; `inferred`: model -> its answer).
    bool matches(const std::string& type, const DatumPtr& item, std::map<std::string, bool>& decided,
                 std::map<std::string, Inference>& inferred, int depth = 0);
    const Inference& inferOnce(const std::string& model, const DatumPtr& item, std::map<std::string, Inference>& inferred);
    void keep(const DatumPtr& item);

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

    // Models: the items kept for `train` and `accuracy`, and the rehearsal buffer.
    StreamModelUse modelUse_;
    bool keepsItems_ = false;
    std::mutex itemsMutex_;
    std::deque<DatumPtr> items_;           // in delivery order; trained prefixes are let go
    int64_t itemsDropped_ = 0;             // how many were let go from the front
    std::map<std::string, int64_t> trainedUpTo_;  // model -> position in the delivery order
    std::map<std::string, std::unique_ptr<std::mutex>> training_;  // model -> its trainings' lock
    std::mutex rehearsalMutex_;  // guards rehearsal_ and training_
    std::map<std::string, std::unique_ptr<RehearsalBuffer>> rehearsal_;  // model -> its buffer
    double mix_ = 0;
};

}  // namespace xdml::runtime
