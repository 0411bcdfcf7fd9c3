// test_engine.cpp — the runtime's engine parts on their own: a site worker pool's queue order
// and limits, values through the codec, and the plan model's join of code to nodes.
#include "PlanTestSupport.h"
#include "TempDir.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/JobQueue.h"
#include "runtime/engine/LocalExecutor.h"
#include "runtime/engine/Run.h"
#include "runtime/engine/WorkerPool.h"
#include "runtime/io/DataError.h"
#include "runtime/io/ValueCodec.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

using namespace xdml;
using namespace xdml::runtime;

namespace {

/// Holds a controller's only worker until released, so jobs queue up behind it.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    void wait() {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return open; });
    }
    void release() {
        {
            std::lock_guard lock(m);
            open = true;
        }
        cv.notify_all();
    }
};

Job job(int priority, double deadline, std::function<void()> run) {
    Job j;
    j.priority = priority;
    j.deadline = deadline;
    j.run = std::move(run);
    return j;
}

}  // namespace

TEST_CASE("a site runs higher priorities first, then the earliest deadline, then arrival order") {
    WorkerPool site("edge", 1);
    Gate gate;
    std::mutex m;
    std::vector<std::string> order;
    auto note = [&](const std::string& name) {
        return [&, name] {
            std::lock_guard lock(m);
            order.push_back(name);
        };
    };
    site.submit(job(0, 1e9, [&] { gate.wait(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the gate job is running
    site.submit(job(1, 1e9, note("low-a")));
    site.submit(job(5, 9.0, note("high-late")));
    site.submit(job(5, 3.0, note("high-early")));
    site.submit(job(1, 1e9, note("low-b")));
    SiteStatus s = site.status();
    CHECK(s.capacity == 1);
    CHECK(s.running == 1);
    CHECK(s.queued == 4);
    gate.release();
    site.shutdown();
    CHECK(order == std::vector<std::string>{"high-early", "high-late", "low-a", "low-b"});
}

TEST_CASE("a limit caps the jobs of one policy running at once") {
    WorkerPool site("hpc", 4);
    std::atomic<int> running{0}, most{0};
    for (int i = 0; i < 12; ++i) {
        Job j = job(0, 1e9, [&] {
            int now = ++running;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {}
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            --running;
        });
        j.limitKey = "policy 'heavy'";
        j.maxConcurrent = 2;
        site.submit(std::move(j));
    }
    site.shutdown();
    CHECK(most.load() == 2);
}

TEST_CASE("a job queue without threads: slots, policy order, limits and running at once") {
    JobQueue q("hpc", 2);
    auto named = [](int priority, uint64_t call, const std::string& limit = "", int most = 0) {
        Job j = job(priority, 1e9, [] {});
        j.call = call;
        j.limitKey = limit;
        j.maxConcurrent = most;
        return j;
    };
    CHECK(q.startNow(named(0, 1)));  // a free slot, nothing waiting
    q.push(named(1, 2, "heavy", 1));
    q.push(named(1, 3, "heavy", 1));
    q.push(named(9, 4));
    CHECK_FALSE(q.startNow(named(0, 5)));  // others wait: it would jump the queue
    auto first = q.startNext();
    REQUIRE(first);
    CHECK(first->call == 4);  // the highest priority
    CHECK_FALSE(q.startNext());  // both slots taken
    CHECK(q.status().running == 2);
    CHECK(q.status().queued == 2);
    q.finish(*first, 0.5);
    auto second = q.startNext();
    REQUIRE(second);
    CHECK(second->call == 2);
    q.finish(named(0, 1), 0.5);
    CHECK_FALSE(q.startNext());  // call 3 shares call 2's limit of one
    q.finish(*second, 0.5);
    auto third = q.startNext();
    REQUIRE(third);
    CHECK(third->call == 3);
    CHECK(q.empty());
    CHECK(q.status().meanJobSeconds == Approx(0.5));
}

TEST_CASE("workers follow a site's cores, capped by the machine") {
    CHECK(workersFor(0, 8) == 8);
    CHECK(workersFor(2, 8) == 2);
    CHECK(workersFor(1024, 2) == 2);
    CHECK(workersFor(4, 0) == 1);
}

TEST_CASE("values survive the codec bit for bit, and bad bytes are a DataError") {
    Tensor t = Tensor::zeros(ElemType::F32, {2, 3});
    for (int i = 0; i < 6; ++i) t.data<float>()[i] = 0.1f * static_cast<float>(i) - 0.2f;
    RecordValue r;
    r.fields.push_back({"x", Value::tensor(t)});
    r.fields.push_back({"y", Value::integer(-7)});
    r.fields.push_back({"name", Value::string("frame \"7\"")});
    r.fields.push_back({"d", Value::quantity(QuantityKind::Duration, 2.5)});
    r.fields.push_back({"tags", Value::list({Value::boolean(true), Value::none(), Value::float32(1.5f)})});
    const Value v = Value::record(std::move(r));
    const std::string bytes = encodeValue(v);
    const Value back = decodeValue(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), "v.xv");
    CHECK(encodeValue(back) == bytes);
    CHECK(back.asRecord().find("x")->asTensor().data<float>()[5] == t.data<float>()[5]);
    CHECK(payloadBytes(v) == 24 + 8 + 9 + 8 + (1 + 0 + 4));
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, bytes.size() / 2, bytes.size() - 1})
        CHECK_THROWS_AS(decodeValue(reinterpret_cast<const std::byte*>(bytes.data()), cut, "v.xv"), DataError);
    std::string bad = bytes;
    bad[0] = static_cast<char>(99);
    CHECK_THROWS_WITH(decodeValue(reinterpret_cast<const std::byte*>(bad.data()), bad.size(), "v.xv"),
                      Catch::Contains("v.xv: corrupt value"));
}

TEST_CASE("the plan model joins each call of the code to the node the plan placed") {
    const nlohmann::json plan = test::planOf(
        "site edge { cores: 2 }\nsite hpc { cores: 4 }\nlink edge <-> hpc { bandwidth: 1Gbps, latency: 1ms }\n"
        "type F = tensor<f32>[4];\nfn f(i: int) -> F = zeros(F) + i;\n"
        "stream s: F from generate(f, 3) at edge;\n"
        "task far(x: F) -> float @ { locality: hpc, priority: 3 } { return sum(x); }\n"
        "flow main { on new data of type F in s as x { log \"{far(x)}\"; } }\n");
    PlanModel model = PlanModel::fromPlan(plan);
    Program program = Program::fromPlan(plan);
    const Stmt& handler = program.flows().at("main").body.at(0);
    REQUIRE(handler.op == Stmt::Op::OnNewData);
    const HandlerInfo& h = model.handlers.at(1);
    CHECK(h.at == handler.at);
    CHECK(model.site(h.site));  // where the optimizer put the trigger
    const Expr& call = handler.body.at(0).value->args.at(0);  // far(x) inside the message
    REQUIRE(call.name == "far");
    const NodeInfo* node = model.nodeAt(h.id, call.at);
    REQUIRE(node);
    CHECK(node->kind == xdml::planformat::NodeKind::Task);
    CHECK(node->site == "hpc");
    CHECK(node->policy.at("priority").value == "3");
    CHECK(model.link("hpc", "edge"));
    CHECK_THROWS_AS(PlanModel::fromPlan(nlohmann::json{{"xdml_plan", 2}}), PlanError);
}

namespace {

/// A site whose calls wait until `gather` of them have been submitted (or `patience` has
/// passed), then run on a local pool: how many a stream's firings had under way at once.
class GatheringExecutor : public SiteExecutor {
public:
    GatheringExecutor(const TaskWorker& worker, std::size_t gather, std::chrono::milliseconds patience, std::size_t& most)
        : inner_("far", 4, worker), gather_(gather), patience_(patience), most_(most) {
        timer_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!stopping_) {
                changed_.wait_for(lock, patience_);
                releaseLocked();
            }
        });
    }
    ~GatheringExecutor() override { shutdown(); }
    void submit(TaskRequest request, std::shared_ptr<TaskClient> client, Dispatch) override {
        std::lock_guard lock(mutex_);
        held_.push_back({std::move(request), std::move(client)});
        most_ = std::max(most_, held_.size());
        if (held_.size() >= gather_) releaseLocked();
    }
    SiteStatus status() const override { return inner_.status(); }
    void shutdown() override {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            stopping_ = true;
            releaseLocked();
        }
        changed_.notify_all();
        timer_.join();
        inner_.shutdown();
    }

