// ReplayOrder.cpp — see ReplayOrder.h.
#include "runtime/engine/ReplayOrder.h"

#include "runtime/engine/Run.h"

namespace xdml::runtime {

ReplayOrder::ReplayOrder(const ReplayLog* log, std::string stream, bool ordered)
    : log_(log), stream_(std::move(stream)) {
    // Which handler's emit came first is the scheduler's choice, and it decides positions,
    // groups and trainings: a replay delivers the items in the recorded order.
    if (log_ && ordered) order_ = log_->itemOrder(stream_);
}

void ReplayOrder::arrive(IncomingItem in, const std::function<void(IncomingItem)>& deliver) {
    if (!order_ || !in.datum) {
        deliver(std::move(in));
        return;
    }
    held_.emplace_back(contentHashOf(in.datum->value), std::move(in));
    for (bool found = true; found && released_ < order_->size();) {
        found = false;
        for (auto it = held_.begin(); it != held_.end(); ++it)
            if (it->first == (*order_)[released_]) {
                deliver(std::move(it->second));
                held_.erase(it);
                ++released_;
                found = true;
                break;
            }
    }
}

void ReplayOrder::releaseHeld(const std::function<void(IncomingItem)>& deliver) {
    for (auto& [hash, in] : held_) deliver(std::move(in));
    held_.clear();
}

std::vector<prov::DecisionRecord> ReplayOrder::streamDecisions() const {
    if (!log_) return {};
    return log_->streamDecisions(stream_);
}

std::vector<prov::DecisionRecord> ReplayOrder::itemDecisions(int64_t seq) const {
    if (!log_) return {};
    return log_->itemDecisions(stream_, seq);
}

}  // namespace xdml::runtime
