// test_parser.cpp — the parser bridge: AST shapes, literals, recovery.
#include "TestSupport.h"
#include "ast/AstPrinter.h"

#include <catch2/catch.hpp>

using namespace xdml;
using namespace xdml::ast;

namespace {
const Decl& onlyDecl(const test::Compiled& c) {
    REQUIRE(c.program->modules.size() == 1);
    REQUIRE(c.program->modules[0]->decls.size() == 1);
    return *c.program->modules[0]->decls[0];
}
std::string constExpr(const std::string& expr) {
    auto c = test::compileText("const X = " + expr + ";", false);
    INFO(expr);
    REQUIRE(c->errors().empty());
    return printExpr(*onlyDecl(*c).value);
}
}  // namespace

TEST_CASE("precedence and associativity follow LANGUAGE.md §6") {
    CHECK(constExpr("1 + 2 * 3") == "(+ 1 (* 2 3))");
    CHECK(constExpr("1 - 2 - 3") == "(- (- 1 2) 3)");
    CHECK(constExpr("not a == b") == "(not (== a b))");
    CHECK(constExpr("a or b and c") == "(or a (and b c))");
    CHECK(constExpr("a ? b : c ? d : e") == "(?: a b (?: c d e))");
    CHECK(constExpr("-x.y[1]") == "(- (index (. x y) 1))");
    CHECK(constExpr("f(a, n: 2)[0:4, :2, 3:]") == "(index (f a n: 2) 0:4 :2 3:)");
}

TEST_CASE("quantities are kept in base units") {
    auto c = test::compileText("const A = 1.5GB; const B = 25Gbps; const C = 500ms; const D = 64MiB;", false);
    auto& decls = c->program->modules[0]->decls;
    REQUIRE(decls.size() == 4);
    CHECK(decls[0]->value->quantity == QuantityKind::Bytes);
    CHECK(decls[0]->value->floatValue == 1.5e9);
    CHECK(decls[1]->value->quantity == QuantityKind::Bandwidth);
    CHECK(decls[1]->value->floatValue == 25e9 / 8);
    CHECK(decls[2]->value->floatValue == Approx(0.5));
    CHECK(decls[3]->value->floatValue == 64.0 * 1024 * 1024);
}

TEST_CASE("strings decode escapes, literal braces and interpolations") {
    auto c = test::compileText(R"(const S = "a\n\"b\" {{x}} \u{41} {1 + 2}";)", false);
    const Expr& s = *onlyDecl(*c).value;
    REQUIRE(s.kind == ExprKind::String);
    REQUIRE(s.parts.size() == 2);
    CHECK(s.parts[0].text == "a\n\"b\" {x} A ");
    REQUIRE(s.parts[1].expr);
    CHECK(printExpr(*s.parts[1].expr) == "(+ 1 2)");
}

TEST_CASE("contextual words are identifiers outside their constructs") {
    auto c = test::compileText("fn f(data: int, max: int, log: int) -> int = data + max + log;", false);
    CHECK(c->errors().empty());
}

TEST_CASE("a doc comment attaches to the declaration right after it") {
    auto c = test::compileText("/// first line\n/// second line\nconst N = 1;\n", false);
    CHECK(onlyDecl(*c).doc == "first line\nsecond line");
    auto detached = test::compileText("/// about something else\n\nconst N = 1;\n", false);
    CHECK(onlyDecl(*detached).doc.empty());
}

TEST_CASE("a missing closing brace is one error at the next declaration") {
    auto c = test::compileText("flow main {\n    log \"x\";\n\nfn g(x: int) -> int = x + 1;\n", false);
    REQUIRE(c->errors().size() == 1);
    CHECK(c->errorPlaces()[0] == "4:1");
    CHECK(c->errors()[0].find("missing '}'") != std::string::npos);
}

TEST_CASE("lexical errors name the problem and parsing goes on") {
    auto c = test::compileText("const A = 2sec;\nconst B = 1 # 2;\nconst C = \"open\n", false);
    auto errors = c->errors();
    REQUIRE(errors.size() >= 3);
    CHECK(errors[0].find("malformed number '2sec'") != std::string::npos);
    CHECK(errors[1].find("unexpected character '#'") != std::string::npos);
}
