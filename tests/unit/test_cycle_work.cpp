// test_cycle_work.cpp — the work counter of a cycle of emit-fed streams (CycleWork.h): holds
// count once each however they are copied, moved or dropped, and a self-feeding chain run the
// way StreamRuntime runs one (queue, dispatcher, firing queue) is never seen quiet before its
// last step, even with the dispatcher paused between taking an item and handing its firing over.
#include "runtime/engine/CycleWork.h"
#include "runtime/engine/FiringQueue.h"
#include "runtime/streams/BoundedQueue.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace xdml::runtime;

TEST_CASE("a cycle's work holds count once each, however they travel", "[cycle_work]") {
    CycleWork work;
    REQUIRE(work.quiet());
    {
        CycleWork::Hold a = work.hold();
        CHECK(work.underWay() == 1);
        CycleWork::Hold copy = a;  // a copied firing job counts again
        CHECK(work.underWay() == 2);
        CycleWork::Hold moved = std::move(copy);
        CHECK(work.underWay() == 2);
        CHECK_FALSE(copy.holds());
        moved.release();
        moved.release();  // a second release counts nothing
        CHECK(work.underWay() == 1);
        CycleWork::Hold none;
        none = std::move(a);
        CHECK(work.underWay() == 1);
    }
    CHECK(work.quiet());  // dropped holds let go of themselves
}

namespace {

struct Step {
    int n = 0;
    CycleWork::Hold work;
};

/// A stream that feeds itself `steps` times, run as StreamRuntime runs one; `watch` is asked
/// over and over, from another thread, whether the cycle is quiet, and closes the queue when it
/// says so. Returns the steps run; `lost` counts emits that found the queue closed.
int runChain(int steps, std::atomic<int>& lost) {
    CycleWork work;
    BoundedQueue<Step> input(256);
    FiringQueue firings;
    firings.start(4);
    std::atomic<int> ran{0};
    auto emit = [&](int n) {
        Step s{n, work.hold()};
        if (!input.pushPastCapacity(std::move(s))) lost++;
    };
    std::thread dispatcher([&] {
        while (auto step = input.pop()) {
            // The window the old test of quietness lost: the item is off the queue, its firing
            // not handed over yet.
            if (step->n % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
            FiringQueue::Firing firing;
            firing.run = [&, n = step->n, hold = work.hold()](FiringQueue::Defer*) mutable {
                ran++;
                if (n < steps) emit(n + 1);
                hold.release();
            };
            firings.submit(std::move(firing), nullptr, false);
            if (input.size() == 0) firings.flush();
        }
        firings.flush();
        firings.waitIdle();
    });
    emit(1);
    while (!work.quiet()) std::this_thread::yield();
    input.close();
    dispatcher.join();
    firings.close();
    return ran.load();
}

}  // namespace

TEST_CASE("a self-feeding chain is quiet only after its last step", "[cycle_work]") {
    for (int run = 0; run < 5; ++run) {
        std::atomic<int> lost{0};
        CHECK(runChain(5000, lost) == 5000);
        CHECK(lost.load() == 0);
    }
}
