// test_sema.cpp — the checker through its public entry point: types it infers and facts it records.
#include "TestSupport.h"

#include <catch2/catch.hpp>

using namespace xdml;
using namespace xdml::sema;

namespace {
const ast::Decl* global(const test::Compiled& c, const std::string& name) {
    auto it = c.program->globals.find(name);
    REQUIRE(it != c.program->globals.end());
    return it->second;
}
}  // namespace

TEST_CASE("fn signatures, consts and tensor shapes are resolved") {
    auto c = test::compileText(R"(
const N = 8 * 8;
type Frame = tensor<f32>[N, N];
fn crop(f: Frame) -> tensor<f32>[32, 32] = f[0:32, 0:32];
fn use(f: Frame) -> tensor<f32>[32, 32] = crop(f);
)");
    CHECK(c->errors().empty());
    CHECK(c->program->constants.at(global(*c, "N")).i == 64);
    CHECK(toString(structure(global(*c, "Frame")->resolved)) == "tensor<f32>[64, 64]");
    CHECK(toString(global(*c, "crop")->resolved) == "fn(Frame) -> tensor<f32>[32, 32]");
}

TEST_CASE("sites, models and streams record what later stages need") {
    auto c = test::compileText(R"(
site edge { cores: 4, gpus: 1, memory: 8GiB }
type V = tensor<f32>[16];
fn v(i: int) -> V = noise(V, i);
stream s: V from generate(v, 10) at edge;
stream w: V from watch("in", "*.npy");
model m { input: V, classes: 3, arch: mlp(hidden: [8]), at: edge }
flow f { on new data of type V in s as x { log "{m(x)}"; } }
)");
    CHECK(c->errors().empty());
    const SiteInfo& edge = c->program->sites.at(global(*c, "edge"));
    CHECK(edge.cores == 4);
    CHECK(edge.gpus == 1);
    CHECK(edge.memory == 8.0 * 1024 * 1024 * 1024);
    const ModelInfo& m = c->program->models.at(global(*c, "m"));
    CHECK(m.classes == std::vector<std::string>{"0", "1", "2"});
    CHECK(m.arch == "mlp");
    CHECK(c->program->streams.at(global(*c, "s")).source == StreamSource::Generate);
    CHECK(c->program->streams.at(global(*c, "w")).endless());
}

TEST_CASE("policy inheritance merges clauses, the derived ones winning") {
    auto c = test::compileText(R"(
policy base { deadline: 2s, priority: 1 }
policy fast = base with { deadline: 500ms }
task t() @ fast { log "x"; }
flow main { t(); }
)");
    CHECK(c->errors().empty());
    const PolicyClauses& fast = c->program->policies.at(global(*c, "fast"));
    REQUIRE(fast.clauses.count("deadline"));
    REQUIRE(fast.clauses.count("priority"));
    CHECK(fast.clauses.at("deadline")->value->text == "500ms");
}

TEST_CASE("every error in a file is reported in one run") {
    auto c = test::compileText(R"(
policy p { deadline: 5, priority: "high", colour: 3 }
fn f(x: int) -> int = y + 1;
flow main { let a = 2s + 1; }
)");
    auto places = c->errorPlaces();
    CHECK(places == std::vector<std::string>{"2:22", "2:35", "2:43", "3:23", "4:21"});
}
