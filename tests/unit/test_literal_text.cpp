// test_literal_text.cpp — literal text read as values (parse/LiteralText.h): what the parser's
// quantity tokens and a run's `--set` values share.
#include "parse/LiteralText.h"

#include <catch2/catch.hpp>

using namespace xdml;
using planformat::QuantityKind;

TEST_CASE("a quantity's text is its number in base units, and anything else is refused") {
    auto ms = parse::quantityOfText("500ms");
    REQUIRE(ms);
    CHECK(ms->kind == QuantityKind::Duration);
    CHECK(ms->value == Approx(0.5));
    auto link = parse::quantityOfText("10Gbps");
    REQUIRE(link);
    CHECK(link->kind == QuantityKind::Bandwidth);
    CHECK(link->value == Approx(1.25e9));
    CHECK(parse::quantityOfText("1_024KiB")->value == Approx(1024.0 * 1024));
    CHECK(parse::quantityOfText("1.5GB")->kind == QuantityKind::Bytes);
    for (const char* bad : {"", "ms", "5", "5 ms", "5msec", "-5ms", "1.2.3s", "5GBps", "nans"}) CHECK_FALSE(parse::quantityOfText(bad));
}

TEST_CASE("integers and numbers as a run gives them") {
    CHECK(*parse::integerOfText("42") == 42);
    CHECK(*parse::integerOfText("-7") == -7);
    CHECK(*parse::integerOfText("1_000") == 1000);
    for (const char* bad : {"", "4.0", "4x", " 4", "99999999999999999999", "0x10"}) CHECK_FALSE(parse::integerOfText(bad));
    CHECK(*parse::numberOfText("2.5") == 2.5);
    CHECK(*parse::numberOfText("1e-3") == 1e-3);
    CHECK(*parse::numberOfText("-4") == -4);
    for (const char* bad : {"", "inf", "nan", "1e999", "0x1p3", "1.5e", " 1", "1 "}) CHECK_FALSE(parse::numberOfText(bad));
}
