// test_engine_parts.cpp — the run's parts that need no run: the meta-controller deciding from
// SiteStatus messages alone, `every N` grouping, a replay's recorded emit order, and how a
// failure is read and reported (repeats counted, not shown).
#include "runtime/engine/Counter.h"
#include "runtime/engine/EveryN.h"
#include "runtime/engine/FailureReports.h"
#include "runtime/engine/MetaController.h"
#include "runtime/engine/PolicyTable.h"
#include "runtime/engine/ReplayOrder.h"
#include "runtime/engine/Run.h"
#include "runtime/interp/EvalError.h"
#include "runtime/io/DataError.h"

#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace xdml;
using namespace xdml::runtime;

namespace {

SiteStatus statusOf(const std::string& site, double wait, double meanJob) {
    SiteStatus s;
    s.site = site;
    s.capacity = 2;
    s.estimatedWait = wait;
    s.meanJobSeconds = meanJob;
    return s;
}

NodeInfo dataTask(const std::string& site) {
    NodeInfo n;
    n.id = 7;
    n.site = site;
    n.bytes = 1000;
    return n;
}

/// A replay log that knows only the order of one stream's items.
class OrderLog final : public ReplayLog {
public:
    explicit OrderLog(std::vector<std::string> order) : order_(std::move(order)) {}
    int64_t originalRun() const override { return 1; }
    const std::vector<std::string>* sourceItems(const std::string&) const override { return nullptr; }
    int64_t recordedItems(const std::string&) const override { return -1; }
    bool endFired(int handler) const override { return handler == 1; }
    bool wrote(const std::string&) const override { return false; }
    const std::vector<std::string>* itemOrder(const std::string&) const override { return &order_; }
    bool fired(int, const std::string&, int64_t) const override { return false; }
    int64_t modelVersion(const std::string&, int, int64_t) const override { return -1; }
    std::vector<prov::DecisionRecord> itemDecisions(const std::string&, int64_t) const override { return {}; }

private:
    std::vector<std::string> order_;
};

IncomingItem itemOf(int64_t n) {
    IncomingItem in;
    in.datum = Datum::make(Value::integer(n), "local");
    return in;
}

}  // namespace

TEST_CASE("the meta-controller moves a late locality-data task by the sites' statuses alone", "[engine]") {
    PlanModel plan;
    plan.links.push_back({"edge", "hpc", 1e6, 0.001});  // 1000 bytes: 1 ms of transfer
    std::vector<SiteStatus> statuses{statusOf("edge", 0.5, 0.1), statusOf("hpc", 0.0, 0.01)};
    Counter relocations;
    MetaController meta([&] { return statuses; }, plan, nullptr, relocations);
    EffectivePolicy policy;
    policy.locality = "data";
    policy.deadline = 0.2;

    CHECK(meta.chooseSite(dataTask("edge"), policy, "t") == "hpc");
    CHECK(relocations.load() == 1);

    statuses[0].estimatedWait = 0.05;  // the planned site meets the deadline again
    CHECK(meta.chooseSite(dataTask("edge"), policy, "t") == "edge");
    statuses[0].estimatedWait = 0.5;
    NodeInfo fixed = dataTask("edge");
    fixed.fixed = true;
    CHECK(meta.chooseSite(fixed, policy, "t") == "edge");
    policy.locality = "hpc";
    CHECK(meta.chooseSite(dataTask("edge"), policy, "t") == "edge");
    CHECK(relocations.load() == 1);
    policy.locality = "data";
    CHECK_THROWS_AS(meta.chooseSite(dataTask("moon"), policy, "t"), PlanError);
}

TEST_CASE("a counter sums every thread's adds, more threads than it has slots", "[engine]") {
    Counter counter;
    std::vector<std::thread> threads;
    constexpr int kThreads = 12, kAdds = 20000;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&counter, t] {
            for (int i = 0; i < kAdds; ++i) {
                if (i % 2) counter++;
                else counter += static_cast<uint64_t>(t);
            }
        });
    for (std::thread& t : threads) t.join();
    uint64_t expected = 0;
    for (int t = 0; t < kThreads; ++t) expected += kAdds / 2 + static_cast<uint64_t>(t) * (kAdds / 2);
    CHECK(counter.load() == expected);
    CHECK(static_cast<uint64_t>(counter) == expected);
    counter.add(5);
    CHECK(counter.load() == expected + 5);
}

TEST_CASE("every N delivers groups of N and the last, shorter group once", "[engine]") {
    EveryN every(3, "local");
    std::vector<ItemGroup> groups;
    for (int64_t i = 0; i < 7; ++i) {
        DatumPtr d = Datum::make(Value::integer(i), "local", i);
        d->entity = 100 + i;
        if (auto g = every.add(d)) groups.push_back(*g);
    }
    REQUIRE(groups.size() == 2);
    CHECK(groups[1].seq == 5);
    CHECK(groups[1].items == std::vector<int64_t>{103, 104, 105});
    CHECK(groups[1].list->value.asList().size() == 3);
    CHECK(groups[1].list->seq == 5);
    auto rest = every.rest();
    REQUIRE(rest);
    CHECK(rest->items == std::vector<int64_t>{106});
    CHECK_FALSE(every.rest());
}

