// test_stress.cpp — generated pathological flows: deep nesting, very long chains, huge and
// out-of-range literals, long cycles. The front end must answer each within seconds.
#include "Harness.h"

#include "ExpectAllCompile.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace xdml::robustness;

namespace {

constexpr double kLimitSeconds = 10.0;  // per input, times slowdown() under sanitizers

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

std::string join(const std::string& item, const std::string& sep, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += (i ? sep : "") + item;
    return out;
}

/// The same expression as a const, a fn body and a flow statement, so both the parser and
/// every checker path that folds or types expressions see it.
void inContexts(const std::string& label, const std::string& expr, std::vector<Mutant>& out) {
    out.push_back({label + " (const)", "const C = " + expr + ";\n"});
    out.push_back({label + " (fn)", "fn f(x: int, t: tensor<f32>[4, 4]) -> int = " + expr + ";\n"});
    out.push_back({label + " (flow)", "flow main {\n    let v = " + expr + ";\n    log \"{v}\";\n}\n"});
}


}  // namespace

TEST_CASE("deep nesting", "[robustness]") {
    std::vector<Mutant> m;
    const std::size_t deep = 10000, braces = 1000;
    inContexts("10,000 nested parentheses", repeat("(", deep) + "x" + repeat(")", deep), m);
    inContexts("100,000-term 1+1+...", join("1", "+", 100000), m);
    inContexts("100,000-term x*x*...", join("x", "*", 100000), m);
    inContexts("10,000-term tensor sum", join("t", " + ", 10000), m);
    inContexts("10,000 unary minuses", repeat("-", deep) + "1", m);
    inContexts("10,000 nots", repeat("not ", deep) + "true", m);
    inContexts("10,000 nested ternaries", repeat("true ? 1 : ", deep) + "0", m);
    inContexts("10,000 nested calls", repeat("abs(", deep) + "1.0" + repeat(")", deep), m);
    inContexts("10,000 nested lists", repeat("[", deep) + "1" + repeat("]", deep), m);
    inContexts("1,000 nested records", repeat("{ a: ", braces) + "1" + repeat(" }", braces), m);
    inContexts("10,000 field accesses", "{ a: 1 }" + repeat(".a", deep), m);
    inContexts("10,000 index operations", "[1]" + repeat("[0]", deep), m);
    inContexts("10,000 comparisons (not chained)", join("1", " < ", deep), m);
    inContexts("1,000 nested interpolations", repeat("\"{", braces) + "1" + repeat("}\"", braces), m);
    m.push_back({"10,000 unclosed parentheses", "const C = " + repeat("(", deep) + ";\n"});
    m.push_back({"10,000 unopened parentheses", "const C = 1" + repeat(")", deep) + ";\n"});
    m.push_back({"1,000 unbalanced '{' at top level", repeat("{", braces)});
    m.push_back({"1,000 unbalanced '{' in a flow", "flow main " + repeat("{", braces)});
    m.push_back({"1,000 nested ifs", "flow main {\n" + repeat("if true {\n", braces) + "log \"x\";\n" +
                                         repeat("}\n", braces) + "}\n"});
    m.push_back({"1,000 nested fors",
                 "flow main {\n" + repeat("for i in [1, 2] {\n", braces) + "log \"{i}\";\n" + repeat("}\n", braces) + "}\n"});
    m.push_back({"1,000 nested untils", "flow main {\n" + repeat("until false max 1 {\n", braces) +
                                            repeat("}\n", braces) + "}\n"});
    m.push_back({"1,000 nested list types", "type T = " + repeat("list<", braces) + "int" + repeat(">", braces) + ";\n"});
    m.push_back({"10,000 optional marks", "type T = int" + repeat("?", deep) + ";\n"});
    m.push_back({"1,000 nested record types", "type T = " + repeat("{ a: ", braces) + "int" + repeat(" }", braces) + ";\n"});
    m.push_back({"1,000 nested block comments' openers", "/*" + repeat("/*", braces) + "*/ const C = 1;\n"});
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("long chains and cycles of declarations", "[robustness]") {
    std::vector<Mutant> m;
    const std::size_t n = 10000;
    std::string types, consts, fns, policies, refinements, dup, errors;
    for (std::size_t i = 0; i < n; ++i) {
        std::string a = std::to_string(i), b = std::to_string(i + 1);
        types += "type T" + a + " = T" + b + ";\n";
        consts += "const C" + a + " = C" + b + " + 1;\n";
        fns += "fn f" + a + "(x: int) -> int = f" + b + "(x) + 1;\n";
        if (i < 1000) {
            policies += "policy p" + a + " = p" + b + " with { priority: " + a + " };\n";
            refinements += "type H" + b + " = H" + a + " where sum(it) > " + a + ".0;\n";
        }
        dup += "const D = " + a + ";\n";
        errors += "fn e" + a + "(x: int) -> Undefined" + a + " = x + \"s\";\n";
    }
    m.push_back({"10,000-long type alias chain", types + "type T" + std::to_string(n) + " = int;\n"});
    m.push_back({"10,000-long type alias cycle", types + "type T" + std::to_string(n) + " = T0;\n"});
    m.push_back({"10,000-long const chain", consts + "const C" + std::to_string(n) + " = 1;\n"});
    m.push_back({"10,000-long const cycle", consts + "const C" + std::to_string(n) + " = C0;\n"});
    m.push_back({"10,000-long fn call chain", fns + "fn f" + std::to_string(n) + "(x: int) -> int = x;\n"});
    m.push_back({"10,000-long fn recursion cycle", fns + "fn f" + std::to_string(n) + "(x: int) -> int = f0(x);\n"});
    m.push_back({"1,000-long policy 'with' chain", policies + "policy p1000 { priority: 1 }\n"});
    m.push_back({"1,000-long policy 'with' cycle", policies + "policy p1000 = p0 with { priority: 1 };\n"});
    m.push_back({"1,000-long refinement chain", "type H0 = tensor<f32>[4, 4];\n" + refinements});
    m.push_back({"10,000 duplicate consts", dup});
    m.push_back({"10,000 lines with errors", errors});
    m.push_back({"self-referential type", "type A = A;\ntype B = list<B>;\ntype C = { c: C? };\ntype D = D where it > 0;\n"});
    m.push_back({"self-referential const and fn", "const A = A;\nconst B: int = B * 2;\nfn f(x: int) -> int = f(x);\n"});
    m.push_back({"self-import", "import \"mutant.xdml\";\nimport \"/dev/null\";\nimport \".\";\nconst C = 1;\n"});
    expectAllCompile(m, kLimitSeconds);
}
