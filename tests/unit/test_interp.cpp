// test_interp.cpp — the interpreter of pure code: values, their printing, loading a plan's
// code section, and evaluating the example flows' fns. Only the plan's JSON reaches the runtime.
#include "TestSupport.h"
#include "ir/Lower.h"
#include "passes/Pass.h"
#include "plan/Code.h"
#include "plan/Plan.h"
#include "planformat/PlanLimits.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/interp/Program.h"
#include "runtime/numerics/Philox.h"
#include "runtime/numerics/Reductions.h"
#include "runtime/values/Text.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace xdml;
using runtime::EvalError;
using runtime::Evaluator;
using runtime::PlanError;
using runtime::Program;
using runtime::Value;
using K = runtime::Value::Kind;

namespace {

using test::readExample;

/// The code section as the runtime gets it: printed and read back, nothing else shared.
Program programOf(const std::string& text) {
    auto c = test::compileText(text);
    INFO(text);
    REQUIRE(c->errors().empty());
    return Program::fromCode(nlohmann::json::parse(plan::codeJson(*c->program).dump()));
}

Value integer(int64_t i) { return Value::integer(i); }

/// Evaluates `fn t() -> T = EXPR;` in a file with the given declarations.
Value evalFn(const std::string& decls, const std::string& type, const std::string& expr) {
    Program p = programOf(decls + "\nfn t() -> " + type + " = " + expr + ";\n");
    Evaluator ev(p);
    return ev.call("t", {});
}

std::string textOf(const std::string& decls, const std::string& expr) {
    Value v = evalFn(decls, "string", "\"{" + expr + "}\"");
    REQUIRE(v.is(K::String));
    return v.asString();
}

double meanOf(const Value& v) {
    const runtime::Tensor& t = v.asTensor();
    return runtime::meanOf(t.data<float>(), t.count());
}

}  // namespace

TEST_CASE("floats print in the shortest form that reads back, with an exponent only outside 1e-6..1e15") {
    CHECK(runtime::formatFloat(0.1) == "0.1");
    CHECK(runtime::formatFloat(1e20) == "1e20");
    CHECK(runtime::formatFloat(1e-7) == "1e-7");
    CHECK(runtime::formatFloat(1.5e-7) == "1.5e-7");
    CHECK(runtime::formatFloat(1e-6) == "0.000001");
    CHECK(runtime::formatFloat(1e15) == "1e15");
    CHECK(runtime::formatFloat(123456789012345.0) == "123456789012345.0");
    CHECK(runtime::formatFloat(3.0) == "3.0");
    CHECK(runtime::formatFloat(-2.5) == "-2.5");
    CHECK(runtime::formatFloat(0.1 + 0.2) == "0.30000000000000004");
    CHECK(runtime::formatF32(0.1f) == "0.1");
    CHECK(runtime::formatFloat(static_cast<double>(0.1f)) == "0.10000000149011612");
}

TEST_CASE("quantities print with the unit that needs the fewest digits") {
    using runtime::QuantityKind;
    auto q = [](QuantityKind k, double v) { return runtime::formatQuantity({k, v}); };
    CHECK(q(QuantityKind::Duration, 1.5) == "1.5s");
    CHECK(q(QuantityKind::Duration, 3.8) == "3.8s");
    CHECK(q(QuantityKind::Duration, 90) == "90s");
    CHECK(q(QuantityKind::Duration, 7200) == "2h");
    CHECK(q(QuantityKind::Duration, 0.002) == "2ms");
    CHECK(q(QuantityKind::Duration, 0.1 + 0.2) == "300ms");
    CHECK(q(QuantityKind::Duration, -0.5) == "-500ms");
    CHECK(q(QuantityKind::Duration, 0) == "0s");
    CHECK(q(QuantityKind::Bytes, 64.0 * 1024 * 1024) == "64MiB");
    CHECK(q(QuantityKind::Bytes, 64e6) == "64MB");
    CHECK(q(QuantityKind::Bytes, 1536) == "1.5KiB");
    CHECK(q(QuantityKind::Bandwidth, 25e9 / 8) == "25Gbps");
    CHECK(q(QuantityKind::Bandwidth, 1e9) == "1GB/s");
    // From source: 1500ms is stored as 1.5 seconds and prints as such.
    CHECK(textOf("", "1500ms") == "1.5s");
    CHECK(textOf("", "2s + 500ms") == "2.5s");
    CHECK(textOf("", "32GiB") == "32GiB");
}

