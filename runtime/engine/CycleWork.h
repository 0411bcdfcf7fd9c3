// CycleWork.h — the work under way in a cycle of emit-fed streams (EmitGraph.h), counted so
// that the cycle is seen quiet only when it is: every item queued or being dispatched and
// every firing handed over and not finished holds one count, taken before the work exists
// and let go only after what it started holds counts of its own. New work in the cycle comes
// only from work of the cycle (or from outside, which has ended before anyone asks), so once
// the count is zero it stays zero: deciding that the cycle is quiet has no race to lose.
// A quiet cycle is not yet ended: its last `every N` groups and `on end of` handlers still
// fire, in rounds (EmitGraph::closeFeds), and what they emit back is handled before it ends.
#pragma once

#include <atomic>
#include <cstdint>

namespace xdml::runtime {

/// A round of a cycle's end, asked of each of its streams once the cycle is quiet.
enum class CycleEndStep : uint8_t {
    None,         // not a step: an item
    LastGroups,   // fire the last, shorter `every N` groups
    EndHandlers,  // fire the `on end of` handlers (once; every firing of the cycle has finished)
};

class CycleWork {
public:
    /// One count of work. Copies count again (a firing's job may be copied), a moved-from or
    /// released hold counts nothing, and a hold let go without release() (work dropped on the
    /// way) releases itself.
    class Hold {
    public:
        Hold() = default;
        explicit Hold(CycleWork* work) : work_(work) {
            if (work_) work_->underWay_.fetch_add(1, std::memory_order_acq_rel);
        }
        Hold(const Hold& other) : Hold(other.work_) {}
        Hold(Hold&& other) noexcept : work_(other.work_) { other.work_ = nullptr; }
        Hold& operator=(Hold other) noexcept {
            release();
            work_ = other.work_;
            other.work_ = nullptr;
            return *this;
        }
        ~Hold() { release(); }

        void release() {
            if (work_) work_->underWay_.fetch_sub(1, std::memory_order_acq_rel);
            work_ = nullptr;
        }
        bool holds() const { return work_ != nullptr; }

    private:
        CycleWork* work_ = nullptr;
    };

    CycleWork() = default;
    CycleWork(const CycleWork&) = delete;
    CycleWork& operator=(const CycleWork&) = delete;

    Hold hold() { return Hold(this); }
    /// Items and firings of the cycle under way now.
    int64_t underWay() const { return underWay_.load(std::memory_order_acquire); }
    /// Nothing under way: with nothing outside the cycle feeding it any more, final.
    bool quiet() const { return underWay() == 0; }

    /// A stream fired a handler for the current round of the cycle's end.
    void firedInEndRound() { endRoundFirings_.fetch_add(1, std::memory_order_acq_rel); }
    /// The firings of the round just finished (read once the cycle is quiet again), from zero again.
    int64_t takeEndRoundFirings() { return endRoundFirings_.exchange(0, std::memory_order_acq_rel); }

private:
    std::atomic<int64_t> underWay_{0};
    std::atomic<int64_t> endRoundFirings_{0};
};

}  // namespace xdml::runtime
