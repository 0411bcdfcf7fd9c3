// test_model_messages.cpp — the messages of models at their sites (docs/distributed.md, "Models
// at their sites"): rank 0's model calls, their answers and the notes a model's rank sends back
// cross as bytes unchanged; malformed bytes are refused with a clear error; each model is
// served by its site's first work rank, or by rank 0.
#include "runtime/distributed/ModelMessages.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/distributed/RemoteModels.h"
#include "PlanTestSupport.h"

#include <catch2/catch.hpp>

using namespace xdml;
using namespace xdml::runtime;
using namespace xdml::runtime::distributed;

namespace {

Value tensorOf(std::vector<float> values) {
    Tensor t = Tensor::zeros(ElemType::F32, {static_cast<int64_t>(values.size())});
    std::copy(values.begin(), values.end(), t.data<float>());
    return Value::tensor(std::move(t));
}

LabeledItem item(float x, int64_t y, int64_t entity, int64_t seq) {
    LabeledItem i;
    i.x = tensorOf({x, -x, 0.5f});
    i.y = Value::integer(y);
    i.entity = entity;
    i.seq = seq;
    return i;
}

Program programOf(const std::string& text) { return Program::fromPlan(test::planOf(text)); }

}  // namespace

TEST_CASE("a model call and its opening cross unchanged") {
    const ModelCallHead call = decodeModelCall(encodeModelCall({42, ModelOp::Accuracy, "hitfinder", std::string("a\0b", 3)}));
    CHECK(call.id == 42);
    CHECK(call.op == ModelOp::Accuracy);
    CHECK(call.model == "hitfinder");
    CHECK(call.arguments == std::string("a\0b", 3));

    ModelOpening o;
    o.served = {"a", "b"};
    o.workdir = "/w";
    o.inputDir = "/in";
    o.seed = -7;
    o.homeSite = "beamline";
    o.file = "ssx.xdml";
    o.keepVersions = true;
    o.provenance = true;
    o.run = 12;
    const ModelOpening back = decodeOpening(encodeOpening(o));
    CHECK(back.served == o.served);
    CHECK(back.workdir == o.workdir);
    CHECK(back.inputDir == o.inputDir);
    CHECK(back.seed == -7);
    CHECK(back.homeSite == "beamline");
    CHECK(back.file == "ssx.xdml");
    CHECK(back.keepVersions);
    CHECK(back.provenance);
    CHECK(back.run == 12);
}

TEST_CASE("inference and scoring arguments cross unchanged") {
    const auto [x, version] = decodeInferArguments(encodeInferArguments(tensorOf({1, 2, 3}), 5));
    CHECK(x.asTensor().data<float>()[2] == 3.0f);
    CHECK(version == 5);
    const std::vector<LabeledItem> items = decodeItems(encodeItems({item(1, 0, 10, 0), item(2, 1, 11, 1)}));
    REQUIRE(items.size() == 2);
    CHECK(items[1].x.asTensor().data<float>()[1] == -2.0f);
    CHECK(items[1].y.asInt() == 1);
    CHECK(items[1].entity == 11);
    CHECK(items[1].seq == 1);
    CHECK(decodeItems(encodeItems({LabeledItem{}})).at(0).x.is(Value::Kind::None));  // an item without x or y
}

