// test_jit.cpp — differential tests of the JIT: every fn and refinement predicate of the
// examples, and a generated corpus of random expressions over scalars and tensors (slices,
// reductions, `?:`, math, integer division), give bitwise-identical results compiled and
// interpreted; where the interpreter raises an error the compiled code must decline.
#include "JitTestSupport.h"
#include "TestSupport.h"
#include "jit/Kernels.h"
#include "plan/Code.h"
#include "runtime/interp/Conform.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/values/Text.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

using namespace xdml;
using runtime::ElemType;
using runtime::Evaluator;
using runtime::Program;
using runtime::Tensor;
using runtime::Value;
using test::Arguments;
using test::ExpressionWriter;
using test::corpusProgram;
using test::sameBits;

namespace {

std::unique_ptr<Program> programOf(const std::string& text) {
    auto c = test::compileText(text);
    INFO(text);
    REQUIRE(c->errors().empty());
    return std::make_unique<Program>(Program::fromCode(nlohmann::json::parse(plan::codeJson(*c->program).dump())));
}

struct Tally {
    int compiled = 0, declined = 0, errors = 0;
};

/// Calls `fn` interpreted and compiled on random arguments and compares; false on a mismatch.
void compare(const Program& program, const jit::Kernels& kernels, const runtime::FnDecl& fn, Arguments& make, Tally& tally) {
    std::vector<Value> args;
    for (const runtime::Param& p : fn.params) args.push_back(runtime::conformTo(make.of(p.type, program), p.type, program));
    Evaluator interpreter(program);
    std::optional<Value> expected;
    std::string error;
    try {
        expected = interpreter.interpret(fn, args);
    } catch (const runtime::EvalError& e) {
        error = e.what();
    }
    std::optional<Value> compiled = kernels.callFn(fn, args);
    std::string shown;
    for (const Value& a : args) shown += runtime::toText(a).substr(0, 300) + "; ";
    INFO("fn " << fn.name << " args " << shown);
    if (!error.empty()) {
        INFO("the interpreter raised: " << error);
        CHECK_FALSE(compiled.has_value());  // compiled code must leave errors to the interpreter
        ++tally.errors;
        return;
    }
    if (!compiled) {
        ++tally.declined;
        return;
    }
    ++tally.compiled;
    INFO("interpreted " << runtime::toText(*expected).substr(0, 400) << "\ncompiled    " << runtime::toText(*compiled).substr(0, 400));
    CHECK(sameBits(*expected, *compiled));
}

/// Compiles every kernel now; each must compile (the code uses nothing the JIT leaves out).
void compileEveryKernel(jit::Kernels& kernels) {
    kernels.compileAll();
    for (const jit::KernelStatus& s : kernels.status()) {
        INFO(s.what << ": " << s.reason);
        CHECK(s.compiled);
    }
}

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("jit: every fn and predicate of the examples gives the interpreter's bits", "[jit]") {
    std::vector<std::filesystem::path> files;
    for (const char* dir : {"/examples", "/../shared/examples"}) {
        const std::filesystem::path folder = std::string(XDML_SOURCE_DIR) + dir;
        if (!std::filesystem::is_directory(folder)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(folder))
            if (entry.path().extension() == ".xdml") files.push_back(entry.path());
    }
    REQUIRE(files.size() >= 4);
    Arguments make(7);
    for (const auto& file : files) {
        INFO(file);
        auto program = programOf(readFile(file));
        jit::Kernels kernels(*program);
        compileEveryKernel(kernels);  // the examples use nothing the JIT leaves to the interpreter
        for (const auto& [name, fn] : program->fns()) {
            Tally tally;
            for (int i = 0; i < 40; ++i) compare(*program, kernels, fn, make, tally);
            INFO("fn " << name);
            CHECK(tally.compiled > 0);
        }
        for (const auto& [name, type] : program->types()) {
            if (!type.where) continue;
            Evaluator interpreter(*program);
            for (int i = 0; i < 40; ++i) {
                Value item = make.of(type.is, *program);
                runtime::Scope scope;
                scope.it = item;
                const Value expected = interpreter.evaluate(*type.where, scope);
                std::optional<bool> compiled = kernels.where(type, item);
                INFO("type " << name);
                REQUIRE(compiled.has_value());
                CHECK(*compiled == expected.asBool());
            }
        }
    }
}

TEST_CASE("jit: generated expressions give the interpreter's bits", "[jit]") {
    ExpressionWriter writer(20261127);
    Arguments make(11);
    Tally tally;
    int programs = 0, tries = 0;
    while (programs < 250 && tries < 3000) {
        ++tries;
        const std::string body = writer.any(4);
        if (std::getenv("XDML_JIT_CORPUS_PRINT")) std::cerr << body << "\n";
        auto program = corpusProgram(body);
        if (!program) continue;
        ++programs;
        jit::Kernels kernels(*program);
        kernels.compileAll();
        const runtime::FnDecl& fn = *program->fn("f");
        const std::vector<jit::KernelStatus> status = kernels.status();
        INFO(body << "\n" << status.at(0).reason);
        REQUIRE(status.size() == 1);
        CHECK(status[0].compiled);
        CHECK_FALSE(status[0].failed);
        for (int i = 0; i < 12; ++i) compare(*program, kernels, fn, make, tally);
    }
    INFO("compiled " << tally.compiled << ", declined " << tally.declined << ", interpreter errors " << tally.errors);
    CHECK(programs == 250);
    CHECK(tally.compiled > tally.declined * 2);  // most calls run compiled, not through the fallback
    WARN("jit corpus: " << programs << " fns (of " << tries << " written), " << tally.compiled << " calls compared, "
                        << tally.declined << " declined, " << tally.errors << " interpreter errors");
}

TEST_CASE("jit: records in and out, kernel reuse, and faults fall back", "[jit]") {
    auto program = programOf(
        "type Vec = tensor<f32>[8];\n"
        "type Item = { x: Vec, y: int };\n"
        "fn make(i: int) -> Item = { x: noise(Vec, i) * 2.0, y: i % 3 };\n"
        "fn score(it: Item) -> float = sum(it.x) + it.y;\n"
        "fn same(it: Item) -> float = sum(it.x) + it.y;\n"
        "fn ratio(a: int, b: int) -> int = a / b;\n"
        "fn pickrow(t: tensor<f32>[4, 4], i: int) -> tensor<f32>[4] = t[i, :];\n");
    jit::Kernels kernels(*program);
    compileEveryKernel(kernels);
    Evaluator interpreter(*program);
    const Value item = interpreter.interpret(*program->fn("make"), {Value::integer(5)});
    auto made = kernels.callFn(*program->fn("make"), {Value::integer(5)});
    REQUIRE(made);
    CHECK(sameBits(*made, item));
    auto score = kernels.callFn(*program->fn("score"), {item});
    REQUIRE(score);
    CHECK(sameBits(*score, interpreter.interpret(*program->fn("score"), {item})));
    // Division by zero and an index out of bounds: the kernel declines, the interpreter reports.
    CHECK_FALSE(kernels.callFn(*program->fn("ratio"), {Value::integer(1), Value::integer(0)}));
    CHECK(kernels.callFn(*program->fn("ratio"), {Value::integer(7), Value::integer(-1)})->asInt() == -7);
    Value t = Value::tensor(Tensor::zeros(ElemType::F32, {4, 4}));
    CHECK_FALSE(kernels.callFn(*program->fn("pickrow"), {t, Value::integer(4)}));
    CHECK(kernels.callFn(*program->fn("pickrow"), {t, Value::integer(3)})->asTensor().dims == std::vector<int64_t>{4});
    // Arguments of another kind than compiled for are left to the interpreter.
    CHECK_FALSE(kernels.callFn(*program->fn("pickrow"), {Value::tensor(Tensor::zeros(ElemType::F64, {4, 4})), Value::integer(0)}));
    // Two fns with the same body share compiled code (the cache is keyed by the IR's hash).
    std::string scoreEntry, sameEntry;
    int cachedCount = 0;
    for (const jit::KernelStatus& s : kernels.status()) {
        if (s.what == "fn score") scoreEntry = s.entry;
        if (s.what == "fn same") sameEntry = s.entry;
        if (s.what == "fn score" || s.what == "fn same") cachedCount += s.cached;
    }
    CHECK(scoreEntry == sameEntry);
    CHECK(cachedCount == 1);
}

TEST_CASE("jit: an error in an element no one reads is still the interpreter's error", "[jit]") {
    // The interpreter computes whole tensors, so a zero divisor anywhere in one is an error,
    // even when only a slice or one element is used: the kernel must decline, not answer.
    auto program = programOf(
        "type I = tensor<i64>[4];\n"
        "fn one(x: I) -> int = (x / x)[0];\n"
        "fn nothing(n: int) -> float = sum((zeros(I) / n)[0:0]);\n"
        "fn first(a: int, b: I) -> int = a;\n"
        "fn unused(n: int) -> int = first(7, zeros(I) % n);\n"
        "fn field(n: int) -> int = { a: 3, b: zeros(I) / n }.a;\n");
    jit::Kernels kernels(*program);
    kernels.compileAll();
    runtime::Tensor x = Tensor::zeros(ElemType::I64, {4});
    x.data<int64_t>()[0] = 1;  // 1, 0, 0, 0
    const Value withZero = Value::tensor(x);
    CHECK_FALSE(kernels.callFn(*program->fn("one"), {withZero}));
    CHECK_FALSE(kernels.callFn(*program->fn("nothing"), {Value::integer(0)}));
    CHECK_FALSE(kernels.callFn(*program->fn("unused"), {Value::integer(0)}));
    CHECK_FALSE(kernels.callFn(*program->fn("field"), {Value::integer(0)}));
    // Without a zero they are compiled and answer.
    CHECK(kernels.callFn(*program->fn("unused"), {Value::integer(2)})->asInt() == 7);
    CHECK(kernels.callFn(*program->fn("nothing"), {Value::integer(3)})->asFloat() == 0.0);
    Evaluator interpreter(*program);
    CHECK_THROWS_AS(interpreter.interpret(*program->fn("one"), {withZero}), runtime::EvalError);
}

TEST_CASE("jit: the branch of a tensor ?: not taken does not fault", "[jit]") {
    // Both branches are set up before the loops; the checks and work of the one not taken (a
    // zero divisor, a slice out of bounds, a temporary, a reduction) must not make the kernel
    // decline, let alone read out of bounds: the guard idiom stays compiled.
    auto program = programOf(
        "type Q = tensor<i64>[?];\n"
        "type V = tensor<f32>[?];\n"
        "fn safe(x: Q, y: Q) -> Q = count(y == 0) > 0 ? x : x / y;\n"
        "fn head(r: V, n: int) -> V = n < 5 ? r : r[0:5] / max(r[0:5]);\n"
        "fn twice(t: V) -> V = t + t * 0.5;\n"
        "fn nested(r: V, n: int) -> V = n < 5 ? r : twice(r[0:5]) / (max(twice(r[0:5])) + r[7]);\n");
    jit::Kernels kernels(*program);
    kernels.compileAll();
    Evaluator interpreter(*program);
    auto vector = [](ElemType e, std::vector<double> values) {
        Tensor t = Tensor::zeros(e, {static_cast<int64_t>(values.size())});
        for (std::size_t i = 0; i < values.size(); ++i)
            runtime::withElemType(e, [&](auto v) { t.data<decltype(v)>()[i] = static_cast<decltype(v)>(values[i]); });
        return Value::tensor(std::move(t));
    };
    auto same = [&](const char* fn, std::vector<Value> args) {
        INFO(fn);
        auto compiled = kernels.callFn(*program->fn(fn), args);
        REQUIRE(compiled);  // compiled, not declined
        CHECK(sameBits(*compiled, interpreter.interpret(*program->fn(fn), args)));
    };
    same("safe", {vector(ElemType::I64, {1, 2, 3}), vector(ElemType::I64, {1, 0, 1})});
    same("safe", {vector(ElemType::I64, {7, 9, -3}), vector(ElemType::I64, {2, -1, 4})});
    same("head", {vector(ElemType::F32, {1, 2, 3}), Value::integer(3)});
    same("head", {vector(ElemType::F32, {1, 2, 3, 4, 5, 6}), Value::integer(9)});
    same("nested", {vector(ElemType::F32, {1, 2, 3}), Value::integer(2)});
    same("nested", {vector(ElemType::F32, {1, 2, 3, 4, 5, 6, 7, 8}), Value::integer(9)});
    // Taken, the same checks still fault: the interpreter reports the slice out of bounds.
    CHECK_FALSE(kernels.callFn(*program->fn("head"), {vector(ElemType::F32, {1, 2, 3}), Value::integer(9)}));
}

TEST_CASE("jit: a value used twice is computed once, so nested fns do not grow the code", "[jit]") {
    // d(d(...d(x))) reads its argument twice at every level: repeated, the code would double at
    // each (2^18 copies); computed once into a temporary, it grows by one loop per level.
    std::string nested = "mk(i)";
    for (int level = 0; level < 18; ++level) nested = "d(" + nested + ")";
    auto program = programOf(
        "type T = tensor<f32>[16];\n"
        "fn mk(i: int) -> T = noise(T, i);\n"
        "fn d(t: T) -> T = t + t * 0.5;\n"
        "fn g(i: int) -> float = sum(" + nested + ");\n");
    jit::Kernels kernels(*program);
    compileEveryKernel(kernels);
    Evaluator interpreter(*program);
    for (int64_t i : {0, 1, 17}) {
        auto compiled = kernels.callFn(*program->fn("g"), {Value::integer(i)});
        REQUIRE(compiled);
        CHECK(sameBits(*compiled, interpreter.interpret(*program->fn("g"), {Value::integer(i)})));
    }
}

TEST_CASE("jit: unsupported code is named and interpreted, never compiled wrongly", "[jit]") {
    auto program = programOf(
        "fn greet(n: int) -> string = \"hello {n}\";\n"
        "fn fact(n: int) -> int = n <= 1 ? 1 : n * fact(n - 1);\n"
        "fn lengths(l: list<int>) -> int = len(l);\n");
    jit::Kernels kernels(*program);
    kernels.compileAll();
    for (const jit::KernelStatus& s : kernels.status()) {
        INFO(s.what);
        CHECK_FALSE(s.compiled);
        CHECK_FALSE(s.failed);
        CHECK_FALSE(s.reason.empty());
    }
    // The evaluator still answers, interpreting.
    Evaluator ev(*program, nullptr, &kernels);
    CHECK(ev.call("fact", {Value::integer(5)}).asInt() == 120);
    const std::string text = jit::Kernels::emitLlvm(*program, false);
    CHECK(text.find("fn fact (line 2): not compiled, runs interpreted: the recursive fn 'fact'") != std::string::npos);
}
