// CycleWork.h — the work under way in a cycle of emit-fed streams (EmitGraph.h), counted so
// that the cycle is seen quiet only when it is: every item queued or being dispatched and
// every firing handed over and not finished holds one count, taken before the work exists
// and let go only after what it started holds counts of its own. New work in the cycle comes
// only from work of the cycle (or from outside, which has ended before anyone asks), so once
// the count is zero it stays zero: deciding that the cycle is quiet has no race to lose.
#pragma once

#include <atomic>
#include <cstdint>

namespace xdml::runtime {

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

private:
    std::atomic<int64_t> underWay_{0};
};

}  // namespace xdml::runtime