TEST_CASE("interpolation prints ints, bools, none, lists, records and tensors") {
    CHECK(textOf("", "42") == "42");
    CHECK(textOf("", "1 < 2") == "true");
    CHECK(textOf("", "[1, 2, 3]") == "[1, 2, 3]");
    CHECK(textOf("fn r() -> { a: int, b: string } = { a: 1, b: \"x\" };", "r()") == "{ a: 1, b: \"x\" }");
    CHECK(textOf("type V = tensor<f32>[3];", "zeros(V)") == "tensor<f32>[3] [0.0, 0.0, 0.0]");
    CHECK(textOf("type M = tensor<i32>[2, 8];", "zeros(M)") ==
          "tensor<i32>[2, 8] [[0, 0, 0, 0, 0, 0, ...], [0, 0, 0, 0, 0, 0, ...]]");
    CHECK(evalFn("", "string", "\"a{1 + 1}b{{c}}\"").asString() == "a2b{c}");
}

TEST_CASE("numbers: C truncation on ints, widening to float, f32 staying f32") {
    CHECK(evalFn("", "int", "-7 / 2").asInt() == -3);
    CHECK(evalFn("", "int", "-7 % 2").asInt() == -1);
    CHECK(evalFn("", "int", "7 % -2").asInt() == 1);
    CHECK(evalFn("", "int", "7 / 2").asInt() == 3);
    Value f = evalFn("", "float", "7 / 2.0");
    REQUIRE(f.is(K::Float));
    CHECK(f.asFloat() == 3.5);
    Value g = evalFn("const H: f32 = 0.5;", "f32", "H * 3");
    REQUIRE(g.is(K::F32));
    CHECK(g.asF32() == 1.5f);
    CHECK(evalFn("const H: f32 = 0.5;", "float", "H + 0.25").is(K::Float));
    // An int where a float is expected is widened: the checker allows it, the runtime must too.
    Value w = evalFn("fn half(x: float) -> float = x / 2;", "float", "half(3)");
    REQUIRE(w.is(K::Float));
    CHECK(w.asFloat() == 1.5);
    CHECK(evalFn("", "float", "true ? 1 : 2.5").is(K::Float));
    CHECK(evalFn("", "int", "max(3, 9) + min(4, -1)").asInt() == 8);
    CHECK(evalFn("", "float", "clamp(7.5, 0.0, 2.0)").asFloat() == 2.0);
    CHECK(evalFn("", "float", "sqrt(16)").asFloat() == 4.0);
    CHECK(evalFn("", "int", "abs(-5)").asInt() == 5);
}

TEST_CASE("integer division by zero is an error with the line, not a crash") {
    Program p = programOf("fn d(a: int, b: int) -> int =\n  a / b;");
    Evaluator ev(p);
    CHECK(ev.call("d", {integer(7), integer(2)}).asInt() == 3);
    try {
        ev.call("d", {integer(1), integer(0)});
        FAIL("no error");
    } catch (const EvalError& e) {
        CHECK(e.line() == 2);
        CHECK(std::string(e.what()) == "line 2: integer division by zero");
    }
}

TEST_CASE("quantity arithmetic keeps the kind, and the ratio of two is a float") {
    Value d = evalFn("", "duration", "2s * 3 + 500ms");
    REQUIRE(d.is(K::Quantity));
    CHECK(d.asQuantity().value == Approx(6.5));
    Value r = evalFn("", "float", "3s / 1500ms");
    REQUIRE(r.is(K::Float));
    CHECK(r.asFloat() == Approx(2.0));
    CHECK(evalFn("", "bool", "1MiB > 1MB").asBool());
    CHECK(evalFn("", "bytes", "4 * 16MiB").asQuantity().value == 64.0 * 1024 * 1024);
}

