// test_firing_queue.cpp — a stream's firing queue: a firing that may not start yet (a replay's,
// waiting for a model version) is parked without holding a handler thread, strands keep their
// order around a parked firing, a replay's gate asks for the versions the recorded run used,
// firings are batched, and no more of them run at once than the queue's parallelism unless
// some wait (BlockingWait).
#include "runtime/engine/BlockingWait.h"
#include "runtime/engine/FiringQueue.h"
#include "runtime/engine/Pending.h"
#include "runtime/engine/ReplayVersionGate.h"

#include "PlanTestSupport.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>
#include <map>
#include <mutex>
#include <vector>

using namespace xdml;
using namespace xdml::runtime;

namespace {

/// A model version that is "trained" by a firing: the gate of a firing that needs it parks
/// the firing until then, as Models::whenVersionMade does.
class Version {
public:
    FiringQueue::Gate gate() {
        return [this](std::function<void()> wake) {
            std::lock_guard lock(mutex_);
            if (made_) return true;
            wakes_.push_back(std::move(wake));
            return false;
        };
    }
    void make() {
        std::vector<std::function<void()>> wakes;
        {
            std::lock_guard lock(mutex_);
            made_ = true;
            wakes.swap(wakes_);
        }
        for (auto& wake : wakes) wake();
    }

private:
    std::mutex mutex_;
    bool made_ = false;
    std::vector<std::function<void()>> wakes_;
};

/// What ran, in order.
class Trace {
public:
    FiringQueue::Job firing(const std::string& name, std::function<void()> then = {}) {
        return [this, name, then](FiringQueue::Defer*) {
            {
                std::lock_guard lock(mutex_);
                order_.push_back(name);
            }
            if (then) then();
        };
    }
    std::vector<std::string> order() {
        std::lock_guard lock(mutex_);
        return order_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> order_;
};

/// Whether the queue gets idle within `limit` (polled: a test that fails must not hang, and a
/// parked firing would be released only after FiringQueue::kLongestPark).
bool idleWithin(FiringQueue& queue, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (queue.underWay() != 0) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

/// Hands `firings` firings of `each` over as one batch and waits for them: the most that ran at
/// once.
int mostAtOnce(FiringQueue& queue, int firings, std::chrono::milliseconds each) {
    std::atomic<int> running{0}, most{0};
    for (int i = 0; i < firings; ++i)
        queue.submit({[&](FiringQueue::Defer*) {
                          const int now = ++running;
                          int seen = most.load();
                          while (now > seen && !most.compare_exchange_weak(seen, now)) {
                          }
                          std::this_thread::sleep_for(each);
                          --running;
                      },
                      nullptr},
                     nullptr, false);
    queue.flush();
    REQUIRE(idleWithin(queue, std::chrono::seconds(30)));
    return most.load();
}

Program programOf(const std::string& text) { return Program::fromPlan(test::planOf(text)); }

/// A replay log that knows which model version answered which firing.
class VersionLog final : public ReplayLog {
public:
    std::map<std::tuple<std::string, int, int64_t>, int64_t> versions;
    int64_t originalRun() const override { return 1; }
    const std::vector<std::string>* sourceItems(const std::string&) const override { return nullptr; }
    int64_t recordedItems(const std::string&) const override { return -1; }
    bool endFired(int) const override { return true; }
    bool wrote(const std::string&) const override { return false; }
    const std::vector<std::string>* itemOrder(const std::string&) const override { return nullptr; }
    bool fired(int, const std::string&, int64_t) const override { return false; }
    int64_t modelVersion(const std::string& model, int handler, int64_t seq) const override {
        auto it = versions.find({model, handler, seq});
        return it == versions.end() ? -1 : it->second;
    }
    std::vector<prov::DecisionRecord> itemDecisions(const std::string&, int64_t) const override { return {}; }
};

/// Models that have made versions up to `made`, and say which version a gate asked for.
class CountedModels final : public Models {
public:
    int64_t made = 0;
    std::vector<std::pair<std::string, int64_t>> asked;
    bool whenVersionMade(const std::string& model, int64_t version, std::function<void()>) override {
        asked.emplace_back(model, version);
        return version <= made;
    }
    Inference infer(const std::string&, const Value&, int64_t) override { return {}; }
    int64_t version(const std::string&) override { return made; }
    int64_t versionEntity(const std::string&) override { return -1; }
    int64_t inputSize(const std::string&) override { return 1; }
    double accuracy(const std::string&, const std::vector<LabeledItem>&,
                    const std::function<void(const std::string&)>&) override {
        return 0;
    }
    TrainingResult train(const TrainingRequest&) override { return {}; }
    std::string statsJson() override { return "{}"; }
};

}  // namespace

TEST_CASE("a firing waiting for a model version is parked: one handler thread runs the firing that makes it",
          "[engine][replay]") {
    FiringQueue queue;
    queue.start(1);
    Version v1;
    Trace trace;
    // The classifying firing comes first and needs v1; the training firing queued behind it
    // makes v1. Waiting on the only thread would never end.
    queue.submit({trace.firing("classify"), v1.gate()}, nullptr, false);
    queue.submit({trace.firing("train", [&] { v1.make(); }), nullptr}, nullptr, false);
    queue.flush();
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    CHECK(trace.order() == std::vector<std::string>{"train", "classify"});
    CHECK(queue.parked() == 0);
    CHECK(queue.underWay() == 0);
}

TEST_CASE("a parked firing counts as under way until it has run", "[engine][replay]") {
    FiringQueue queue;
    queue.start(1);
    Version v1;
    Trace trace;
    queue.submit({trace.firing("classify"), v1.gate()}, nullptr, true);
    for (int i = 0; i < 200 && queue.parked() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(queue.parked() == 1);
    CHECK(queue.underWay() == 1);
    v1.make();  // from another thread than the handler's, as a training elsewhere does
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    CHECK(trace.order() == std::vector<std::string>{"classify"});
}

TEST_CASE("a strand waits with its parked firing and keeps its order", "[engine][replay]") {
    FiringQueue queue;
    queue.start(1);
    Version v1;
    Trace trace;
    FiringQueue::Strand strand;
    queue.submit({trace.firing("s0"), v1.gate()}, &strand, false);
    queue.submit({trace.firing("s1"), nullptr}, &strand, false);
    queue.submit({trace.firing("other", [&] { v1.make(); }), nullptr}, nullptr, true);
    queue.submit({trace.firing("s2"), nullptr}, &strand, false);
    queue.flush();
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    const std::vector<std::string> order = trace.order();
    REQUIRE(order.size() == 4);
    CHECK(order[0] == "other");
    CHECK(std::vector<std::string>(order.begin() + 1, order.end()) == std::vector<std::string>{"s0", "s1", "s2"});
}

TEST_CASE("a wake that comes after its queue is gone does nothing", "[engine][replay]") {
    std::function<void()> late;
    {
        FiringQueue queue;
        queue.start(1);
        queue.submit({[](FiringQueue::Defer*) {}, [&](std::function<void()> wake) {
                          late = std::move(wake);
                          return false;
                      }},
                     nullptr, true);
        for (int i = 0; i < 200 && queue.parked() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        REQUIRE(queue.parked() == 1);
    }
    REQUIRE(late);
    late();
}

TEST_CASE("a replay's gate asks for the versions the recorded firing used", "[engine][replay]") {
    const Program program = programOf(R"(import std.ml;
type Frame = tensor<f32>[4];
type Lab = { x: Frame, y: int };
model m { input: Frame, classes: 2, arch: linear }
fn frame(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(frame, 4);
stream lab: Lab;
task learn(n: int) -> int { train m on lab; return n; }
flow f {
    on new data of type Frame in frames as x { log "{m(x)}"; }
    on new data of type Lab in lab as l { train m on lab; log "{m(l.x)}"; }
    on new data of type Lab in lab as l { log "{learn(1)} {m(l.x)}"; }
}
)");
    const std::vector<Stmt>& handlers = program.flows().at("f").body;
    REQUIRE(handlers.size() == 3);
    VersionLog log;
    log.versions[{"m", 0, 3}] = 2;
    log.versions[{"m", 1, 5}] = 4;
    log.versions[{"m", 2, 6}] = 4;
    CountedModels models;
    models.made = 2;
    ReplayVersionGate gate(&log, program, &models);
    for (int h = 0; h < 3; ++h) gate.addHandler(h, handlers[static_cast<std::size_t>(h)].body);

    CHECK_FALSE(gate.gateOf(0, 2));   // no model answered it
    CHECK_FALSE(gate.gateOf(0, -1));  // an `on end of` firing
    const FiringQueue::Gate classify = gate.gateOf(0, 3);
    REQUIRE(classify);
    CHECK(classify([] {}));
    CHECK(models.asked.back() == std::pair<std::string, int64_t>{"m", 2});
    // A firing that trains (itself, or in a task it calls) may use the version it makes: it
    // waits for the one before.
    for (int h : {1, 2}) {
        const FiringQueue::Gate trains = gate.gateOf(h, h == 1 ? 5 : 6);
        REQUIRE(trains);
        CHECK_FALSE(trains([] {}));
        CHECK(models.asked.back() == std::pair<std::string, int64_t>{"m", 3});
    }

    ReplayVersionGate outsideReplay(nullptr, program, &models);
    CHECK_FALSE(outsideReplay.gateOf(0, 3));
}

TEST_CASE("firings are batched by how long they take: slow ones each get a handler thread", "[engine][firings]") {
    FiringQueue queue;
    queue.start(4);
    // Slow firings (20 ms each) teach the queue their duration.
    for (int i = 0; i < 8; ++i)
        queue.submit({[](FiringQueue::Defer*) { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }, nullptr}, nullptr, false);
    queue.flush();
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    // Two more, handed over back to back with no flush between: each is a batch of its own,
    // so they run at once on two threads. Batched together they would run one after the
    // other on one thread, and the first would wait for the second in vain.
    std::mutex mutex;
    std::condition_variable changed;
    int running = 0;
    std::atomic<int> metPartner{0};
    auto meet = [&](FiringQueue::Defer*) {
        std::unique_lock lock(mutex);
        ++running;
        changed.notify_all();
        if (changed.wait_for(lock, std::chrono::seconds(5), [&] { return running >= 2; })) ++metPartner;
    };
    queue.submit({meet, nullptr}, nullptr, false);
    queue.submit({meet, nullptr}, nullptr, false);
    queue.flush();
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    CHECK(metPartner.load() == 2);
}

TEST_CASE("a batch of firings slower than the queue expected is split among the idle threads", "[engine][firings]") {
    FiringQueue queue;
    queue.start(4);
    // A fresh queue expects short firings and hands these eight over as one batch. Run in
    // turn on one thread they would never overlap; split after the first, they run four at once.
    CHECK(mostAtOnce(queue, 8, std::chrono::milliseconds(50)) >= 3);
}

TEST_CASE("handler threads beyond the default start only when every thread is busy", "[engine][firings]") {
    FiringQueue queue;
    queue.start(32);
    CHECK(queue.threads() == FiringQueue::kDefaultThreads);
    // Twenty firings that each wait until twenty run at once (as firings wait for calls on
    // other ranks): they need twenty threads, started as batches find the others busy.
    std::mutex mutex;
    std::condition_variable changed;
    int running = 0;
    std::atomic<int> met{0};
    for (int i = 0; i < 20; ++i)
        queue.submit({[&](FiringQueue::Defer*) {
                          std::unique_lock lock(mutex);
                          ++running;
                          changed.notify_all();
                          if (changed.wait_for(lock, std::chrono::seconds(10), [&] { return running >= 20; })) ++met;
                      },
                      nullptr},
                     nullptr, true);
    REQUIRE(idleWithin(queue, std::chrono::seconds(30)));
    CHECK(met.load() == 20);
    CHECK(queue.threads() >= 20);
    CHECK(queue.threads() <= 32);
}

TEST_CASE("short firings run in batches, every one of them, each once", "[engine][firings]") {
    FiringQueue queue;
    queue.start(3);
    constexpr int kFirings = 20000;
    std::vector<std::atomic<int>> ran(kFirings);
    for (int i = 0; i < kFirings; ++i) queue.submit({[&ran, i](FiringQueue::Defer*) { ran[i].fetch_add(1); }, nullptr}, nullptr, false);
    queue.flush();
    REQUIRE(idleWithin(queue, std::chrono::seconds(60)));
    int once = 0;
    for (auto& r : ran) once += r.load() == 1;
    CHECK(once == kFirings);
}

TEST_CASE("a deferred firing gives its thread back and is under way until its rest has run", "[engine][firings]") {
    FiringQueue queue;
    queue.allowDeferred(1);
    queue.start(1);
    std::mutex mutex;
    std::function<void()> ready;
    std::atomic<int> rests{0}, waitedInPlace{0};
    std::atomic<bool> restOnHandlerThread{false};
    const auto caller = std::this_thread::get_id();
    for (int i = 0; i < 2; ++i)
        queue.submit({[&](FiringQueue::Defer* defer) {
                          if (!defer) {  // the one deferral allowed is taken
                              ++waitedInPlace;
                              return;
                          }
                          std::lock_guard lock(mutex);
                          ready = defer->later([&] {
                              restOnHandlerThread = std::this_thread::get_id() != caller;
                              ++rests;
                          });
                      },
                      nullptr},
                     nullptr, true);
    // The one thread ran both firings: the first handed its rest over, the second found no room.
    for (int i = 0; i < 200 && waitedInPlace.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(waitedInPlace.load() == 1);
    CHECK(queue.deferred() == 1);
    CHECK(queue.underWay() == 1);
    CHECK(rests.load() == 0);
    {
        std::lock_guard lock(mutex);
        REQUIRE(ready);
        ready();
    }
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    CHECK(rests.load() == 1);
    CHECK(restOnHandlerThread.load());
    CHECK(queue.deferred() == 0);
}

TEST_CASE("by default no more firings run at once than the queue's parallelism, and no thread more starts", "[engine][firings]") {
    FiringQueue queue;
    queue.setParallelism(2);
    queue.start();
    CHECK(queue.parallelism() == 2);
    CHECK(queue.threads() == 2);
    // Forty firings of 3 ms: the queue splits its first batch among its threads (a batch of
    // slow firings), and would start threads for them were it not at its parallelism.
    CHECK(mostAtOnce(queue, 40, std::chrono::milliseconds(3)) == 2);
    CHECK(queue.threads() == 2);
}

TEST_CASE("the default parallelism is the cores this process may use, at most eight", "[engine][firings]") {
    const int cores = FiringQueue::defaultParallelism();
    CHECK(cores >= 1);
    CHECK(cores <= FiringQueue::kDefaultThreads);
    CHECK(cores <= static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("a firing waiting for its task's result lends its turn to another firing", "[engine][firings]") {
    FiringQueue queue;
    queue.setParallelism(1);
    queue.start();
    // The first firing waits for a value only the second firing makes. With one turn and no
    // lending, the second would wait for the first, which waits for it.
    auto pending = std::make_shared<PendingDatum>();
    std::atomic<bool> got{false};
    queue.submit({[&](FiringQueue::Defer*) { got = pending->get() != nullptr; }, nullptr}, nullptr, true);
    queue.submit({[&](FiringQueue::Defer*) { pending->set(Datum::make(Value::integer(7), "local")); }, nullptr}, nullptr, true);
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    CHECK(got.load());
    CHECK(queue.threads() == 2);  // one started to run the second while the first waited
    // The thread over the limit gives its turn back once no batch waits, at the latest when its
    // wait for one times out (a second): then one firing runs at a time again.
    for (int i = 0; i < 300 && queue.turnsHeld() > 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(queue.turnsHeld() == 1);
    CHECK(mostAtOnce(queue, 20, std::chrono::milliseconds(3)) == 1);
}

TEST_CASE("a wait the queue is not told of keeps its turn", "[engine][firings]") {
    FiringQueue queue;
    queue.setParallelism(1);
    queue.start();
    // The same two firings, the first waiting on a condition rather than in a BlockingWait: the
    // second runs only once the first has given up (as a firing blocked in a system call does).
    std::mutex mutex;
    std::condition_variable made;
    bool value = false, gotInTime = true;
    queue.submit({[&](FiringQueue::Defer*) {
                      std::unique_lock lock(mutex);
                      gotInTime = made.wait_for(lock, std::chrono::milliseconds(300), [&] { return value; });
                  },
                  nullptr},
                 nullptr, true);
    queue.submit({[&](FiringQueue::Defer*) {
                      std::lock_guard lock(mutex);
                      value = true;
                      made.notify_all();
                  },
                  nullptr},
                 nullptr, true);
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    CHECK_FALSE(gotInTime);
    CHECK(value);
    CHECK(queue.threads() == 1);
}

TEST_CASE("a wait inside another lends the turn once, and a wait off the handler threads does nothing", "[engine][firings]") {
    FiringQueue queue;
    queue.setParallelism(1);
    queue.start();
    std::atomic<int> turnsHeldInside{-1};
    queue.submit({[&](FiringQueue::Defer*) {
                      BlockingWait outer;
                      BlockingWait inner;
                      turnsHeldInside = queue.turnsHeld();
                  },
                  nullptr},
                 nullptr, true);
    REQUIRE(idleWithin(queue, std::chrono::seconds(20)));
    CHECK(turnsHeldInside.load() == 0);  // its own turn lent once, not twice
    for (int i = 0; i < 300 && queue.turnsHeld() != 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(queue.turnsHeld() == 1);
    {
        BlockingWait here;  // the test's thread is none of the queue's
        CHECK(queue.turnsHeld() == 1);
    }
}
