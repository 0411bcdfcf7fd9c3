// test_executor_messages.cpp — the executor seam's messages: task requests, outcomes and a
// body's effects survive encoding to bytes exactly, errors keep their kind, and malformed
// bytes are refused with a clear error.
#include "runtime/engine/EffectMessages.h"
#include "runtime/engine/MessageCodec.h"
#include "runtime/engine/TaskFailure.h"
#include "runtime/engine/TaskMessages.h"
#include "runtime/interp/EvalError.h"
#include "runtime/interp/Program.h"

#include <catch2/catch.hpp>

using namespace xdml::runtime;

namespace {

TaskRequest sampleRequest() {
    TaskRequest r;
    r.node = 17;
    r.task = "reconstruct";
    r.site = "hpc";
    r.handler = 2;
    r.seq = 41;
    r.line = 33;
    r.activity = 1234;
    r.attempt = 1;
    r.submitted = 2.5;
    r.rank = 3;
    r.host = "node7";
    r.policy.priority = 10;
    r.policy.deadline = 0.05;
    r.policy.retry = 2;
    r.policy.maxConcurrent = 3;
    r.policy.memory = 4096;
    r.policy.limitKey = "gpu";
    Tensor t = Tensor::zeros(ElemType::F32, {2, 3});
    for (int i = 0; i < 6; ++i) t.data<float>()[i] = 0.5f * static_cast<float>(i);
    DatumMessage a;
    a.value = Value::tensor(std::move(t));
    a.site = "hpc";
    a.seq = 41;
    a.label = "frame";
    a.entity = 99;
    DatumMessage b;
    b.value = Value::string("seven");
    b.sources = {3, 5, 8};
    r.args = {a, b};
    return r;
}

/// A coordinator's sink that answers from fixed values and remembers what it was told.
class FakeSink : public EffectSink {
public:
    std::vector<std::string> told;
    DatumPtr moveTo(const DatumPtr& d, const std::string& site) override {
        told.push_back("move to " + site);
        d->entity = 7;
        return Datum::make(d->value, site, d->seq);
    }
    void emit(const std::string& stream, const DatumPtr& d, const std::string& site, bool persist) override {
        told.push_back("emit " + stream + " at " + site + (persist ? " persisted" : "") + " " + std::to_string(d->value.asInt()));
    }
    void record(const std::string& catalog, const DatumPtr& d, const std::string&) override {
        told.push_back("record " + catalog);
        d->entity = 55;
    }
    void log(const std::string& line) override { told.push_back("log " + line); }
    void fileUsed(const FileUse& f) override { told.push_back("file " + f.path + (f.written ? " written" : " read")); }
    void train(const Stmt&, const TaskDecl*) override { told.push_back("train"); }
    Pending startTask(TaskCall) override { throw TaskFailure("task 'x' failed: no", 12); }
    ChainResult startChain(ChainCall) override { throw EvalError("no chains here"); }
    Value askModel(const ModelQuery& q) override { return Value::string(q.model + " says yes"); }
    int64_t count(const std::string&) override { throw EvalError("no catalog 'c' in this run"); }
    double now() override { return 1.25; }
    bool stopping() override { return true; }
    std::string resolve(const std::string& path, bool forWriting) override { return (forWriting ? "/w/" : "/in/") + path; }
};

}  // namespace

TEST_CASE("a task request and its outcome cross as bytes unchanged") {
    const TaskRequest r = sampleRequest();
    const TaskRequest back = decodeRequest(encodeRequest(r));
    CHECK(back.node == 17);
    CHECK(back.task == "reconstruct");
    CHECK(back.site == "hpc");
    CHECK(back.handler == 2);
    CHECK(back.seq == 41);
    CHECK(back.line == 33);
    CHECK(back.activity == 1234);
    CHECK(back.attempt == 1);
    CHECK(back.submitted == 2.5);
    CHECK(back.rank == 3);
    CHECK(back.host == "node7");
    CHECK(back.policy.priority == 10);
    CHECK(back.policy.deadline == 0.05);
    CHECK(back.policy.retry == 2);
    CHECK(back.policy.maxConcurrent == 3);
    CHECK(back.policy.memory == 4096);
    CHECK(back.policy.limitKey == "gpu");
    REQUIRE(back.args.size() == 2);
    CHECK(encodeValue(back.args[0].value) == encodeValue(r.args[0].value));
    CHECK(back.args[0].label == "frame");
    CHECK(back.args[0].entity == 99);
    CHECK(back.args[1].value.asString() == "seven");
    CHECK(back.args[1].sources == std::vector<int64_t>{3, 5, 8});

    TaskOutcome ok;
    ok.ok = true;
    ok.result = r.args[1];
    const TaskOutcome okBack = decodeOutcome(encodeOutcome(ok));
    CHECK(okBack.ok);
    CHECK(okBack.result.value.asString() == "seven");
}

TEST_CASE("a fused chain's request and its values cross as bytes unchanged") {
    TaskRequest r = sampleRequest();
    r.chain = true;
    r.task.clear();
    r.names = {"frame", "label"};
    const TaskRequest back = decodeRequest(encodeRequest(r));
    CHECK(back.chain);
    CHECK(back.node == 17);
    CHECK(back.task.empty());
    CHECK(back.names == r.names);
    REQUIRE(back.args.size() == 2);
    CHECK(back.args[1].value.asString() == "seven");

    TaskOutcome ok;
    ok.ok = true;
    ok.result.value = Value::none();
    ok.bound = {r.args[0], r.args[1]};
    const TaskOutcome okBack = decodeOutcome(encodeOutcome(ok));
    REQUIRE(okBack.bound.size() == 2);
    CHECK(encodeValue(okBack.bound[0].value) == encodeValue(r.args[0].value));
    CHECK(okBack.bound[0].entity == 99);
    CHECK(okBack.bound[1].sources == std::vector<int64_t>{3, 5, 8});

    // A chain request must name its values and its fused node.
    TaskRequest unnamed = r;
    unnamed.names.pop_back();
    CHECK_THROWS_WITH(decodeRequest(encodeRequest(unnamed)), Catch::Contains("2 values for 1 names"));
    TaskRequest nodeless = r;
    nodeless.node = -1;
    CHECK_THROWS_WITH(decodeRequest(encodeRequest(nodeless)), Catch::Contains("without its fused node"));
}

