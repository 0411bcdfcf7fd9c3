// test_ml.cpp — the models runtime (ml/): specs, networks saved and loaded as TorchScript,
// the trainer's split, epochs, `until` and rehearsal mixing, bad labels, and the registry's
// versions. Its own executable: it is the only test that links LibTorch.
#include "../unit/TempDir.h"
#include "../unit/TestSupport.h"
#include "ir/Lower.h"
#include "ml/ModelRegistry.h"
#include "ml/ModelSpec.h"
#include "ml/Network.h"
#include "ml/Rows.h"
#include "ml/Trainer.h"
#include "passes/Pass.h"
#include "plan/Plan.h"
#include "runtime/streams/RehearsalBuffer.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>

using namespace xdml;
using runtime::ModelError;
using runtime::Value;

namespace {

runtime::Program programOf(const std::string& text) {
    auto c = test::compileText(text);
    REQUIRE(c->errors().empty());
    ir::FlowIR flow = ir::lowerToIR(*c->program, *c->diags);
    REQUIRE(passes::runPipeline(flow, *c->diags, passes::PipelineOptions()));
    return runtime::Program::fromPlan(nlohmann::json::parse(plan::planJson(flow).dump()));
}

const char* kModels = R"(import std.ml;
type Vec = tensor<f32>[6];
type Image = tensor<f32>[8, 8];
const K = 3;
model flat { input: Vec, classes: K, arch: linear }
model deep { input: Vec, classes: ["a", "b"], arch: mlp(hidden: [8, 4]) }
model conv { input: Image, classes: 2, arch: cnn(channels: [2, 3]) }
model file { input: Vec, classes: 2, arch: load("m.pt") }
flow f { }
)";

/// Two well separated classes of Vec rows: label i % 2, mean ±2 on every value.
ml::LabeledRows separable(std::size_t n, std::size_t width, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    ml::LabeledRows rows;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < width; ++k) rows.rows.push_back(noise(rng) + (i % 2 ? 2.0f : -2.0f));
        rows.labels.push_back(static_cast<int64_t>(i % 2));
        rows.entities.push_back(static_cast<int64_t>(100 + i));
        rows.seqs.push_back(static_cast<int64_t>(i));
    }
    return rows;
}

std::vector<float> probabilities(const ml::Network& net, const std::vector<float>& rows, std::size_t n, std::size_t classes) {
    std::vector<float> out(n * classes);
    net.probabilities(rows.data(), n, out.data());
    return out;
}

}  // namespace

TEST_CASE("a model's spec is read from the plan: shape, classes, architecture", "[ml]") {
    const runtime::Program program = programOf(kModels);
    const ml::ModelSpec flat = ml::ModelSpec::fromProgram("flat", program);
    CHECK(flat.inputDims == std::vector<int64_t>{6});
    CHECK(flat.classes == std::vector<std::string>{"0", "1", "2"});
    CHECK(flat.archText() == "linear");
    const ml::ModelSpec deep = ml::ModelSpec::fromProgram("deep", program);
    CHECK(deep.widths == std::vector<int64_t>{8, 4});
    CHECK(deep.classIndex("b") == 1);
    CHECK_FALSE(deep.classIndex("c"));
    CHECK(ml::ModelSpec::fromProgram("conv", program).archText() == "cnn(channels: [2, 3])");
    CHECK(ml::ModelSpec::fromProgram("file", program).file == "m.pt");
    CHECK_THROWS_AS(ml::ModelSpec::fromProgram("nope", program), ModelError);
}

TEST_CASE("a network saved as TorchScript loads and answers the same", "[ml]") {
    const runtime::Program program = programOf(kModels);
    test::TempDir dir;
    for (const char* name : {"flat", "deep", "conv"}) {
        INFO(name);
        const ml::ModelSpec spec = ml::ModelSpec::fromProgram(name, program);
        auto net = ml::Network::create(spec, 7);
        const std::size_t n = 5, width = static_cast<std::size_t>(spec.inputSize), k = spec.classes.size();
        std::vector<float> rows(n * width);
        for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = std::sin(static_cast<float>(i));
        const auto before = probabilities(*net, rows, n, k);
        for (std::size_t i = 0; i < n; ++i) {
            float total = 0;
            for (std::size_t c = 0; c < k; ++c) total += before[i * k + c];
            CHECK(total == Approx(1.0f).epsilon(1e-5));
        }
        net->save(dir / (std::string(name) + ".pt"));
        auto loaded = ml::Network::load(dir / (std::string(name) + ".pt"), spec);
        const auto after = probabilities(*loaded, rows, n, k);
        for (std::size_t i = 0; i < before.size(); ++i) CHECK(after[i] == Approx(before[i]).margin(1e-6));
        // The same seed gives the same initial weights; another seed others.
        CHECK(probabilities(*ml::Network::create(spec, 7), rows, n, k) == before);
        CHECK(probabilities(*ml::Network::create(spec, 8), rows, n, k) != before);
    }
}