TEST_CASE("a training request crosses without its callbacks, saying whether it has `until`") {
    TrainingRequest r;
    r.model = "surrogate";
    r.stream = "samples";
    r.items = {item(1, 0, 3, 0), item(4, 1, 4, 1), item(5, 1, 5, 2)};
    r.policy.batch = 8;
    r.policy.maxEpochs = 10;
    r.policy.lr = 0.01;
    r.policy.validate = 0.2;
    r.policy.optimizer = "adam";
    r.policy.untilText = "accuracy >= 0.95";
    r.policy.until = [](double a, double, int64_t) { return a >= 0.95; };
    RehearsalConfig c;
    c.stream = "samples.surrogate";
    c.capacity = 128;
    c.select = Selection::Balanced;
    c.memoryBytes = 4096;
    c.spillDir = "/w/rehearsal";
    c.seed = 0xfedcba9876543210ull;
    r.rehearse = c;
    r.mix = 0.3;
    r.handlerActivity = 77;
    r.line = 48;
    r.site = "hpc";
    const DecodedTraining d = decodeTraining(encodeTraining(r));
    const TrainingRequest& t = d.request;
    CHECK(d.hasUntil);
    CHECK_FALSE(t.policy.until);  // rank 0 evaluates it
    CHECK(t.model == "surrogate");
    CHECK(t.stream == "samples");
    REQUIRE(t.items.size() == 3);
    CHECK(t.items[2].entity == 5);
    CHECK(t.policy.batch == 8);
    CHECK(t.policy.maxEpochs == 10);
    CHECK(t.policy.lr == 0.01);
    CHECK(t.policy.validate == 0.2);
    CHECK(t.policy.optimizer == "adam");
    CHECK(t.policy.untilText == "accuracy >= 0.95");
    REQUIRE(t.rehearse);
    CHECK(t.rehearse->stream == "samples.surrogate");
    CHECK(t.rehearse->capacity == 128);
    CHECK(t.rehearse->select == Selection::Balanced);
    CHECK(t.rehearse->memoryBytes == 4096);
    CHECK(t.rehearse->spillDir == "/w/rehearsal");
    CHECK(t.rehearse->seed == 0xfedcba9876543210ull);
    CHECK(t.buffer == nullptr);
    CHECK(t.mix == 0.3);
    CHECK(t.handlerActivity == 77);
    CHECK(t.line == 48);
    CHECK(t.site == "hpc");

    TrainingRequest plain;
    plain.model = "m";
    const DecodedTraining p = decodeTraining(encodeTraining(plain));
    CHECK_FALSE(p.hasUntil);
    CHECK_FALSE(p.request.rehearse);
}

TEST_CASE("answers cross unchanged, with their status") {
    Inference i;
    i.classIndex = 1;
    i.className = "crystal";
    i.probabilities = {0.25f, 0.75f};
    i.version = 3;
    i.versionRow = 9;
    i.versionEntity = 123;
    const Inference back = decodeInference(encodeInference(i));
    CHECK(back.classIndex == 1);
    CHECK(back.className == "crystal");
    CHECK(back.probabilities == std::vector<float>{0.25f, 0.75f});
    CHECK(back.version == 3);
    CHECK(back.versionRow == 9);
    CHECK(back.versionEntity == 123);

    const TrainingResult t = decodeTrainingResult(encodeTrainingResult({4, 100, 2, "until: accuracy >= 0.95"}));
    CHECK(t.version == 4);
    CHECK(t.trained == 100);
    CHECK(t.skipped == 2);
    CHECK(t.stopReason == "until: accuracy >= 0.95");
    CHECK(decodeNumber(encodeNumber(-12345)) == -12345);
    CHECK(decodeReal(encodeReal(0.875)) == 0.875);

    const auto [status, answer] = decodeModelReply(encodeModelReply(ModelStatus::ModelError, "model m cannot be used"));
    CHECK(status == ModelStatus::ModelError);
    CHECK(answer == "model m cannot be used");
}

