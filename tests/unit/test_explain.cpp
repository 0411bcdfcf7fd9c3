// test_explain.cpp — why a `where` predicate held or not, in its own words (ExplainPredicate.h:
// what `type_test` decisions and `xdmlc prov why-not` say), and the run report's pieces that need
// no database: the JSON island's escaping and the live view's listen address.
#include "TestSupport.h"
#include "plan/Code.h"
#include "report/ReportPage.h"
#include "report/ReportServer.h"
#include "runtime/interp/ExplainPredicate.h"
#include "runtime/interp/Program.h"

#include <catch2/catch.hpp>

using namespace xdml;
using runtime::Evaluator;
using runtime::Program;
using runtime::Value;

namespace {

Program programOf(const std::string& text) {
    auto c = test::compileText(text);
    INFO(text);
    REQUIRE(c->errors().empty());
    return Program::fromCode(nlohmann::json::parse(plan::codeJson(*c->program).dump()));
}

/// The explanation of type `type`'s predicate for `item`, as the run records it.
std::string explained(const Program& p, const std::string& type, const Value& item) {
    const runtime::TypeDecl* t = p.type(type);
    REQUIRE(t);
    REQUIRE(t->where);
    Evaluator ev(p);
    const bool holds = ev.holds(*t, type, item);
    return runtime::explainPredicate(ev, *t->where, item, holds);
}

}  // namespace

TEST_CASE("a comparison says both sides' values, and which way it went") {
    Program p = programOf("const LIMIT: float = 0.5;\nfn twice(x: float) -> float = 2.0 * x;\n"
                          "type Big = float where twice(it) > LIMIT;\n");
    CHECK(explained(p, "Big", Value::float64(0.4)) == "twice(it) = 0.8 > LIMIT = 0.5");
    CHECK(explained(p, "Big", Value::float64(0.1)) == "twice(it) = 0.2, not > LIMIT = 0.5");
}

TEST_CASE("and says the operand that failed, or both when it held, and or the reverse") {
    Program p = programOf("type R = { a: float, b: int };\n"
                          "type Both = R where it.a > 2.0 and it.b == 3;\n"
                          "type Either = R where it.a > 2.0 or it.b == 3;\n");
    runtime::RecordValue r;
    r.fields = {{"a", Value::float64(1.5)}, {"b", Value::integer(3)}};
    const Value item = Value::record(r);
    CHECK(explained(p, "Both", item) == "it.a = 1.5, not > 2.0");
    CHECK(explained(p, "Either", item) == "it.b = 3 == 3");
    runtime::RecordValue s;
    s.fields = {{"a", Value::float64(5.0)}, {"b", Value::integer(3)}};
    CHECK(explained(p, "Both", Value::record(s)) == "it.a = 5 > 2.0 and it.b = 3 == 3");
    runtime::RecordValue n;
    n.fields = {{"a", Value::float64(0.0)}, {"b", Value::integer(1)}};
    CHECK(explained(p, "Either", Value::record(n)) == "it.a = 0, not > 2.0 or it.b = 1, not == 3");
}

TEST_CASE("the predicate reads as its source: infix, parenthesized only where needed") {
    Program p = programOf("type W = float where (it + 1.0) * 2.0 > 3.0 and not (it < 0.0);\n");
    CHECK(runtime::sourceText(*p.type("W")->where) == "(it + 1.0) * 2.0 > 3.0 and not (it < 0.0)");
    CHECK(explained(p, "W", Value::float64(-1.0)) == "(it + 1.0) * 2.0 = 0, not > 3.0");
}

TEST_CASE("an explanation that cannot be evaluated says so instead of throwing") {
    Program p = programOf("type T = list<float> where it[3] > 1.0;\n");
    const runtime::TypeDecl* t = p.type("T");
    Evaluator ev(p);
    const std::string text = runtime::explainPredicate(ev, *t->where, Value::list({Value::float64(1.0)}), false);
    CHECK_THAT(text, Catch::Contains("it[3] > 1.0 is false (its parts could not be shown"));
}

TEST_CASE("the report's JSON island cannot end its script element") {
    const nlohmann::json data = {{"reason", "</script><script>alert(1)</script> <!-- \xE2\x80\xA8"}};
    const std::string island = report::scriptSafeJson(data);
    CHECK(island.find("</") == std::string::npos);
    CHECK(island.find("<!--") == std::string::npos);
    CHECK(island.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(nlohmann::json::parse(island) == data);
}

TEST_CASE("the live view's address: loopback unless told, any port with 0, bad ones named") {
    CHECK(report::ListenAddress::parse("8080").host == "127.0.0.1");
    CHECK(report::ListenAddress::parse("8080").port == 8080);
    CHECK(report::ListenAddress::parse(":0").port == 0);
    CHECK(report::ListenAddress::parse("0.0.0.0:9000").host == "0.0.0.0");
    for (const char* bad : {"", "http", "1:2:x", "65536", "-1", "127.0.0.1:", "8080 "})
        CHECK_THROWS_WITH(report::ListenAddress::parse(bad), Catch::Contains("[ADDRESS:]PORT"));
}
