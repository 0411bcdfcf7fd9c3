// test_jit.cpp — differential tests of the JIT: every fn and refinement predicate of the
// examples, and a generated corpus of random expressions over scalars and tensors (slices,
// reductions, `?:`, math, integer division), give bitwise-identical results compiled and
// interpreted; where the interpreter raises an error the compiled code must decline.
#include "TestSupport.h"
#include "jit/Kernels.h"
#include "plan/Code.h"
#include "runtime/interp/Conform.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/values/Text.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <regex>

using namespace xdml;
using runtime::ElemType;
using runtime::Evaluator;
using runtime::Program;
using runtime::Tensor;
using runtime::TypeDesc;
using runtime::Value;
using K = Value::Kind;

namespace {

std::unique_ptr<Program> programOf(const std::string& text) {
    auto c = test::compileText(text);
    INFO(text);
    REQUIRE(c->errors().empty());
    return std::make_unique<Program>(Program::fromCode(nlohmann::json::parse(plan::codeJson(*c->program).dump())));
}

/// The same bits, or both NaN: which NaN an operation on two NaNs gives is not part of the
/// contract (IEEE 754 leaves it open, and compilers may swap the operands of `+` and `*`).
template <typename T>
bool sameFloat(T x, T y) {
    return (std::isnan(x) && std::isnan(y)) || std::memcmp(&x, &y, sizeof x) == 0;
}

/// Bitwise equality, through records; tensors compare element by element.
bool sameBits(const Value& a, const Value& b) {
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
    case K::Float: return sameFloat(a.asFloat(), b.asFloat());
    case K::F32: return sameFloat(a.asF32(), b.asF32());
    case K::Tensor: {
        const Tensor &s = a.asTensor(), &t = b.asTensor();
        if (s.elem != t.elem || s.dims != t.dims) return false;
        return runtime::withElemType(s.elem, [&](auto v) {
            using T = decltype(v);
            for (std::size_t i = 0; i < s.count(); ++i) {
                if constexpr (std::is_floating_point_v<T>) {
                    if (!sameFloat(s.data<T>()[i], t.data<T>()[i])) return false;
                } else if (s.data<T>()[i] != t.data<T>()[i]) {
                    return false;
                }
            }
            return true;
        });
    }
    case K::Record: {
        const auto &f = a.asRecord().fields, &g = b.asRecord().fields;
        if (f.size() != g.size()) return false;
        for (std::size_t i = 0; i < f.size(); ++i)
            if (f[i].name != g[i].name || !sameBits(f[i].value, g[i].value)) return false;
        return true;
    }
    default: return runtime::toText(a) == runtime::toText(b);
    }
}

/// Random arguments, with the awkward values (NaN, -0, infinities, INT64_MIN, 0 divisors) now
/// and then, so fault paths and special floats are exercised.
class Arguments {
public:
    explicit Arguments(uint64_t seed) : random_(seed) {}

