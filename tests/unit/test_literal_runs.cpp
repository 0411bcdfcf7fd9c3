// test_literal_runs.cpp — a list literal's runs of plain literals are folded into one token
// before the parser (compiler/parse/LiteralRuns.h): the AST must be what the parser alone
// would build, element for element, with the same ranges and the same errors.
#include "TestSupport.h"
#include "ast/AstPrinter.h"

#include <catch2/catch.hpp>

using namespace xdml;
using namespace xdml::ast;

namespace {

/// The source text an expression's range covers.
std::string textOf(const std::string& source, const Expr& e) {
    return source.substr(e.range.begin.offset, e.range.endOffset - e.range.begin.offset);
}

const Expr& constValue(const test::Compiled& c, std::size_t index = 0) {
    REQUIRE(c.program->modules.size() == 1);
    REQUIRE(c.program->modules[0]->decls.size() > index);
    return *c.program->modules[0]->decls[index]->value;
}

}  // namespace

TEST_CASE("literal runs: each element is the literal node it would be alone, with its range", "[parser]") {
    const std::string source = "const X = [1, 2.5, -3, true, false, none, 4s, - 7, 1_000, -2.5e3, 64MiB];";
    auto c = test::compileText(source, false);
    REQUIRE(c->errors().empty());
    const Expr& list = constValue(*c);
    REQUIRE(list.kind == ExprKind::List);
    CHECK(textOf(source, list) == "[1, 2.5, -3, true, false, none, 4s, - 7, 1_000, -2.5e3, 64MiB]");
    std::vector<std::string> texts;
    for (const ExprPtr& e : list.operands) texts.push_back(textOf(source, *e));
    CHECK(texts == std::vector<std::string>{"1", "2.5", "-3", "true", "false", "none", "4s", "- 7", "1_000", "-2.5e3", "64MiB"});
    CHECK(printExpr(list) == printExpr(constValue(*test::compileText(
                                 "const X = [(1), (2.5), -(3), (true), (false), (none), (4s), -(7), (1_000), -(2.5e3), (64MiB)];", false))));
    CHECK(list.operands[0]->intValue == 1);
    CHECK(list.operands[1]->floatValue == 2.5);
    REQUIRE(list.operands[2]->kind == ExprKind::Unary);
    CHECK(textOf(source, *list.operands[2]->operands[0]) == "3");
    CHECK(list.operands[3]->boolValue);
    CHECK(list.operands[5]->kind == ExprKind::NoneLit);
    CHECK(list.operands[6]->kind == ExprKind::Quantity);
    CHECK(list.operands[8]->intValue == 1000);
    CHECK(list.operands[10]->floatValue == 64.0 * 1024 * 1024);
    CHECK(list.operands[0]->range.begin.col == 12);
}

TEST_CASE("literal runs: other elements, indexes and tensor dimensions parse as before", "[parser]") {
    auto shape = [](const std::string& expr) {
        auto c = test::compileText("const X = " + expr + ";", false);
        INFO(expr);
        REQUIRE(c->errors().empty());
        return printExpr(constValue(*c));
    };
    CHECK(shape("[1, 2, x, 3, 4 + 5, 6, -7 * 2, 8, [9, 10], 11,]") ==
          shape("[(1), (2), x, (3), (4) + (5), (6), -(7) * (2), (8), [(9), (10)], (11)]"));
    CHECK(shape("f([1, 2], 3)[1, 2]") == shape("f([(1), (2)], 3)[(1), (2)]"));
    CHECK(shape("[1, 2][0]") == shape("[(1), (2)][0]"));
    CHECK(shape("\"{[1, 2]}\"") == shape("\"{[(1), (2)]}\""));
    auto c = test::compileText("type T = tensor<f32>[8, 8, 3];\nfn f(t: T) -> float = t[1, 2, 0];", true);
    CHECK(c->errors().empty());
}

TEST_CASE("literal runs: errors inside and after a run are reported where they are", "[parser]") {
    auto firstError = [](const test::Compiled& c) {
        for (const Diagnostic& d : c.diags->sorted())
            if (d.severity == Severity::Error) return d;
        FAIL("no error");
        return Diagnostic{};
    };
    auto c = test::compileText("const X = [1, 99999999999999999999, 2];", false);
    REQUIRE(c->errors().size() == 1);
    CHECK_THAT(c->errors()[0], Catch::Contains("does not fit in 64 bits"));
    CHECK(firstError(*c).range.begin.col == 15);
    CHECK(firstError(*c).range.endOffset == 34);
    // After a run: the same message and place as without one.
    auto d = test::compileText("const X = [1, 2, 3 4];", false);
    auto e = test::compileText("const X = [(1), (2), 3 4];", false);
    REQUIRE(d->errors().size() == 1);
    REQUIRE(e->errors().size() == 1);
    CHECK(d->errors()[0] == e->errors()[0]);
    CHECK(firstError(*d).range.begin.col == 20);
}

TEST_CASE("literal runs: a 200,000-element list parses to 200,000 nodes", "[parser]") {
    std::string source = "const X = [";
    for (int i = 0; i < 200000; ++i) source += (i ? ", " : "") + std::to_string(i);
    auto c = test::compileText(source + "];", false);
    REQUIRE(c->errors().empty());
    const Expr& list = constValue(*c);
    REQUIRE(list.operands.size() == 200000);
    CHECK(list.operands[199999]->intValue == 199999);
    CHECK(textOf(source, *list.operands[123456]) == "123456");
}