TEST_CASE("tensors: elementwise with broadcast, comparisons, bool as f32, slices and indexes") {
    const std::string decls = "type M = tensor<f32>[4, 6];\ntype I = tensor<i32>[3];\n";
    Value m = evalFn(decls, "tensor<f32>[4, 6]", "noise(M, 7) * 2.0 + 1");
    REQUIRE(m.is(K::Tensor));
    CHECK(m.asTensor().elem == runtime::ElemType::F32);
    Value cmp = evalFn(decls, "tensor<bool>[4, 6]", "noise(M, 7) > 0.0");
    CHECK(cmp.asTensor().elem == runtime::ElemType::Bool);
    Value asF32 = evalFn(decls, "tensor<f32>[4, 6]", "(noise(M, 7) > 0.0) * 1");
    CHECK(asF32.asTensor().elem == runtime::ElemType::F32);
    CHECK(evalFn(decls, "int", "count(noise(M, 7) > 0.0)").asInt() ==
          static_cast<int64_t>(runtime::sumOf(asF32.asTensor().data<float>(), 24)));
    // An int tensor keeps its type meeting a float, computing in f64 then truncating.
    Value ints = evalFn(decls, "tensor<i32>[3]", "(zeros(I) + 5) * 1.5");
    CHECK(ints.asTensor().elem == runtime::ElemType::I32);
    CHECK(ints.asTensor().data<int32_t>()[2] == 7);
    CHECK(evalFn(decls, "tensor<i32>[3]", "(zeros(I) - 7) / 2").asTensor().data<int32_t>()[0] == -3);

    Program p = programOf(decls + "fn s(m: M) -> tensor<f32>[2, 3] = m[1:3, :3];\n"
                                  "fn e(m: M) -> f32 = m[2, 5];\n"
                                  "fn row(m: M) -> tensor<f32>[6] = m[3];\n"
                                  "fn twice(m: M) -> M = m + m;\n");
    Evaluator ev(p);
    const runtime::Tensor& t = m.asTensor();
    Value s = ev.call("s", {m});
    REQUIRE(s.asTensor().dims == std::vector<int64_t>{2, 3});
    CHECK(s.asTensor().data<float>()[0] == t.data<float>()[6]);
    CHECK(s.asTensor().data<float>()[5] == t.data<float>()[2 * 6 + 2]);
    Value e = ev.call("e", {m});
    REQUIRE(e.is(K::F32));
    CHECK(e.asF32() == t.data<float>()[2 * 6 + 5]);
    Value row = ev.call("row", {m});
    CHECK(row.asTensor().dims == std::vector<int64_t>{6});
    CHECK(row.asTensor().data<float>()[0] == t.data<float>()[18]);
    CHECK(ev.call("twice", {m}).asTensor().data<float>()[3] == t.data<float>()[3] * 2);
}

TEST_CASE("float reductions are the eight-lane sums of Reductions.h, to the bit") {
    Program p = programOf("type V = tensor<f32>[1000];\nfn s(i: int) -> float = sum(noise(V, i));\n"
                          "fn m(i: int) -> float = mean(noise(V, i));\nfn v(i: int) -> V = noise(V, i);\n"
                          "fn top(i: int) -> int = argmax(noise(V, i));");
    Evaluator ev(p);
    Value v = ev.call("v", {integer(3)});
    const float* d = v.asTensor().data<float>();
    CHECK(ev.call("s", {integer(3)}).asFloat() == runtime::sumOf(d, 1000));
    CHECK(ev.call("m", {integer(3)}).asFloat() == runtime::meanOf(d, 1000));
    CHECK(ev.call("top", {integer(3)}).asInt() == runtime::argmaxOf(d, 1000));
    CHECK(d[5] == static_cast<float>(runtime::normalAt(3, 5)));
}

TEST_CASE("ssx: the detector, the hit score and the Hit refinement") {
    Program p = programOf(readExample("ssx.xdml"));
    Evaluator ev(p);
    Value frame0 = ev.call("detector", {integer(0)});
    REQUIRE(frame0.is(K::Tensor));
    CHECK(frame0.asTensor().dims == std::vector<int64_t>{64, 64});
    CHECK(meanOf(frame0) == Approx(3.0).margin(0.1));
    Value frame1 = ev.call("detector", {integer(1)});
    CHECK(meanOf(frame1) == Approx(0.0).margin(0.1));
    CHECK(ev.call("hit_score", {frame0}).asFloat() > 0.5);
    CHECK(ev.call("hit_score", {frame1}).asFloat() < 0.5);
    CHECK(ev.constant("THRESHOLD").asFloat() == 0.5);
    CHECK(ev.refines("Hit", frame0));
    CHECK_FALSE(ev.refines("Hit", frame1));
    CHECK(ev.refines("Frame", frame1));
}

