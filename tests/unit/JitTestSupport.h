// JitTestSupport.h — what the JIT's differential tests share: bitwise comparison of values,
// random arguments with the awkward values, and a writer of random well-typed expressions.
#pragma once

#include "TestSupport.h"
#include "plan/Code.h"
#include "runtime/interp/Program.h"
#include "runtime/values/Text.h"
#include "runtime/values/Value.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <regex>
#include <string>

namespace xdml::test {

using runtime::ElemType;
using runtime::Program;
using runtime::Tensor;
using runtime::TypeDesc;
using runtime::Value;
using K = Value::Kind;

/// The same bits, or both NaN: which NaN an operation on two NaNs gives is not part of the
/// contract (IEEE 754 leaves it open, and compilers may swap the operands of `+` and `*`).
template <typename T>
inline bool sameFloat(T x, T y) {
    return (std::isnan(x) && std::isnan(y)) || std::memcmp(&x, &y, sizeof x) == 0;
}

/// Bitwise equality, through records; tensors compare element by element.
inline bool sameBits(const Value& a, const Value& b) {
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
        static const char* params[] = {"a", "b", "v", "c", "d", "m", "q", "h", "u", "s"};
        if (depth <= 0 || pick(0, 6) == 0) {
            switch (pick(0, 10)) {
            case 0: {
                const int64_t i = pick(0, 5), j = pick(0, 5);
                return "w[" + std::to_string(i) + ":" + std::to_string(i + 4) + ", " + std::to_string(j) + ":" + std::to_string(j + 6) + "]";
            }
            case 1: return "noise(Frame, n)";
            case 2: return "zeros(Frame)";
            default: return params[pick(0, 10)];
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

inline const char* kCorpusDecls =
    "type Frame = tensor<f32>[4, 6];\n"
    "fn f(a: tensor<f32>[4, 6], b: tensor<f32>[4, 6], v: tensor<f64>[4, 6], c: tensor<i32>[4, 6], d: tensor<u8>[4, 6],\n"
    "     m: tensor<bool>[4, 6], q: tensor<i64>[4, 6], h: tensor<u16>[4, 6], w: tensor<f32>[8, 10], r: tensor<f32>[?],\n"
    "     u: tensor<u32>[4, 6], s: tensor<i16>[4, 6],\n"
    "     x: float, y: f32, n: int, k: int, p: bool) -> ";

/// The fn `f` with `body`, its result type found by the checker; nullptr when ill-typed.
inline std::unique_ptr<Program> corpusProgram(const std::string& body) {
    auto probe = test::compileText(std::string(kCorpusDecls) + "string = " + body + ";\n");
    static const std::regex got("expected string, got (.+)$");
    std::smatch match;
    const std::vector<std::string> errors = probe->errors();
    if (errors.size() != 1 || !std::regex_search(errors[0], match, got)) return nullptr;
    auto c = test::compileText(std::string(kCorpusDecls) + match[1].str() + " = " + body + ";\n");
    if (!c->errors().empty()) return nullptr;
    return std::make_unique<Program>(Program::fromCode(nlohmann::json::parse(plan::codeJson(*c->program).dump())));
}

}  // namespace xdml::test
