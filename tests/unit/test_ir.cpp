// test_ir.cpp — lowering, the verifier, minimum cuts and the movement figures of the plan.
#include "TestSupport.h"
#include "ir/Lower.h"
#include "ir/Verify.h"
#include "passes/MinCut.h"
#include "passes/Pass.h"
#include "passes/PlacementProblem.h"
#include "plan/Plan.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace xdml;

namespace {
using test::readExample;

plan::MovementStats compileStats(const std::string& text, int optLevel, std::vector<std::string>* problems = nullptr) {
    auto c = test::compileText(text);
    REQUIRE(c->errors().empty());
    ir::FlowIR flow = ir::lowerToIR(*c->program, *c->diags);
    passes::PipelineOptions options;
    options.optLevel = optLevel;
    options.verifyEach = true;
    REQUIRE(passes::runPipeline(flow, *c->diags, options));
    if (problems) *problems = c->errors();
    return plan::movementStats(flow);
}
}  // namespace

TEST_CASE("a minimum cut separates fixed nodes at least cost") {
    // 0 -(5)- 1 -(1)- 2 -(5)- 3, with 0 on the source side and 3 on the sink side.
    std::vector<passes::CutEdge> edges = {{0, 1, 5}, {1, 2, 1}, {2, 3, 5}};
    std::vector<double> onSink = {1e9, 0, 0, 0}, onSource = {0, 0, 0, 1e9};
    std::vector<bool> side;
    CHECK(passes::minCut(4, edges, onSink, onSource, side) == Approx(1));
    CHECK(side == std::vector<bool>{true, true, false, false});
}

TEST_CASE("pipeline4: -O2 moves what it must and writes only catalog records") {
    std::string flow = readExample("pipeline4.xdml");
    plan::MovementStats o0 = compileStats(flow, 0);
    plan::MovementStats o2 = compileStats(flow, 2);
    // The Cropped frame (64x64 f32) must reach the HPC site, where training runs.
    CHECK(o2.minMovedBytesPerItem == Approx(16384));
    CHECK(o2.movedBytesPerItem == Approx(o2.minMovedBytesPerItem));
    CHECK(o0.movedBytesPerItem >= o2.movedBytesPerItem);
    CHECK(o2.writtenBytesPerItem == Approx(24));  // one Meta record
    CHECK((o2.movedBytesPerItem + o2.writtenBytesPerItem) * 3 <= o0.movedBytesPerItem + o0.writtenBytesPerItem);
}

TEST_CASE("every example's plan verifies, at -O0 and -O2, and -O2 never moves or writes more") {
    for (const char* name : {"ssx.xdml", "pipeline4.xdml", "continual.xdml"}) {
        INFO(name);
        std::string flow = readExample(name);
        plan::MovementStats o0 = compileStats(flow, 0);
        plan::MovementStats o2 = compileStats(flow, 2);
        CHECK(o2.movedBytesPerItem <= o0.movedBytesPerItem);
        CHECK(o2.writtenBytesPerItem <= o0.writtenBytesPerItem);
        CHECK(o2.movedBytesPerItem <= 1.1 * o2.minMovedBytesPerItem + 1e-9);
    }
}

TEST_CASE("a deadline below the transfer time over the link is an error") {
    auto c = test::compileText(R"(
site edge { cores: 2 }
site hpc { cores: 64, gpus: 4 }
link edge <-> hpc { bandwidth: 1Mbps, latency: 10ms }
type Big = tensor<f32>[1024, 1024];
fn big(i: int) -> Big = noise(Big, i);
stream s: Big from generate(big, 4) at edge;
task heavy(b: Big) -> float @ { locality: hpc, deadline: 1s } { return sum(b); }
flow f { on new data of type Big in s as b { log "{heavy(b)}"; } }
)");
    REQUIRE(c->errors().empty());
    ir::FlowIR flow = ir::lowerToIR(*c->program, *c->diags);
    passes::PipelineOptions options;
    REQUIRE(passes::runPipeline(flow, *c->diags, options));
    auto errors = c->errors();
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("'deadline' of 1s") != std::string::npos);
    CHECK(c->errorPlaces()[0] == "8:58");  // the clause's value
}

TEST_CASE("the verifier reports an edge that crosses sites without a transfer") {
    auto c = test::compileText(R"(
site a { cores: 1 }
site b { cores: 1 }
link a <-> b { bandwidth: 1Gbps }
type T = tensor<f32>[4];
fn g(i: int) -> T = noise(T, i);
stream s: T from generate(g, 2) at a;
task t(x: T) -> float @ { locality: b } { return sum(x); }
flow f { on new data of type T in s as x { log "{t(x)}"; } }
)");
    REQUIRE(c->errors().empty());
    ir::FlowIR flow = ir::lowerToIR(*c->program, *c->diags);
    CHECK(ir::verifyIR(flow, false).empty());
    CHECK_FALSE(ir::verifyIR(flow, true).empty());  // placed, but no transfers yet
    passes::PipelineOptions options;
    REQUIRE(passes::runPipeline(flow, *c->diags, options));
    CHECK(ir::verifyIR(flow, true).empty());
}