TEST_CASE("pipeline4: crop, denoise and normalize a raw frame") {
    Program p = programOf(readExample("pipeline4.xdml"));
    Evaluator ev(p);
    Value raw = ev.call("raw", {integer(0)});
    Value cropped = ev.call("crop", {raw});
    REQUIRE(cropped.asTensor().dims == std::vector<int64_t>{64, 64});
    CHECK(cropped.asTensor().data<float>()[0] == raw.asTensor().data<float>()[32 * 128 + 32]);
    CHECK(cropped.asTensor().data<float>()[64 * 64 - 1] == raw.asTensor().data<float>()[95 * 128 + 95]);
    // raw(0) is about N(1, 0.1); denoise takes 0.05 off; normalize divides by the maximum.
    Value denoised = ev.call("denoise", {cropped});
    CHECK(meanOf(denoised) == Approx(0.95).margin(0.01));
    const double peak = runtime::maxOf(denoised.asTensor().data<float>(), 64 * 64);
    Value out = ev.call("normalize", {denoised});
    const runtime::Tensor& t = out.asTensor();
    REQUIRE(t.dims == std::vector<int64_t>{64, 64});
    CHECK(runtime::maxOf(t.data<float>(), t.count()) == Approx(1.0).margin(1e-5));
    CHECK(runtime::minOf(t.data<float>(), t.count()) >= 0.0);
    CHECK(meanOf(out) == Approx(meanOf(denoised) / peak).epsilon(1e-5));
    // The first element, by hand: f32 arithmetic with the scalars rounded to f32.
    const float c0 = cropped.asTensor().data<float>()[0];
    const float d0 = std::min(std::max(c0 - 0.05f, 0.0f), 10.0f);
    CHECK(t.data<float>()[0] == d0 / static_cast<float>(peak + 1e-6));
}

TEST_CASE("continual: class labels and items") {
    Program p = programOf(readExample("continual.xdml"));
    Evaluator ev(p);
    CHECK(ev.call("cls", {integer(4001)}).asInt() == 5);
    CHECK(ev.call("cls", {integer(0)}).asInt() == 0);
    CHECK(ev.call("cls", {integer(9998)}).asInt() == 8);
    Value item = ev.call("item", {integer(4001)});
    REQUIRE(item.is(K::Record));
    const Value* x = item.asRecord().find("x");
    const Value* y = item.asRecord().find("y");
    REQUIRE(x);
    REQUIRE(y);
    CHECK(x->asTensor().dims == std::vector<int64_t>{64});
    CHECK(y->asInt() == 5);
    // x = noise(Vec, 100000 + 5*3 + (4001/2)%3) + noise(Vec, 4001) * 2.0, element by element.
    const double expected = static_cast<float>(runtime::normalAt(100000 + 15 + 2000 % 3, 0)) +
                            static_cast<float>(static_cast<float>(runtime::normalAt(4001, 0)) * 2.0f);
    CHECK(x->asTensor().data<float>()[0] == static_cast<float>(expected));
}

TEST_CASE("what needs the runtime's context is a clear error in a pure evaluation") {
    Program ssx = programOf(readExample("ssx.xdml"));
    Evaluator ev(ssx);
    auto call = [](const std::string& callee, const std::string& binding) {
        return nlohmann::json{{"op", "call"}, {"line", 3},
                              {"callee", {{"op", "name"}, {"name", callee}, {"binding", binding}, {"declares", "task"}}},
                              {"args", nlohmann::json::array()}};
    };
    nlohmann::json code = {{"types", nlohmann::json::object()}, {"consts", nlohmann::json::object()},
                           {"fns", {{"f", {{"params", nlohmann::json::array()}, {"result", nullptr},
                                           {"body", call("now", "builtin")}}},
                                    {"g", {{"params", nlohmann::json::array()}, {"result", nullptr},
                                           {"body", call("index", "global")}}}}}};
    Program p = Program::fromCode(code);
    Evaluator pure(p);
    CHECK_THROWS_WITH(pure.call("f", {}), Catch::Contains("'now' is not available in a pure evaluation"));
    CHECK_THROWS_WITH(pure.call("g", {}), Catch::Contains("the task 'index' is not available"));
    CHECK_THROWS_AS(ev.call("nonesuch", {}), EvalError);
    CHECK_THROWS_AS(ev.call("detector", {}), EvalError);
}