    Value of(const TypeDesc& type, const Program& program) {
        const TypeDesc& t = program.structure(type);
        switch (t.kind) {
        case TypeDesc::Kind::Bool: return Value::boolean(coin(0.5));
        case TypeDesc::Kind::Int: return Value::integer(integer());
        case TypeDesc::Kind::Float: return Value::float64(real());
        case TypeDesc::Kind::F32: return Value::float32(static_cast<float>(real()));
        case TypeDesc::Kind::Tensor: {
            std::vector<int64_t> dims;
            for (int64_t d : t.dims) dims.push_back(d >= 0 ? d : pick(0, 21));
            Tensor out = Tensor::zeros(t.elem, dims);
            runtime::withElemType(t.elem, [&](auto v) {
                using T = decltype(v);
                T* data = out.data<T>();
                for (std::size_t i = 0; i < out.count(); ++i) {
                    if constexpr (std::is_same_v<T, bool>) data[i] = coin(0.5);
                    else if constexpr (std::is_floating_point_v<T>) data[i] = static_cast<T>(real());
                    else data[i] = static_cast<T>(integer());
                }
            });
            return Value::tensor(std::move(out));
        }
        case TypeDesc::Kind::Record: {
            runtime::RecordValue r;
            for (const runtime::FieldType& f : t.fields) r.fields.push_back({f.name, of(f.type, program)});
            return Value::record(std::move(r));
        }
        default: FAIL("no arguments of this type in the test"); return Value();
        }
    }

private:
    bool coin(double p) { return std::uniform_real_distribution<double>(0, 1)(random_) < p; }
    int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi - 1)(random_); }
    int64_t integer() {
        static const int64_t odd[] = {0, -1, 1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 255, 65536};
        if (coin(0.05)) return odd[pick(0, 7)];
        return pick(-40, 300);
    }
    double real() {
        static const double odd[] = {0.0, -0.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(), 1e300, -1e-310, 3e9};
        if (coin(0.03)) return odd[pick(0, 8)];
        return std::normal_distribution<double>(0.5, 3.0)(random_);
    }
    std::mt19937_64 random_;
};

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

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// ---------------------------------------------------------------- random expressions

/// Writes random, mostly well-typed XDML expressions over the parameters of kCorpusParams;
/// the checker drops the ill-typed ones.
class ExpressionWriter {
public:
    explicit ExpressionWriter(uint64_t seed) : random_(seed) {}

    std::string any(int depth) {
        switch (pick(0, 5)) {
        case 0: return scalar("float", depth);
        case 1: return scalar("int", depth);
        case 2: return scalar("bool", depth);
        case 3: return scalar("f32", depth);
        default: return tensor(depth);
        }
    }

    std::string tensor(int depth) {
        const bool frame = pick(0, 4) != 0;  // [4, 6], or the dynamic [?] of r
        return frame ? frameTensor(depth) : vectorTensor(depth);
    }

