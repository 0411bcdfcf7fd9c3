// test_plan_nesting.cpp — reading a plan's blocks: a plan nested too deep for the reader is
// refused, not a crash (the reader recurses per level, and a 5,000-deep expression overflowed
// the stack: found by tests/fuzz/fuzz_plan.cpp, and by `xdmlc run` on a fn of a 9,999-operand
// sum); a `let` whose name the next statement reads is marked so (its task runs in place).
#include "runtime/engine/PlanModel.h"
#include "runtime/interp/PlanJson.h"
#include "runtime/interp/Program.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using namespace xdml::runtime;
using nlohmann::json;

namespace {

/// A checked flow's plan (a fn `fact` and a flow calling it), from the fuzz corpus.
json recursionPlan() {
    std::ifstream in(std::string(XDML_SOURCE_DIR) + "/tests/fuzz/corpus/plan/seed-calls-recursion_allowed");
    return json::parse(in);
}

/// `-(-(-(... 1)))`, `depth` negations deep, built without recursion.
json negations(int depth) {
    json e = {{"at", "0:1"}, {"line", 1}, {"op", "int"}, {"type", {{"kind", "int"}}}, {"value", 1}};
    for (int i = 0; i < depth; ++i) {
        json outer = {{"at", "0:1"}, {"line", 1}, {"op", "unary"}, {"operator", "-"}, {"type", {{"kind", "int"}}}};
        outer["args"] = json::array();
        outer["args"].push_back(std::move(e));
        e = std::move(outer);
    }
    return e;
}

}  // namespace

TEST_CASE("a plan nested deeper than the reader allows is a PlanError, read without recursion") {
    json plan = recursionPlan();
    plan["code"]["fns"]["fact"]["body"] = negations(100000);
    CHECK_THROWS_WITH(Program::fromPlan(plan), Catch::Contains("nested deeper than 2048 levels"));
    CHECK_THROWS_WITH(PlanModel::fromPlan(plan), Catch::Contains("nested deeper than 2048 levels"));
}

TEST_CASE("a plan nested just within the bound is read") {
    json plan = recursionPlan();
    // Two JSON levels per negation (the expression and its "args"), plus the code's own levels.
    plan["code"]["fns"]["fact"]["body"] = negations(plan_json::kMaxNesting / 2 - 8);
    Program program = Program::fromPlan(plan);
    CHECK(program.fn("fact")->body.op == Expr::Op::Negate);
}

namespace {

json name(const std::string& n) {
    return {{"op", "name"}, {"binding", "local"}, {"name", n}, {"line", 1}, {"at", "0:1"}};
}

json let(const std::string& n, json value) {
    return {{"op", "let"}, {"name", n}, {"value", std::move(value)}, {"line", 1}};
}

}  // namespace

TEST_CASE("a let is read by its next statement only when that statement itself names it") {
    json call = {{"op", "call"}, {"callee", name("f")}, {"args", json::array({name("t")})}, {"line", 1}, {"at", "0:1"}};
    json sum = {{"op", "binary"}, {"operator", "+"}, {"args", json::array({name("a"), name("y")})}, {"line", 1}, {"at", "0:1"}};
    json block = json::array({
        let("y", call),                                                         // read by the next: y + ...
        let("z", sum),                                                          // not read by the next
        {{"op", "if"}, {"condition", name("t")}, {"then", json::array({let("w", name("z"))})}, {"else", json::array()}, {"line", 1}},
        let("v", call),                                                         // the last statement: none follows
    });
    std::vector<Stmt> stmts = plan_json::readBlock(block, "body");
    REQUIRE(stmts.size() == 4);
    CHECK(stmts[0].readByNext);
    CHECK_FALSE(stmts[1].readByNext);  // the if's condition reads t; its then-block reads z, later
    CHECK_FALSE(stmts[3].readByNext);

    // A fused chain is read by its next statement when that reads a name one of its lets binds.
    json fused = {{"op", "fused"}, {"node", 7}, {"site", "hpc"}, {"line", 1},
                  {"body", json::array({let("a", call), let("b", sum)})}};
    json log = {{"op", "log"}, {"message", name("b")}, {"line", 1}};
    stmts = plan_json::readBlock(json::array({fused, log}), "body");
    CHECK(stmts[0].readByNext);
    stmts = plan_json::readBlock(json::array({fused, {{"op", "log"}, {"message", name("t")}, {"line", 1}}}), "body");
    CHECK_FALSE(stmts[0].readByNext);
}