private:
    void releaseLocked() {
        for (auto& [request, client] : held_) inner_.submit(std::move(request), std::move(client), Dispatch::Queue);
        held_.clear();
    }
    LocalExecutor inner_;
    std::size_t gather_;
    std::chrono::milliseconds patience_;
    std::size_t& most_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::pair<TaskRequest, std::shared_ptr<TaskClient>>> held_;
    bool stopping_ = false;
    std::thread timer_;
};

/// Runs a flow of `items` firings on one handler thread, each ending with a call at the site
/// `far`, which runs them only once it holds `items` calls (or after `patience`): the most
/// calls it held at once.
std::size_t callsHeldAtOnce(int items, int deferred, std::chrono::milliseconds patience) {
    test::TempDir dir("deferred");
    const nlohmann::json plan = test::planOf("site far { cores: 4 }\nfn id(i: int) -> int = i;\n"
                                             "stream s: int from generate(id, " + std::to_string(items) + ");\n"
                                             "task bump(x: int) -> int @ { locality: far } { return x + 1; }\n"
                                             "flow main { on new data of type int in s as x { bump(x); } }\n");
    RunOptions options;
    options.workdir = dir.path();
    options.quiet = true;
    options.handlerThreads = 1;
    options.deferredFirings = deferred;
    std::size_t most = 0;
    options.remoteSite = [&](const SiteInfo& site, const TaskWorker& worker) -> std::unique_ptr<SiteExecutor> {
        if (site.name != "far") return nullptr;
        return std::make_unique<GatheringExecutor>(worker, static_cast<std::size_t>(items), patience, most);
    };
    Run run(Program::fromPlan(plan), PlanModel::fromPlan(plan), options);
    CHECK(run.execute() == 0);
    CHECK(run.stats().tasksRun == static_cast<uint64_t>(items));
    return most;
}

}  // namespace

TEST_CASE("a firing whose body is through waits for its last call without holding its thread", "[engine][firings]") {
    // One handler thread: had each firing waited on it, one call at a time would be under way.
    CHECK(callsHeldAtOnce(6, 8, std::chrono::seconds(20)) == 6);
    // Deferred firings capped at 2: the third waits on the thread (the site runs what it holds
    // after its patience), so never more than three calls at once.
    CHECK(callsHeldAtOnce(6, 2, std::chrono::milliseconds(300)) <= 3);
    // None deferred: one call at a time.
    CHECK(callsHeldAtOnce(3, 0, std::chrono::milliseconds(300)) == 1);
}
