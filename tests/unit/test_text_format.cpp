// test_text_format.cpp — interpolation formats (LANGUAGE.md §9): read by planformat/TextFormat.h
// and applied by runtime/values/Text.h.
#include "planformat/TextFormat.h"
#include "runtime/values/Text.h"

#include <catch2/catch.hpp>

using namespace xdml;
using runtime::Value;

namespace {

std::string shown(const Value& v, const std::string& spec) {
    std::string problem;
    auto f = planformat::parseTextFormat(spec, problem);
    REQUIRE(f);
    return runtime::formatText(v, *f);
}

std::string refused(const std::string& spec) {
    std::string problem;
    CHECK_FALSE(planformat::parseTextFormat(spec, problem));
    return problem;
}

}  // namespace

TEST_CASE("a format is read as align, zero, width, thousands and precision") {
    std::string problem;
    auto f = planformat::parseTextFormat(">08,.2", problem);
    REQUIRE(f);
    CHECK(f->align == '>');
    CHECK(f->zero);
    CHECK(f->width == 8);
    CHECK(f->thousands);
    CHECK(f->precision == 2);
    CHECK(refused("").find("empty") != std::string::npos);
    CHECK(refused("x").find("unexpected 'x'") != std::string::npos);
    CHECK(refused("8.").find("'.' must be followed") != std::string::npos);
    CHECK(refused("5000").find("width above") != std::string::npos);
    CHECK(refused(".999").find("precision above") != std::string::npos);
    CHECK(refused(",3").find("unexpected '3'") != std::string::npos);  // the width comes before ','
}

TEST_CASE("numbers: zero padding after the sign, precision, thousands, right by default") {
    CHECK(shown(Value::integer(7), "03") == "007");
    CHECK(shown(Value::integer(-7), "04") == "-007");
    CHECK(shown(Value::integer(1234), "02") == "1234");  // never cut
    CHECK(shown(Value::integer(1234567), ",") == "1,234,567");
    CHECK(shown(Value::integer(-1234567), ",") == "-1,234,567");
    CHECK(shown(Value::integer(123), ",") == "123");
    CHECK(shown(Value::float64(3.14159), ".3") == "3.142");
    CHECK(shown(Value::float64(3.14159), ">8.2") == "    3.14");
    CHECK(shown(Value::float64(1234567.891), ",.1") == "1,234,567.9");
    CHECK(shown(Value::float64(2.5), "08.2") == "00002.50");
    CHECK(shown(Value::float32(0.5f), ".1") == "0.5");
    CHECK(shown(Value::integer(42), "6") == "    42");
    CHECK(shown(Value::integer(42), "<6") == "42    ");
    CHECK(shown(Value::integer(42), "^6") == "  42  ");
}

TEST_CASE("anything else is aligned as it prints, left by default") {
    CHECK(shown(Value::string("ab"), "5") == "ab   ");
    CHECK(shown(Value::string("ab"), ">5") == "   ab");
    CHECK(shown(Value::string("abc"), "^6") == " abc  ");
    CHECK(shown(Value::boolean(true), "6") == "true  ");
    CHECK(shown(Value::quantity(planformat::QuantityKind::Duration, 0.5), ">8") == "   500ms");
}