    std::string scalar(const std::string& kind, int depth) {
        if (depth <= 0 || pick(0, 5) == 0) return scalarLeaf(kind);
        static const char* arith[] = {"+", "-", "*", "/", "%"};
        static const char* cmp[] = {"==", "!=", "<", "<=", ">", ">="};
        if (kind == "bool") {
            switch (pick(0, 6)) {
            case 0: return "(" + number(depth - 1) + " " + cmp[pick(0, 6)] + " " + number(depth - 1) + ")";
            case 1: return "(not " + scalar("bool", depth - 1) + ")";
            case 2: return "(" + scalar("bool", depth - 1) + (pick(0, 2) ? " and " : " or ") + scalar("bool", depth - 1) + ")";
            case 3: return "m[" + index(4) + ", " + index(6) + "]";
            case 4: return "(" + scalar("bool", depth - 1) + " == " + scalar("bool", depth - 1) + ")";
            default: return "(" + scalar("bool", depth - 1) + " ? " + scalar("bool", depth - 1) + " : p)";
            }
        }
        if (kind == "int") {
            switch (pick(0, 9)) {
            case 0: return std::string(pick(0, 2) ? "count(" : "argmax(") + tensor(depth - 1) + ")";
            case 1: return "(" + scalar("int", depth - 1) + " " + arith[pick(0, 5)] + " " + scalar("int", depth - 1) + ")";
            case 2:
                if (pick(0, 2)) return "(" + frameTensor(depth - 1) + ")[" + index(4) + ", " + index(6) + "] * 0";
                return std::string(1, "cdqh"[pick(0, 4)]) + "[" + index(4) + ", " + index(6) + "]";
            case 3: return "abs(" + scalar("int", depth - 1) + ")";
            case 4: return "clamp(" + scalar("int", depth - 1) + ", -3, " + std::to_string(pick(0, 50)) + ")";
            case 5: return std::string(pick(0, 2) ? "max(" : "min(") + scalar("int", depth - 1) + ", " + scalar("int", depth - 1) + ")";
            case 6: return "(" + scalar("bool", depth - 1) + " ? " + scalar("int", depth - 1) + " : " + scalar("int", depth - 1) + ")";
            case 7: return "(-" + scalar("int", depth - 1) + ")";
            default: return "count(" + vectorTensor(depth - 1) + ")";
            }
        }
        const std::string self = kind;
        switch (pick(0, 10)) {
        case 0: {
            static const char* reductions[] = {"sum(", "mean(", "max(", "min("};
            // Now and then of a slice of a computed tensor, which reads only some elements.
            const std::string of = pick(0, 3) ? tensor(depth - 1) : "(" + frameTensor(depth - 1) + ")[1:3, " + index(3) + ":]";
            return std::string(reductions[pick(0, 4)]) + of + ")";
        }
        case 1: return "(" + scalar(self, depth - 1) + " " + arith[pick(0, 5)] + " " + number(depth - 1) + ")";
        case 2: return (self == "f32" ? "a[" : "v[") + index(4) + ", " + index(6) + "]";
        case 3: {
            static const char* math[] = {"abs(", "sqrt(", "exp(", "log("};
            return std::string(math[pick(0, 4)]) + scalar(self, depth - 1) + ")";
        }
        case 4: return "clamp(" + scalar(self, depth - 1) + ", " + number(depth - 1) + ", " + number(depth - 1) + ")";
        case 5: return std::string(pick(0, 2) ? "max(" : "min(") + scalar(self, depth - 1) + ", " + number(depth - 1) + ")";
        case 6: return "(" + scalar("bool", depth - 1) + " ? " + scalar(self, depth - 1) + " : " + number(depth - 1) + ")";
        case 7: return "(-" + scalar(self, depth - 1) + ")";
        case 8: return "r[" + scalar("int", 0) + " % 5]";
        default: return "(" + number(depth - 1) + " " + arith[pick(0, 4)] + " " + scalar(self, depth - 1) + ")";
        }
    }

private:
    std::string number(int depth) {
        static const char* kinds[] = {"float", "int", "f32"};
        return scalar(kinds[pick(0, 3)], depth);
    }
    std::string index(int size) { return pick(0, 10) ? std::to_string(pick(0, size)) : "(k % " + std::to_string(size + 1) + ")"; }

    std::string scalarLeaf(const std::string& kind) {
        if (kind == "bool") return pick(0, 2) ? "p" : (pick(0, 2) ? "true" : "false");
        if (kind == "int") {
            static const char* ints[] = {"n", "k", "3", "0", "-7", "1000000007"};
            return ints[pick(0, 6)];
        }
        if (kind == "f32") return "y";
        static const char* floats[] = {"x", "0.5", "2.0", "-1.25", "1e-6", "x"};
        return floats[pick(0, 6)];
    }

    std::string frameTensor(int depth) {
        static const char* params[] = {"a", "b", "v", "c", "d", "m", "q", "h"};
        if (depth <= 0 || pick(0, 6) == 0) {
            switch (pick(0, 10)) {
            case 0: {
                const int64_t i = pick(0, 5), j = pick(0, 5);
                return "w[" + std::to_string(i) + ":" + std::to_string(i + 4) + ", " + std::to_string(j) + ":" + std::to_string(j + 6) + "]";
            }
            case 1: return "noise(Frame, n)";
            case 2: return "zeros(Frame)";
            default: return params[pick(0, 8)];
            }
        }
        return operation(depth, [this](int d) { return frameTensor(d); });
    }

    std::string vectorTensor(int depth) {
        if (depth <= 0 || pick(0, 4) == 0) {
            switch (pick(0, 4)) {
            case 0: return "r[1:]";
            case 1: return "a[" + index(4) + ", :]";
            case 2: return "w[:, " + index(10) + "][2:6]";
            default: return "r";
            }
        }
        return operation(depth, [this](int d) { return vectorTensor(d); });
    }

