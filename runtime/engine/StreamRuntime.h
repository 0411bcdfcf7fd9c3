// StreamRuntime.h — one stream of a run and its dispatcher: items come from its source
// (StreamSource.h) or from emits, in the recorded order in a replay (ReplayOrder.h); the
// dispatcher numbers them (`seq`), records each as an entity, tests its run-time type once per
// handler type (ItemTypes.h), groups `every N` (EveryN.h) and hands firings to the stream's
// handler threads (FiringQueue.h, HandlerFiring.h), parked in a replay until the model versions
// they used are trained (ReplayVersionGate.h); at the end come the last short groups, then
// `on end of` handlers, once every firing has finished (for a stream in a cycle of emits, in
// rounds its EmitGraph asks for while the cycle is still open, so what they emit is handled).
#pragma once

#include "runtime/engine/EmitGraph.h"
#include "runtime/engine/EveryN.h"
#include "runtime/engine/FiringQueue.h"
#include "runtime/engine/HandlerFiring.h"
#include "runtime/engine/ItemTypes.h"
#include "runtime/engine/ModelUses.h"
#include "runtime/engine/ReplayOrder.h"
#include "runtime/engine/ReplayVersionGate.h"
#include "runtime/engine/Run.h"
#include "runtime/engine/StreamSource.h"
#include "runtime/streams/BoundedQueue.h"
#include "runtime/streams/RehearsalBuffer.h"

#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace xdml::runtime {

class StreamRuntime {
public:
    /// `emits`: the run's emit graph (whether an emit may block, and the stream's end);
    /// `modelUse`: which models train on or score it (ModelUses.h, worked out once per run).
    StreamRuntime(Run& run, EmitGraph& emits, const StreamDecl& decl, std::string site, StreamModelUse modelUse = {});
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
    /// `roots`: the source items the emitting firing works for (ResumeLedger.h).
    void emit(const DatumPtr& d, int64_t activity, bool mustNotBlock = false, ItemRoots roots = {});
    /// No more emits will come: the stream ends once what it holds is handled.
    void closeInput();
    /// Its cycle of emits is quiet: fire what its end would (`step`) while the cycle is still
    /// open, after the items queued before it; the firings count in the cycle's end round.
    void endStep(CycleEndStep step);
    /// Stops the source (endless sources end so).
    void stopSource();
    void join();

    bool hasSource() const { return decl_.source.has_value(); }
    bool done() const { return done_.load(); }
    const std::string& name() const { return decl_.name; }
    std::size_t queueDepth() const { return input_.size() + static_cast<std::size_t>(std::max(0, firings_.underWay())); }

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
    /// The settings of that buffer (nullopt without `rehearse`), for a model that trains in
    /// another process and keeps its buffer there.
    std::optional<RehearsalConfig> rehearsalConfig(const std::string& model);
    /// The `mix` of `rehearse` (0 without one).
    double rehearsalMix() const { return mix_; }

private:
    struct Handler {
        BoundHandler bound;
        std::optional<EveryN> every;  // `every N` with N > 1: the group so far
        bool urgent = false;          // a deadline or priority: its firings are not batched
        // A handler that trains runs its firings one at a time, in item order: each training
        // then sees the items up to its own, after the trainings before it.
        std::unique_ptr<FiringQueue::Strand> strand;
        ItemRoots groupRoots;  // `every N`: the source items of the group so far
    };

    void dispatch();
    /// Fires the last, shorter `every N` groups; returns how many fired.
    int fireLastGroups();
    /// Fires the `on end of` handlers unless they have fired; returns how many fired.
    int fireEndHandlers();
    /// News of the source itself: reported, counted, and a possible loss kept for the run's end.
    void sourceNotice(const SourceItem& news);
    void accept(IncomingItem in);
    /// Records the item as an entity (and a decision when its content was invalidated).
    void recordItem(const IncomingItem& in, const DatumPtr& item, const std::string& hash);
    /// Resume: whether the resumed run handled this source item fully (then it is skipped), and
    /// else the source items it works for in `roots`.
    bool handledBefore(const IncomingItem& in, const DatumPtr& item, const std::string& hash, ItemRoots& roots);
    void fire(Handler& h, DatumPtr binding, int64_t seq, double arrival, std::vector<int64_t> items, ItemRoots roots = {});
    void keep(const DatumPtr& item);

    Run& run_;
    EmitGraph& emits_;
    const StreamDecl& decl_;
    std::string site_;
    std::vector<Handler> data_, end_;
    BoundedQueue<IncomingItem> input_;
    FiringQueue firings_;
    std::unique_ptr<StreamSource> source_;  // none for an emit-fed stream
    ItemTypes types_;
    ReplayOrder replay_;
    ReplayVersionGate versions_;  // a replay's firings wait, parked, for their model versions
    std::thread dispatcher_;
    int64_t nextSeq_ = 0;
    std::set<std::string> typeFailures_;  // types whose test failed, reported once
    std::atomic<bool> done_{false};
    bool endHandlersFired_ = false;  // by its cycle's end round: not again at the stream's end
    StreamCounters& counters_;
    CycleWork* cycleWork_;  // its cycle of emits' work counter, or nullptr outside any cycle

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