TEST_CASE("a corrupt, missing or mismatched TorchScript file is an error naming it", "[ml]") {
    const runtime::Program program = programOf(kModels);
    const ml::ModelSpec spec = ml::ModelSpec::fromProgram("file", program);
    test::TempDir dir;
    std::ofstream(dir / "garbage.pt") << "PK\x03\x04 not really a zip";
    auto message = [&](const std::filesystem::path& p) {
        try {
            ml::Network::load(p, spec);
        } catch (const ModelError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(message(dir / "garbage.pt"), Catch::Contains("garbage.pt: not a TorchScript model"));
    CHECK_THAT(message(dir / "absent.pt"), Catch::EndsWith("absent.pt: no such file"));
    CHECK_THAT(message(dir.path()), Catch::Contains(": a folder, not a TorchScript file"));
    // A model of 3 classes saved, loaded as one of 2.
    ml::Network::create(ml::ModelSpec::fromProgram("flat", program), 1)->save(dir / "three.pt");
    CHECK_THAT(message(dir / "three.pt"), Catch::Contains("gives [1, 3] for one input, but model file has 2 classes"));
}

TEST_CASE("training learns, is deterministic for a seed, and holds items out", "[ml]") {
    const runtime::Program program = programOf(kModels);
    const ml::ModelSpec spec = ml::ModelSpec::fromProgram("deep", program);
    const ml::LabeledRows data = separable(200, 6, 3);
    ml::TrainingPlan plan;
    plan.policy.maxEpochs = 20;
    plan.seed = 11;
    auto a = ml::Network::create(spec, 1), b = ml::Network::create(spec, 1);
    const ml::TrainingOutcome oa = ml::trainNetwork(*a, spec, data, plan);
    const ml::TrainingOutcome ob = ml::trainNetwork(*b, spec, data, plan);
    CHECK(oa.accuracy >= 0.95);
    CHECK(oa.epochs == 20);
    CHECK(oa.heldOutEntities.size() == 20);  // validate 0.1 of 200
    CHECK(oa.trainEntities.size() == 180);
    CHECK(oa.heldOutEntities == ob.heldOutEntities);
    CHECK(probabilities(*a, data.rows, 200, 2) == probabilities(*b, data.rows, 200, 2));
    CHECK_THAT(oa.stopReason, Catch::StartsWith("max_epochs 20 reached"));

    plan.policy.validate = 0;
    CHECK(ml::trainNetwork(*ml::Network::create(spec, 1), spec, data, plan).heldOutEntities.empty());
    plan.policy.validate = 0.5;
    const ml::LabeledRows one = separable(1, 6, 3);
    CHECK(ml::trainNetwork(*ml::Network::create(spec, 1), spec, one, plan).trainEntities.size() == 1);
    plan.policy.optimizer = "adam";
    plan.policy.lr = 0.01;
    CHECK(ml::trainNetwork(*ml::Network::create(spec, 1), spec, data, plan).accuracy >= 0.95);
}

TEST_CASE("until ends training after the epoch where it holds, and says so", "[ml]") {
    const runtime::Program program = programOf(kModels);
    const ml::ModelSpec spec = ml::ModelSpec::fromProgram("deep", program);
    ml::TrainingPlan plan;
    plan.policy.maxEpochs = 10;
    std::vector<int64_t> epochs;
    plan.policy.until = [&](double, double, int64_t epoch) {
        epochs.push_back(epoch);
        return epoch == 2;
    };
    plan.policy.untilText = "epoch == 2";
    const ml::TrainingOutcome o = ml::trainNetwork(*ml::Network::create(spec, 1), spec, separable(64, 6, 1), plan);
    CHECK(o.epochs == 2);
    CHECK(epochs == std::vector<int64_t>{1, 2});
    CHECK_THAT(o.stopReason, Catch::StartsWith("until epoch == 2 held after epoch 2"));
    plan.policy.until = [](double, double, int64_t) -> bool { throw std::runtime_error("bad condition"); };
    CHECK_THROWS_WITH(ml::trainNetwork(*ml::Network::create(spec, 1), spec, separable(64, 6, 1), plan), "bad condition");
}

TEST_CASE("every mini-batch is topped up with rehearsed items, which then take the new ones in", "[ml]") {
    CHECK(ml::rehearsedPerBatch(32, 0, 100) == 0);
    CHECK(ml::rehearsedPerBatch(32, 0.5, 100) == 32);
    CHECK(ml::rehearsedPerBatch(32, 0.3, 100) == 14);  // 32 · 0.3 / 0.7 = 13.7
    CHECK(ml::rehearsedPerBatch(32, 0.9, 100) == 100);  // never more than the buffer holds
    CHECK(ml::rehearsedPerBatch(32, 1.0, 50) == 50);
    CHECK(ml::rehearsedPerBatch(8, 0.5, 100) == 8);     // a short last batch: still half
    CHECK(ml::rehearsedPerBatch(1, 1.0, 1000) == 99);  // mix 1 counts as 0.99

    const runtime::Program program = programOf(kModels);
    const ml::ModelSpec spec = ml::ModelSpec::fromProgram("deep", program);
    runtime::RehearsalConfig config;
    config.stream = "s";
    config.capacity = 40;
    runtime::RehearsalBuffer buffer(config, 6);
    ml::TrainingPlan plan;
    plan.buffer = &buffer;
    plan.mix = 0.5;
    plan.policy.batch = 10;
    plan.policy.validate = 0;
    const ml::LabeledRows first = separable(30, 6, 1);
    ml::TrainingOutcome o = ml::trainNetwork(*ml::Network::create(spec, 1), spec, first, plan);
    CHECK(o.rehearsed == 0);  // an empty buffer has nothing to give
    CHECK(buffer.size() == 0);  // nothing enters before the version is kept
    ml::enterBuffer(buffer, first, 6, o);
    CHECK(buffer.size() == 30);
    const ml::LabeledRows second = separable(30, 6, 2);
    o = ml::trainNetwork(*ml::Network::create(spec, 1), spec, second, plan);
    CHECK(o.rehearsed == 30);  // 3 batches of 10 new items, each with 10 rehearsed
    ml::enterBuffer(buffer, second, 6, o);
    CHECK(buffer.size() == 40);
    o = ml::trainNetwork(*ml::Network::create(spec, 1), spec, separable(25, 6, 3), plan);
    CHECK(o.rehearsed == 25);  // 10 + 10 + 5: the short batch gets 5
}

TEST_CASE("a loaded TorchScript model trains like a declared one", "[ml]") {
    const runtime::Program program = programOf(kModels);
    const ml::ModelSpec deep = ml::ModelSpec::fromProgram("deep", program);
    test::TempDir dir;
    ml::Network::create(deep, 3)->save(dir / "deep.pt");
    auto loaded = ml::Network::load(dir / "deep.pt", deep);
    auto copy = loaded->clone();  // what the registry trains: a copy of the current version
    ml::TrainingPlan plan;
    plan.policy.maxEpochs = 20;
    plan.policy.validate = 0;
    const ml::LabeledRows data = separable(100, 6, 4);
    const ml::TrainingOutcome o = ml::trainNetwork(*copy, deep, data, plan);
    CHECK(o.accuracy >= 0.95);
    // The original did not move.
    CHECK(probabilities(*loaded, data.rows, 100, 2) == probabilities(*ml::Network::load(dir / "deep.pt", deep), data.rows, 100, 2));
}

TEST_CASE("items whose label or shape does not fit are named and left out", "[ml]") {
    const runtime::Program program = programOf(kModels);
    const ml::ModelSpec spec = ml::ModelSpec::fromProgram("deep", program);
    auto vec = [](int64_t n) { return Value::tensor(runtime::Tensor::zeros(runtime::ElemType::F32, {n})); };
    std::vector<runtime::LabeledItem> items = {
        {vec(6), Value::string("a"), 1, 0}, {vec(6), Value::string("z"), 2, 1}, {vec(6), Value::integer(2), 3, 2},
        {vec(5), Value::integer(0), 4, 3},  {vec(6), Value::integer(1), 5, 4},
    };
    std::vector<std::string> reports;
    const ml::LabeledRows rows = ml::labeledRows(items, spec, "s", [&](const std::string& r) { reports.push_back(r); });
    CHECK(rows.labels == std::vector<int64_t>{0, 1});
    CHECK(rows.entities == std::vector<int64_t>{1, 5});
    REQUIRE(reports.size() == 3);
    CHECK_THAT(reports[0], Catch::Contains("stream s item 1: label \"z\" is not a class of model deep (\"a\", \"b\")"));
    CHECK_THAT(reports[1], Catch::Contains("item 2: label 2 is not one of model deep's 2 classes"));
    CHECK_THAT(reports[2], Catch::Contains("item 3: model deep takes a tensor of shape [6], not [5]"));
}

TEST_CASE("the registry keeps versions, saves each, and names an unusable model", "[ml]") {
    const runtime::Program program = programOf(kModels);
    test::TempDir dir;
    std::vector<std::string> reports;
    runtime::ModelContext context;
    context.workdir = dir.path();
    context.file = "models.xdml";
    context.report = [&](const std::string& r) { reports.push_back(r); };
    ml::ModelRegistry models(program, context);
    REQUIRE(reports.size() == 1);  // file: m.pt does not exist
    CHECK_THAT(reports[0], Catch::Contains("models.xdml:8: model file cannot be used"));
    CHECK_THROWS_WITH(models.version("file"), Catch::Contains("model file cannot be used"));
    CHECK(models.version("deep") == 0);
    CHECK(std::filesystem::exists(dir / "models/deep/run0/v0.pt"));

    runtime::TrainingRequest request;
    request.model = "deep";
    request.stream = "s";
    CHECK(models.train(request).version == 0);  // no items: no new version
    const ml::LabeledRows data = separable(40, 6, 5);
    for (std::size_t i = 0; i < data.size(); ++i) {
        runtime::Tensor t = runtime::Tensor::zeros(runtime::ElemType::F32, {6});
        std::copy_n(data.rows.begin() + static_cast<std::ptrdiff_t>(i * 6), 6, t.data<float>());
        request.items.push_back({Value::tensor(t), Value::integer(data.labels[i]), data.entities[i], data.seqs[i]});
    }
    request.policy.maxEpochs = 5;
    const runtime::TrainingResult r = models.train(request);
    CHECK(r.version == 1);
    CHECK(models.version("deep") == 1);
    CHECK(std::filesystem::exists(dir / "models/deep/run0/v1.pt"));
    CHECK(models.accuracy("deep", request.items, {}) >= 0.9);
    const runtime::Inference inference = models.infer("deep", request.items[1].x);
    CHECK(inference.className == "b");
    CHECK(inference.version == 1);
    CHECK_THROWS_AS(models.infer("deep", Value::integer(3)), ModelError);
}

TEST_CASE("a replay's registry wakes the firings parked for a version once it is trained", "[ml]") {
    const runtime::Program program = programOf(kModels);
    test::TempDir dir;
    runtime::ModelContext context;
    context.workdir = dir.path();
    context.keepVersions = true;
    ml::ModelRegistry models(program, context);
    int wokeFor1 = 0, wokeFor2 = 0;
    CHECK(models.whenVersionMade("deep", 0, [] { FAIL("version 0 is there"); }));
    CHECK_FALSE(models.whenVersionMade("deep", 2, [&] { ++wokeFor2; }));
    CHECK_FALSE(models.whenVersionMade("deep", 1, [&] { ++wokeFor1; }));
    // An unusable or unknown model parks nothing: its use fails with the reason.
    CHECK(models.whenVersionMade("file", 3, [] {}));
    CHECK(models.whenVersionMade("nope", 3, [] {}));

    runtime::TrainingRequest request;
    request.model = "deep";
    request.stream = "s";
    const ml::LabeledRows data = separable(8, 6, 7);
    for (std::size_t i = 0; i < data.size(); ++i) {
        runtime::Tensor t = runtime::Tensor::zeros(runtime::ElemType::F32, {6});
        std::copy_n(data.rows.begin() + static_cast<std::ptrdiff_t>(i * 6), 6, t.data<float>());
        request.items.push_back({Value::tensor(t), Value::integer(data.labels[i]), data.entities[i], data.seqs[i]});
    }
    REQUIRE(models.train(request).version == 1);
    CHECK(wokeFor1 == 1);
    CHECK(wokeFor2 == 0);
    CHECK(models.whenVersionMade("deep", 1, [] { FAIL("version 1 is there"); }));
    REQUIRE(models.train(request).version == 2);
    CHECK(wokeFor1 == 1);
    CHECK(wokeFor2 == 1);

    // A run that keeps no versions answers with the current one: nothing waits.
    context.keepVersions = false;
    ml::ModelRegistry current(program, context);
    CHECK(current.whenVersionMade("deep", 5, [] {}));
}