TEST_CASE("a failure crosses with its kind, line and message") {
    const TaskOutcome eval = decodeOutcome(encodeOutcome(TaskOutcome::failed(std::make_exception_ptr(EvalError("division by zero", 12)))));
    CHECK_FALSE(eval.ok);
    try {
        rethrow(eval.failure);
        FAIL("rethrow returned");
    } catch (const EvalError& e) {
        CHECK(e.message() == "division by zero");
        CHECK(e.line() == 12);
    }
    const TaskOutcome data = decodeOutcome(encodeOutcome(TaskOutcome::failed(std::make_exception_ptr(DataError("a.npy", "truncated")))));
    try {
        rethrow(data.failure);
        FAIL("rethrow returned");
    } catch (const DataError& e) {
        CHECK(std::string(e.what()) == "a.npy: truncated");
        CHECK(e.problem() == "truncated");
    }
    const TaskOutcome task = decodeOutcome(encodeOutcome(TaskOutcome::failed(std::make_exception_ptr(TaskFailure("sh failed", 9)))));
    CHECK_THROWS_AS(rethrow(task.failure), TaskFailure);
}

TEST_CASE("malformed request and outcome bytes are refused with a clear error") {
    const std::string bytes = encodeRequest(sampleRequest());
    // Every truncation, one byte too many, another message's bytes.
    for (std::size_t n = 0; n < bytes.size(); ++n) CHECK_THROWS_AS(decodeRequest(bytes.substr(0, n)), MessageError);
    CHECK_THROWS_WITH(decodeRequest(bytes + "x"), Catch::Contains("malformed executor message: task request") &&
                                                      Catch::Contains("1 bytes after its end"));
    CHECK_THROWS_WITH(decodeOutcome(bytes), Catch::Contains("not this kind of message"));
    // A count far larger than the bytes left is refused before anything is allocated: a
    // request without arguments ends with its argument count.
    TaskRequest none = sampleRequest();
    none.args.clear();
    const std::string empty = encodeRequest(none);
    const std::string huge = empty.substr(0, empty.size() - 8) + std::string("\xff\xff\xff\xff\xff\xff\xff\x0f", 8);
    CHECK_THROWS_WITH(decodeRequest(huge), Catch::Contains("a count of"));
    std::string corrupt = encodeOutcome(TaskOutcome::failed(std::make_exception_ptr(EvalError("x"))));
    corrupt[3] = 42;  // the failure's kind
    CHECK_THROWS_WITH(decodeOutcome(corrupt), Catch::Contains("unknown kind of failure"));
}

TEST_CASE("a body's effects cross a channel as bytes, answers and errors come back") {
    const Program program = Program::fromCode(
        {{"types", nlohmann::json::object()}, {"consts", nlohmann::json::object()}, {"fns", nlohmann::json::object()}, {"tasks", nlohmann::json::object()},
         {"flows", nlohmann::json::object()}, {"streams", nlohmann::json::object()}, {"catalogs", nlohmann::json::object()}});
    FakeSink coordinator;
    int messages = 0;
    ChannelSink worker(program, [&](const std::string& m) {
        ++messages;
        return applyEffect(coordinator, program, m);
    });
    auto d = Datum::make(Value::integer(5), "edge", 3);
    worker.emit("out", d, "hpc", true);
    worker.record("cat", d, "edge");
    CHECK(d->entity == 55);  // the coordinator's entity, kept on the worker's copy
    worker.log("hello");
    worker.fileUsed({"/w/a.txt", 3, "abc", "edge", true});
    DatumPtr moved = worker.moveTo(d, "hpc");
    CHECK(moved->site == "hpc");
    CHECK(moved->value.asInt() == 5);  // the worker's own value: the answer carries only the copy's identity
    CHECK(worker.moveTo(d, "hpc") == moved);  // once per value and site
    CHECK(worker.moveTo(d, "edge") == d);     // already there: nothing crosses
    CHECK(worker.askModel({ModelQuery::Kind::Classify, "m", Value::integer(1), "", 4}).asString() == "m says yes");
    CHECK(worker.now() == 1.25);
    CHECK(worker.stopping());
    CHECK(worker.resolve("x.npy", false) == "/in/x.npy");
    CHECK_THROWS_AS(worker.count("c"), EvalError);
    CHECK(messages == 10);
    CHECK(coordinator.told == std::vector<std::string>{"emit out at hpc persisted 5", "record cat", "log hello",
                                                       "file /w/a.txt written", "move to hpc"});
    // Bytes that are not an effect: answered with a failure the worker's side throws.
    ChannelSink garbage(program, [&](const std::string&) { return applyEffect(coordinator, program, "\x45\x01\x63"); });
    CHECK_THROWS_WITH(garbage.log("x"), Catch::Contains("malformed executor message: effect") && Catch::Contains("unknown effect"));
    ChannelSink truncated(program, [&](const std::string& m) { return applyEffect(coordinator, program, m.substr(0, m.size() - 1)); });
    CHECK_THROWS_WITH(truncated.log("hello"), Catch::Contains("truncated"));
}
