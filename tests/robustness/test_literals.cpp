// test_literals.cpp — huge and out-of-range literals, quantities, dimensions and escapes, where
// an unchecked conversion or an overflow in constant folding would show (UBSan catches those).
#include "Harness.h"

#include "ExpectAllCompile.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace xdml::robustness;

namespace {

constexpr double kLimitSeconds = 10.0;


const std::string kMax = "9223372036854775807";
const std::string kMin = "(-9223372036854775807 - 1)";

}  // namespace

TEST_CASE("huge and out-of-range literals", "[robustness]") {
    std::vector<Mutant> m;
    auto add = [&](const std::string& label, const std::string& text) { m.push_back({label, text}); };
    auto expr = [&](const std::string& e) {
        add("const C = " + e.substr(0, 60), "const C = " + e + ";\nflow main { log \"{C}\"; }\n");
        add("fn body " + e.substr(0, 60), "fn f(x: int) -> int = " + e + ";\n");
    };
    // Numbers.
    expr(std::string(100000, '9'));
    expr("18446744073709551616");
    expr(kMax + " + 1");
    expr(kMin + " - 1");
    expr(kMax + " * 2");
    expr("-" + kMax + " * " + kMax);
    expr(kMin + " / -1");
    expr(kMin + " % -1");
    expr("-" + kMin);
    expr("1 / 0");
    expr("1 % 0");
    expr("1.0 / 0");
    expr("1e999999");
    expr("1e-999999");
    expr("0." + std::string(100000, '0') + "1");
    expr(std::string(50000, '1') + "." + std::string(50000, '1'));
    expr("1_" + std::string(10000, '_') + "0");
    expr("1e");
    expr("1.e5");
    expr("0x10");
    // Quantities: scaling to the base unit must not overflow silently into UB.
    for (const char* unit : {"ns", "s", "min", "h", "d", "B", "KB", "PB", "PiB", "Kbps", "Tbps", "GB/s"}) {
        expr(kMax + unit);
        expr("99999999999999999999999" + std::string(unit));
        expr("1e308" + std::string(unit));
        expr("0.000000000000000000001" + std::string(unit));
    }
    expr("9223372036854775807d + 1d");
    expr("1s * " + kMax);
    expr(kMax + " * 1PiB");
    expr("1s / 0");
    expr("1s / 0s");
    expr("5s % 0s");
    // Dimensions, slices, counts.
    add("huge tensor dims", "type T = tensor<f32>[" + kMax + ", " + kMax + "];\nfn z() -> T = zeros(T);\n");
    add("overflowing dims", "type T = tensor<f32>[4294967296, 4294967296, 4294967296];\nfn z() -> T = zeros(T) + 1.0;\n");
    add("negative and zero dims", "type T = tensor<f32>[-1, 0];\nfn z() -> T = zeros(T);\n");
    add("33,333-digit dimension", "type T = tensor<f32>[" + std::string(33333, '1') + "];\n");
    {
        std::string dims;
        for (int i = 0; i < 10000; ++i) dims += (i ? ", 2" : "2");
        add("10,000 dimensions of 2", "type T = tensor<f32>[" + dims + "];\nfn z() -> T = zeros(T) * 2.0;\n");
    }
    for (const std::string& slice : std::vector<std::string>{"0:" + kMax, kMax + ":0", "-5:-1", kMin + ":", ":" + kMin,
                                                              "3:2", "0:0", "99999999999999999999:1"})
        add("slice [" + slice + "]", "type T = tensor<f32>[8, 8];\nfn s(t: T) -> T = t[" + slice + ", 0:8];\n");
    add("every huge", "stream s: int;\nflow main { on new data of type int in s every 99999999999999999999 { log \"x\"; } }\n");
    add("every 0", "stream s: int;\nflow main { on new data of type int in s every 0 { log \"x\"; } }\n");
    add("every max int", "stream s: int;\nflow main { on new data of type int in s every " + kMax + " { log \"x\"; } }\n");
    add("until max huge", "flow main { until false max 99999999999999999999 { log \"x\"; } }\n");
    add("generate huge count", "fn g(i: int) -> int = i;\nstream s: int from generate(g, " + kMax + "0);\n");
    add("policy huge values", "policy p { deadline: " + kMax + "d, priority: 99999999999999999999, retry: " + kMax +
                                  ", limit: { cores: " + kMax + ", memory: " + kMax + "PiB, gpus: -1 }, batch: 0, lr: 1e999 }\n");
    add("site huge values", "site s { cores: " + kMax + ", gpus: " + kMax + ", memory: " + kMax + "PiB, storage: 1e308PB }\n"
                            "site t { cores: 1, gpus: 0, memory: 1B, storage: 1B }\n"
                            "link s <-> t { bandwidth: 0Gbps, latency: " + kMax + "d }\n"
                            "policy p { locality: t, deadline: 1ns, limit: { gpus: " + kMax + " } }\n");
    add("model huge classes", "type F = tensor<f32>[4];\nmodel m { input: F, classes: " + kMax +
                                  ", arch: mlp(hidden: [" + kMax + ", -1, 0]) }\n");
    // Strings, names, comments.
    add("1 MB string", "const S = \"" + std::string(1 << 20, 'a') + "\";\n");
    add("100,000-character name", "const " + std::string(100000, 'n') + " = 1;\n");
    add("100,000-character unknown name", "const C = " + std::string(100000, 'u') + ";\n");
    add("1 MB comment", "// " + std::string(1 << 20, 'c') + "\nconst C = 1;\n");
    add("1 MB unterminated block comment", "/* " + std::string(1 << 20, 'c'));
    add("1 MB unterminated string", "const S = \"" + std::string(1 << 20, 's'));
    add("100,000 escaped braces", "const S = \"" + [] { std::string s; for (int i = 0; i < 50000; ++i) s += "{{}}"; return s; }() + "\";\n");
    add("100,000 interpolations", "const S = \"" + [] { std::string s; for (int i = 0; i < 100000; ++i) s += "{1}"; return s; }() + "\";\n");
    for (const char* esc : {"\\u{110000}", "\\u{FFFFFFFFFFFFFFFFFFFFFFFF}", "\\u{}", "\\u{D800}", "\\u{0}", "\\u{", "\\u", "\\q", "\\"})
        add(std::string("escape ") + esc, std::string("const S = \"a") + esc + "b\";\nflow main { log \"{S}\"; }\n");
    add("lone closing brace in string", "const S = \"a}b\";\n");
    add("unclosed interpolation", "const S = \"a{1\";\n");
    add("empty interpolation", "const S = \"a{}b\";\n");
    expectAllCompile(m, kLimitSeconds);
}
