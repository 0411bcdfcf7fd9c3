// Counter.h — a count that many threads add to, as the run's counters are (RunStats.h). Each
// thread adds to a slot on a cache line of its own, so threads on two cores that count the same
// thing do not pass one line back and forth, which is where a shared atomic's cost goes when the
// cores are far apart (docs/runtime.md, "The VM's two speeds"). A read sums the slots.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace xdml::runtime {

class Counter {
public:
    Counter() = default;
    Counter(const Counter&) = delete;
    Counter& operator=(const Counter&) = delete;

    void add(uint64_t n) { slots_[slotOfThisThread()].n.fetch_add(n, std::memory_order_relaxed); }
    Counter& operator+=(uint64_t n) {
        add(n);
        return *this;
    }
    void operator++(int) { add(1); }
    /// The sum of every thread's adds: exact once the adding threads are done (joined), a
    /// moment's count while they run.
    uint64_t load() const {
        uint64_t sum = 0;
        for (const Slot& s : slots_) sum += s.n.load(std::memory_order_relaxed);
        return sum;
    }
    operator uint64_t() const { return load(); }

private:
    static constexpr std::size_t kSlots = 8;
    struct alignas(64) Slot {
        std::atomic<uint64_t> n{0};
    };
    /// Threads take slots in turn as they first count; two threads sharing a slot are still
    /// counted right, only no faster.
    static std::size_t slotOfThisThread() {
        static std::atomic<std::size_t> next{0};
        thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kSlots;
        return slot;
    }
    std::array<Slot, kSlots> slots_;
};

}  // namespace xdml::runtime
