// ReplayOrder.h — what one stream of a replay takes from the recorded run's log instead of the
// scheduler and its type tests: the order its emitted items are delivered in, which handlers
// fired on an item whose type is decided per item, the decisions to record again, and which
// `on end of` handlers fired. Outside a replay it asks nothing and holds nothing back.
#pragma once

#include "runtime/engine/Replay.h"
#include "runtime/engine/StreamSource.h"

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <utility>
#include <vector>

namespace xdml::runtime {

class ReplayOrder {
public:
    /// `log`: the replayed run's log, or nullptr outside a replay. `ordered`: whether the
    /// recorded order of its items applies (an emit-fed stream outside any cycle of emits; a
    /// stream in a cycle is not held back, as its next item may depend on the one held).
    ReplayOrder(const ReplayLog* log, std::string stream, bool ordered);

    bool replaying() const { return log_ != nullptr; }
    /// Hands `in` to `deliver` when its turn has come, with those held that it releases;
    /// otherwise holds it. An item whose content was not recorded waits for the end.
    void arrive(IncomingItem in, const std::function<void(IncomingItem)>& deliver);
    /// The end of the stream: what is still held, in arrival order.
    void releaseHeld(const std::function<void(IncomingItem)>& deliver);

    /// In a replay, whether handler `handler` fired on item `seq` in the recorded run.
    bool fired(int handler, int64_t seq) const { return log_->fired(handler, stream_, seq); }
    /// The decisions recorded about item `seq` (an inferred type), to record again; none
    /// outside a replay.
    std::vector<prov::DecisionRecord> itemDecisions(int64_t seq) const;
    std::vector<prov::DecisionRecord> streamDecisions() const;
    /// Whether `on end of` handler `handler` fires: always, except in a replay of a run in
    /// which it did not (a stream the user stopped never ended).
    bool endFires(int handler) const { return !log_ || log_->endFired(handler); }

private:
    const ReplayLog* log_;
    std::string stream_;
    const std::vector<std::string>* order_ = nullptr;        // content hashes in recorded order
    std::list<std::pair<std::string, IncomingItem>> held_;   // in arrival order
    std::size_t released_ = 0;
};

}  // namespace xdml::runtime
