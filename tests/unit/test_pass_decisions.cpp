// test_pass_decisions.cpp — what the plan writer reads off the optimized IR: the value a Const
// node holds, the task chains fused nodes run (whether the task survived the merge or was merged
// away), and the one walk over an expression's children.
#include "TestSupport.h"
#include "ast/Children.h"
#include "ir/Lower.h"
#include "passes/Pass.h"
#include "plan/PassDecisions.h"

#include <catch2/catch.hpp>

using namespace xdml;

namespace {

ir::FlowIR optimized(test::Compiled& c) {
    REQUIRE(c.errors().empty());
    ir::FlowIR flow = ir::lowerToIR(*c.program, *c.diags);
    passes::PipelineOptions options;
    options.verifyEach = true;
    REQUIRE(passes::runPipeline(flow, *c.diags, options));
    return flow;
}

/// The live node lowered from a call of `name` (before any fusion: the one whose label it was).
const ast::Expr* callOf(const ir::FlowIR& flow, const std::string& name) {
    for (ir::NodeId id = 0; id < flow.nodeCount(); ++id) {
        const ir::Node& n = flow.node(id);
        if (n.expr && n.decl && n.decl->name.text == name && n.expr->kind == ast::ExprKind::Call) return n.expr;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("fold-constants leaves the value on the Const node, and the plan writer reads it there") {
    auto c = test::compileText(R"(
fn reading(i: int) -> float = 0.5 * i;
stream readings: float from generate(reading, 4);
flow f { on new data of type float in readings as r { let k = 6 * 7; log "{k} {r}"; } }
)");
    ir::FlowIR flow = optimized(*c);
    const plan::PassDecisions decisions(flow);
    std::size_t consts = 0;
    for (ir::NodeId id = 0; id < flow.nodeCount(); ++id) {
        const ir::Node& n = flow.node(id);
        if (n.removed || n.kind != ir::NodeKind::Const) continue;
        ++consts;
        CHECK(n.constant.kind == sema::ConstValue::Kind::Int);
        CHECK(n.constant.i == 42);
        CHECK(sema::constantText(n.constant) == "42");
        const sema::ConstValue literal = decisions.folded(n.expr);
        CHECK(literal.kind == sema::ConstValue::Kind::Int);
        CHECK(literal.i == 42);
    }
    CHECK(consts == 1);
}

TEST_CASE("a fused chain runs a task whether the task survived the merge or was merged into a fn call") {
    auto c = test::compileText(R"(
fn reading(i: int) -> float = 0.5 * i;
fn prep(x: float) -> float = x * 2.0;
task t(x: float) -> float { return x + 1.0; }
task u(x: float) -> float { return x - 1.0; }
stream readings: float from generate(reading, 4);
flow f {
    on new data of type float in readings as r {
        let a = t(prep(r));
        let b = prep(u(r));
        let d = prep(prep(r));
        log "{a} {b} {d}";
    }
}
)");
    ir::FlowIR flow = optimized(*c);
    const plan::PassDecisions decisions(flow);
    // t's call survives as the fused node (prep merged into it); u merged into prep's call.
    const ast::Expr* a = callOf(flow, "t");
    const ast::Expr* b = callOf(flow, "u");
    REQUIRE(a);
    REQUIRE(b);
    const ir::NodeId chainA = decisions.taskChain(a), chainB = decisions.taskChain(b);
    REQUIRE(chainA != ir::kNoNode);
    REQUIRE(chainB != ir::kNoNode);
    CHECK(chainA != chainB);
    CHECK(flow.node(chainA).kind == ir::NodeKind::Fused);
    CHECK(!flow.node(chainA).removed);
    // u's own node was merged away: the chain is the node it names.
    for (ir::NodeId id = 0; id < flow.nodeCount(); ++id)
        if (flow.node(id).expr == b) CHECK(flow.node(id).fusedInto == chainB);
    // A chain of fn calls alone runs no task.
    for (ir::NodeId id = 0; id < flow.nodeCount(); ++id) {
        const ir::Node& n = flow.node(id);
        if (n.removed || n.kind != ir::NodeKind::Fused || id == chainA || id == chainB) continue;
        CHECK(decisions.taskChain(n.expr) == ir::kNoNode);
    }
}

TEST_CASE("anyChild visits every direct sub-expression once, in order, and stops at a yes") {
    auto leaf = [](const char* name) {
        auto e = std::make_unique<ast::Expr>();
        e->kind = ast::ExprKind::Ident;
        e->text = name;
        return e;
    };
    ast::Expr e;
    e.kind = ast::ExprKind::Call;
    e.callee = leaf("callee");
    e.operands.push_back(leaf("op"));
    e.args.push_back(ast::Arg{{}, leaf("arg")});
    e.fields.push_back(ast::FieldInit{{}, leaf("field")});
    e.parts.push_back(ast::StringPart{"text", nullptr, std::nullopt});
    e.parts.push_back(ast::StringPart{"", leaf("part"), std::nullopt});
    ast::SliceItem slice;
    slice.isRange = true;
    slice.hi = leaf("hi");
    e.slices.push_back(std::move(slice));
    std::vector<std::string> seen;
    ast::forEachChild(e, [&](const ast::Expr* child) { seen.push_back(child->text); });
    CHECK(seen == std::vector<std::string>{"callee", "op", "arg", "field", "part", "hi"});
    seen.clear();
    CHECK(ast::anyChild(e, [&](const ast::Expr* child) {
        seen.push_back(child->text);
        return child->text == "arg";
    }));
    CHECK(seen == std::vector<std::string>{"callee", "op", "arg"});
    CHECK_FALSE(ast::anyChild(e, [](const ast::Expr*) { return false; }));
}