TEST_CASE("a malformed plan is a PlanError naming the place") {
    auto error = [](const std::string& text) -> std::string {
        try {
            Program::fromCode(nlohmann::json::parse(text));
        } catch (const PlanError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK(error("[]") == "plan code: code: expected an object");
    CHECK(error("{}") == "plan code: code: no \"types\"");
    CHECK(error(R"({"types": {}, "consts": {}, "fns": {"f": {"params": [], "result": null, "body": {"op": "bogus"}}}})") ==
          "plan code: fns.f.body: unknown expression \"bogus\"");
    CHECK(error(R"({"types": {}, "consts": {}, "fns": {"f": {"params": [], "result": null,
                   "body": {"op": "binary", "operator": "+", "args": [{"op": "int", "value": 1}]}}}})") ==
          "plan code: fns.f.body.args: expected 2 operands, got 1");
    CHECK(error(R"({"types": {}, "consts": {}, "fns": {"f": {"params": [], "result": null,
                   "body": {"op": "binary", "operator": "+", "args": [{"op": "int", "value": 1}, {"op": "int", "value": "x"}]}}}})") ==
          "plan code: fns.f.body.args[1].value: expected an integer");
    CHECK(error(R"({"types": {"T": {"is": {"kind": "tensor", "elem": "f16", "dims": []}}}, "consts": {}, "fns": {}})") ==
          "plan code: types.T.is.elem: unknown element type");
    CHECK(error(R"({"types": {}, "consts": {"C": 3}, "fns": {}})") == "plan code: consts.C: expected an object");
    // Type kinds and what a global declares are read through the plan's vocabulary, once.
    CHECK(error(R"({"types": {"T": {"is": {"kind": "tuple"}}}, "consts": {}, "fns": {}})") ==
          "plan code: types.T.is.kind: unknown type kind \"tuple\"");
    CHECK(error(R"({"types": {}, "consts": {}, "fns": {"f": {"params": [], "result": null, "body": {"op": "call", "args": [],
                   "callee": {"op": "name", "name": "t", "binding": "global", "declares": "job"}}}}})") ==
          "plan code: fns.f.body.callee.declares: unknown declaration kind \"job\"");
    CHECK(error(R"({"types": {}, "consts": {}, "fns": {"f": {"params": [], "result": null,
                   "body": {"op": "name", "name": "t", "binding": "global", "declares": 3}}}})") ==
          "plan code: fns.f.body: a global name without \"declares\"");
    CHECK_THROWS_AS(Program::fromPlan(nlohmann::json::parse("{\"code\": 1}")), PlanError);
    // A type that names itself is an error, not an endless loop.
    Program p = Program::fromCode(nlohmann::json::parse(
        R"({"types": {"A": {"is": {"kind": "named", "name": "A"}}}, "consts": {}, "fns": {}})"));
    runtime::TypeDesc a;
    a.kind = runtime::TypeDesc::Kind::Named;
    a.name = "A";
    CHECK_THROWS_AS(p.structure(a), PlanError);
}

TEST_CASE("a whole plan, after the pass pipeline, loads and runs") {
    for (const char* name : {"ssx.xdml", "pipeline4.xdml", "continual.xdml"}) {
        INFO(name);
        auto c = test::compileText(readExample(name));
        REQUIRE(c->errors().empty());
        ir::FlowIR flow = ir::lowerToIR(*c->program, *c->diags);
        passes::PipelineOptions options;
        options.optLevel = 2;
        REQUIRE(passes::runPipeline(flow, *c->diags, options));
        Program p = Program::fromPlan(nlohmann::json::parse(plan::planJson(flow).dump()));
        CHECK_FALSE(p.fns().empty());
        CHECK_FALSE(p.flows().empty());
    }
    auto c = test::compileText(readExample("ssx.xdml"));
    ir::FlowIR flow = ir::lowerToIR(*c->program, *c->diags);
    REQUIRE(passes::runPipeline(flow, *c->diags, passes::PipelineOptions()));
    Program p = Program::fromPlan(plan::planJson(flow));
    Evaluator ev(p);
    CHECK(ev.call("hit_score", {ev.call("detector", {integer(3)})}).asFloat() > 0.5);
}

TEST_CASE("the deepest expression the compiler accepts, in the deepest blocks, loads in the runtime") {
    // planformat::kMaxExprDepth is what keeps a checked flow within the readers' nesting bound:
    // a chain at that depth inside a record, inside 250 nested ifs (the parser allows 256).
    const int depth = planformat::kMaxExprDepth;
    auto chainOf = [](int operands) {
        std::string chain = "v";
        for (int i = 1; i < operands; ++i) chain += " + v";
        return chain;
    };
    const std::string chain = chainOf(depth);
    std::string body = "let r = { a: " + chainOf(depth - 1) + " }; log \"{r.a}\";";  // the record is a level
    for (int i = 0; i < 250; ++i) body = "if v > 0 { " + body + " }";
    const std::string text = "fn one(i: int) -> int = i;\nstream s: int from generate(one, 2);\n"
                             "flow c { on new data of type int in s as v { " + body + " } }\n"
                             "fn f(v: int) -> int = " + chain + ";\n";
    Program p = programOf(text);
    Evaluator ev(p);
    CHECK(ev.call("f", {integer(2)}).asInt() == 2 * depth);
    auto deeper = test::compileText("fn f(v: int) -> int = " + chain + " + v;\n");
    CHECK_FALSE(deeper->errors().empty());
}