    template <typename Same>
    std::string operation(int depth, Same same) {
        static const char* arith[] = {"+", "-", "*", "/", "%"};
        static const char* cmp[] = {"==", "!=", "<", "<=", ">", ">="};
        switch (pick(0, 11)) {
        case 0: return "(" + same(depth - 1) + " " + arith[pick(0, 5)] + " " + same(depth - 1) + ")";
        case 1: return "(" + same(depth - 1) + " " + arith[pick(0, 5)] + " " + number(depth - 2) + ")";
        case 2: return "(" + number(depth - 2) + " " + arith[pick(0, 4)] + " " + same(depth - 1) + ")";
        case 3: return "(" + same(depth - 1) + " " + cmp[pick(0, 6)] + " " + (pick(0, 2) ? same(depth - 1) : number(depth - 2)) + ")";
        case 4: return "((" + same(depth - 1) + " > 0.5)" + (pick(0, 2) ? " and " : " or ") + "(" + same(depth - 1) + " < 2))";
        case 5: return "(not (" + same(depth - 1) + " > 1))";
        case 6: return "(-" + same(depth - 1) + ")";
        case 7: {
            static const char* math[] = {"abs(", "sqrt(", "exp(", "log("};
            return std::string(math[pick(0, 4)]) + same(depth - 1) + ")";
        }
        case 8: return "clamp(" + same(depth - 1) + ", " + number(0) + ", " + number(0) + ")";
        case 9: return "(" + scalar("bool", depth - 2) + " ? " + same(depth - 1) + " : " + same(depth - 1) + ")";
        default: return "(" + same(depth - 1) + " * " + scalar("float", depth - 2) + " + " + same(depth - 1) + ")";
        }
    }

    int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi - 1)(random_); }
    std::mt19937_64 random_;
};

const char* kCorpusDecls =
    "type Frame = tensor<f32>[4, 6];\n"
    "fn f(a: tensor<f32>[4, 6], b: tensor<f32>[4, 6], v: tensor<f64>[4, 6], c: tensor<i32>[4, 6], d: tensor<u8>[4, 6],\n"
    "     m: tensor<bool>[4, 6], q: tensor<i64>[4, 6], h: tensor<u16>[4, 6], w: tensor<f32>[8, 10], r: tensor<f32>[?],\n"
    "     x: float, y: f32, n: int, k: int, p: bool) -> ";

/// The fn `f` with `body`, its result type found by the checker; nullptr when ill-typed.
std::unique_ptr<Program> corpusProgram(const std::string& body) {
    auto probe = test::compileText(std::string(kCorpusDecls) + "string = " + body + ";\n");
    static const std::regex got("expected string, got (.+)$");
    std::smatch match;
    const std::vector<std::string> errors = probe->errors();
    if (errors.size() != 1 || !std::regex_search(errors[0], match, got)) return nullptr;
    auto c = test::compileText(std::string(kCorpusDecls) + match[1].str() + " = " + body + ";\n");
    if (!c->errors().empty()) return nullptr;
    return std::make_unique<Program>(Program::fromCode(nlohmann::json::parse(plan::codeJson(*c->program).dump())));
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
        kernels.compileAll();
        for (const jit::KernelStatus& s : kernels.status()) {
            INFO(s.what << ": " << s.reason);
            CHECK(s.compiled);  // the examples use nothing the JIT leaves to the interpreter
        }
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
    kernels.compileAll();
    for (const jit::KernelStatus& s : kernels.status()) {
        INFO(s.what << ": " << s.reason);
        CHECK(s.compiled);
    }
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
    kernels.compileAll();
    for (const jit::KernelStatus& s : kernels.status()) {
        INFO(s.what << ": " << s.reason);
        CHECK(s.compiled);
    }
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