TEST_CASE("a model rank's notes reach rank 0 unchanged and in order") {
    std::vector<ModelNote> notes(11);
    using K = ModelNote::Kind;
    notes[0].kind = K::Entity;
    notes[0].entity = {"model_version", "m", "model mlp v1", "abc", "hpc", "", "/w/models/m/run1/v1.pt", 2048, -1, true};
    notes[1].kind = K::StartActivity;
    notes[1].activity = {"training", "train m on s (version 1)", "hpc", "{}", -1, 48, 3, "node3"};
    notes[2].kind = K::EndActivity;
    notes[2].ids[0] = 8;
    notes[2].text = "failed";
    notes[2].detail = "out of memory";
    notes[3].kind = K::Used;
    notes[3].ids[0] = 8;
    notes[3].ids[1] = 21;
    notes[3].text = "heldout";
    notes[4].kind = K::Generated;
    notes[4].ids[0] = 30;
    notes[4].ids[1] = 8;
    notes[5].kind = K::DerivedFrom;
    notes[5].ids[0] = 30;
    notes[5].ids[1] = 29;
    notes[5].ids[2] = 8;
    notes[6].kind = K::Decision;
    notes[6].decision = {"train_stop", "activity:8", "stop after epoch 2", "until", "{\"epoch\":2}", 4};
    notes[7].kind = K::ModelVersion;
    notes[7].version = {"m", 1, 3, 30, "{\"loss\":0.1}", "{\"train\":[[1,5]]}", "{\"id\":2}"};
    notes[8].kind = K::Report;
    notes[8].text = "model m cannot be used";
    notes[9].kind = K::ReportItem;
    notes[9].call = 6;
    notes[9].text = "label 7 is not a class";
    notes[10].kind = K::Until;
    notes[10].call = 6;
    notes[10].accuracy = 0.9;
    notes[10].loss = 0.25;
    notes[10].epoch = 2;

    const std::vector<ModelNote> back = decodeNotes(encodeNotes(notes));
    REQUIRE(back.size() == notes.size());
    for (std::size_t i = 0; i < notes.size(); ++i) CHECK(back[i].kind == notes[i].kind);
    CHECK(back[0].entity.path == "/w/models/m/run1/v1.pt");
    CHECK(back[0].entity.bytes == 2048);
    CHECK(back[0].entity.hash == "abc");
    CHECK(back[1].activity.rank == 3);
    CHECK(back[1].activity.host == "node3");
    CHECK(back[1].activity.line == 48);
    CHECK(back[2].ids[0] == 8);
    CHECK(back[2].detail == "out of memory");
    CHECK(back[3].text == "heldout");
    CHECK(back[5].ids[2] == 8);
    CHECK(back[6].decision.subject == "activity:8");
    CHECK(back[6].decision.modelVersion == 4);
    CHECK(back[7].version.parent == 3);
    CHECK(back[7].version.snapshot == "{\"id\":2}");
    CHECK(back[8].text == "model m cannot be used");
    CHECK(back[9].call == 6);
    CHECK(back[10].accuracy == 0.9);
    CHECK(back[10].loss == 0.25);
    CHECK(back[10].epoch == 2);
}

TEST_CASE("malformed model messages are refused with a clear error") {
    const std::string call = encodeModelCall({1, ModelOp::Infer, "m", "xyz"});
    for (std::size_t cut = 0; cut < call.size(); ++cut) CHECK_THROWS_AS(decodeModelCall(call.substr(0, cut)), MessageError);
    std::string badOp = call;
    badOp[8] = static_cast<char>(99);
    CHECK_THROWS_WITH(decodeModelCall(badOp), Catch::Contains("the operation 99"));
    CHECK_THROWS_WITH(decodeModelCall(call + "!"), Catch::Contains("1 bytes after its end"));

    ModelNote n;
    n.kind = ModelNote::Kind::Until;
    std::string notes = encodeNotes({n});
    notes[8] = static_cast<char>(42);
    CHECK_THROWS_WITH(decodeNotes(notes), Catch::Contains("a note of kind 42"));
    std::string many = encodeNotes({});
    many[7] = static_cast<char>(0x7f);  // a count no message this short can hold
    CHECK_THROWS_WITH(decodeNotes(many), Catch::Contains("a count of"));
    CHECK_THROWS_WITH(decodeModelReply(std::string(1, '\x09') + encodeNumber(0)), Catch::Contains("the status 9"));

    TrainingRequest r;
    r.items = {item(1, 0, 1, 0)};
    const std::string training = encodeTraining(r);
    for (std::size_t cut = 0; cut < training.size(); cut += 7) CHECK_THROWS_AS(decodeTraining(training.substr(0, cut)), MessageError);
}

TEST_CASE("a model is served by its site's first work rank or by rank 0") {
    const Program program = programOf(
        "import std.ml;\nsite edge { cores: 2 }\nsite hpc { cores: 4 }\ntype V = tensor<f32>[4];\n"
        "model near { input: V, classes: 2, arch: linear, at: edge }\n"
        "model far { input: V, classes: 2, arch: linear, at: hpc }\n"
        "model home { input: V, classes: 2, arch: linear }\n"
        "flow main { }\n");
    RankLayout layout;
    layout.worldSize = 4;
    layout.sites = {SiteRanks{"hpc", {1, 2, 3}, 2}};
    layout.localSites = {"edge"};
    CHECK(modelRank(program, layout, "far", "edge") == 2);  // rank 1 is hpc's controller
    CHECK(modelRank(program, layout, "near", "edge") == 0);
    CHECK(modelRank(program, layout, "home", "edge") == 0);
    CHECK(modelRank(program, layout, "home", "hpc") == 2);  // no `at`: the flow's home site
    layout.sites = {SiteRanks{"hpc", {3}, 1}};
    CHECK(modelRank(program, layout, "far", "edge") == 3);  // one rank: its controller works
}