TEST_CASE("a replay delivers emitted items in the recorded order, unrecorded ones at the end", "[engine]") {
    const std::string h1 = contentHashOf(Value::integer(1)), h2 = contentHashOf(Value::integer(2));
    OrderLog log({h1, h2});
    ReplayOrder order(&log, "s", true);
    std::vector<int64_t> delivered;
    auto deliver = [&](IncomingItem in) { delivered.push_back(in.datum->value.asInt()); };
    order.arrive(itemOf(2), deliver);
    order.arrive(itemOf(9), deliver);
    CHECK(delivered.empty());
    order.arrive(itemOf(1), deliver);
    CHECK(delivered == std::vector<int64_t>{1, 2});
    order.releaseHeld(deliver);
    CHECK(delivered == std::vector<int64_t>{1, 2, 9});
    CHECK(order.endFires(1));
    CHECK_FALSE(order.endFires(2));

    ReplayOrder live(nullptr, "s", true);  // not a replay: nothing held, every end fires
    live.arrive(itemOf(9), deliver);
    CHECK(delivered.back() == 9);
    CHECK(live.endFires(2));
}

TEST_CASE("a failure's line is its own when it has one, else the statement's", "[engine]") {
    CHECK(failureText(EvalError("bad", 12), 3).line == 12);
    CHECK(failureText(EvalError("bad", 12), 3).message == "bad");
    CHECK(failureText(EvalError("bad"), 3).line == 3);
    CHECK(failureText(TaskFailure("task 't' failed: x", 8), 3).line == 8);
    CHECK(failureText(TaskFailure("task 't' failed: x", 0), 3).line == 3);
    CHECK(failureText(std::runtime_error("disk full"), 3).message == "disk full");

    FailureReports reports([](const std::string&) {}, true, false);
    for (int i = 0; i < 5; ++i) reports.report("f.xdml:3: boom " + std::to_string(i), "3:boom");
    CHECK(reports.notShown() == "  … 2 more like this: f.xdml:3: boom 0\n");
}

TEST_CASE("a failure repeated per item is shown three times with its reason, then counted", "[engine]") {
    // The same write failing for every item: the path differs by the item's number only.
    auto kindFor = [](int item, int line) {
        return failureText(DataError("/w/out/f_" + std::to_string(item) + ".npy", "cannot write it: No space left on device"), line).kind;
    };
    CHECK(kindFor(7, 8) == kindFor(30000, 8));
    CHECK(kindFor(7, 8) != kindFor(7, 9));  // another statement's failure is its own kind
    CHECK(failureText(std::runtime_error("disk full"), 3).kind != failureText(std::runtime_error("bad shape"), 3).kind);

    std::ostringstream shown;
    std::streambuf* standardError = std::cerr.rdbuf(shown.rdbuf());
    FailureReports reports([](const std::string&) {}, false, false);
    for (int i = 0; i < 30000; ++i)
        reports.report("f.xdml:8: /w/out/f_" + std::to_string(i) + ".npy: cannot write it: No space left on device", kindFor(i, 8));
    reports.reportNotShown();
    std::cerr.rdbuf(standardError);
    const std::string text = shown.str();
    CHECK(text ==
          "xdmlc: f.xdml:8: /w/out/f_0.npy: cannot write it: No space left on device\n"
          "xdmlc: f.xdml:8: /w/out/f_1.npy: cannot write it: No space left on device\n"
          "xdmlc: f.xdml:8: /w/out/f_2.npy: cannot write it: No space left on device\n"
          "xdmlc: … more like this are counted, not shown\n"
          "  … 29997 more like this: f.xdml:8: /w/out/f_0.npy: cannot write it: No space left on device\n");
}

TEST_CASE("a policy table evaluates each clause map once, and a new table its own", "[engine][policy]") {
    const Program program;
    auto priority = [](int64_t p) {
        ClauseInfo c;
        c.value = std::to_string(p);
        c.from = "p";
        c.expr = Expr();
        c.expr->literal = Value::integer(p);
        return c;
    };
    ClauseMap high{{"priority", priority(9)}}, low{{"priority", priority(1)}};
    std::optional<PolicyTable> table;
    table.emplace(program, nullptr);
    const EffectivePolicy& first = table->of(high);
    CHECK(first.priority == 9);
    CHECK(&table->of(high) == &first);  // kept, and answered again without evaluating
    CHECK(table->of(low).priority == 1);
    for (int i = 0; i < 6; ++i) CHECK(table->of(i % 2 ? low : high).priority == (i % 2 ? 1 : 9));
    // A later table in the same place, asked for the same clause map (now saying something
    // else), evaluates it again: nothing is answered from the table that is gone.
    table.reset();
    high.at("priority") = priority(5);
    table.emplace(program, nullptr);
    CHECK(table->of(high).priority == 5);
    std::thread other([&] { CHECK(table->of(high).priority == 5); });
    other.join();
}
