// test_lsp_framing.cpp — the language server's reader on hostile input: bad Content-Length
// values followed by good requests (resynchronization) and bodies nested too deep.
#include "FramingTestSupport.h"
#include "lsp/Framing.h"

#include <catch2/catch.hpp>

using namespace xdml::lsp;

namespace {

const std::string kRequest = R"({"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{"text":"Content-Length: 3"}})";

}  // namespace

TEST_CASE("framing: after a bad Content-Length the reader resyncs at the next header block", "[lsp]") {
    const std::string twentyDigits = "12345678901234567890";
    for (const std::string& value : {std::string("abc"), std::string("-5"), twentyDigits, std::string("")}) {
        INFO("Content-Length: '" << value << "'");
        for (bool byteByByte : {false, true}) {
            MessageReader reader;
            std::string bytes = "Content-Length: " + value + "\r\n\r\n" + kRequest + framed(kRequest) + framed(kRequest);
            std::vector<Incoming> all;
            if (byteByByte) {
                for (char c : bytes) {
                    reader.feed(std::string(1, c));
                    for (Incoming& in : readAll(reader)) all.push_back(std::move(in));
                }
            } else {
                reader.feed(bytes);
                all = readAll(reader);
            }
            REQUIRE(all.size() == 3);
            CHECK_FALSE(all[0].message);
            CHECK(all[0].errorCode == (value == twentyDigits ? kInvalidRequest : kParseError));
            for (int i : {1, 2}) {
                REQUIRE(all[i].message);
                CHECK((*all[i].message)["id"] == 7);
            }
            // The bad message's body was skipped, and said so.
            auto skipped = reader.takeSkipped();
            REQUIRE(skipped.size() == 1);
            CHECK_THAT(skipped[0], Catch::StartsWith("skipped " + std::to_string(kRequest.size()) + " bytes"));
            CHECK_FALSE(reader.hasPartial());
        }
    }
}

TEST_CASE("framing: a Content-Length inside a skipped body is not taken for a header", "[lsp]") {
    MessageReader reader;
    // The skipped body holds 'Content-Length: 3' (in a JSON string, so no CRLF follows it).
    reader.feed("Content-Length: abc\r\n\r\n" + kRequest + "\r\n\r\n" + framed(R"({"method":"after"})"));
    auto all = readAll(reader);
    REQUIRE(all.size() == 2);
    CHECK(all[0].errorCode == kParseError);
    REQUIRE(all[1].message);
    CHECK((*all[1].message)["method"] == "after");
}

TEST_CASE("framing: bodies nested deeper than the bound are refused before parsing", "[lsp]") {
    auto nested = [](int depth, char open, char close) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":" + std::string(depth, open) +
               std::string(depth, close) + "}";
    };
    MessageReader reader;
    reader.feed(framed(nested(150000, '[', ']')));
    reader.feed(framed(nested(MessageReader::kMaxNesting, '[', ']')));  // with the outer object: one too deep
    reader.feed(framed(nested(MessageReader::kMaxNesting - 1, '[', ']')));
    std::string objects;
    for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
    reader.feed(framed(objects + "1" + std::string(100000, '}')));
    reader.feed(framed(R"({"method":"ok","params":{"text":"[[[[[[[[[[ \" {{{{"}})"));
    auto all = readAll(reader);
    REQUIRE(all.size() == 5);
    CHECK(all[0].errorCode == kParseError);
    CHECK_THAT(all[0].error, Catch::Contains("deeper than 512 levels"));
    CHECK(all[1].errorCode == kParseError);
    REQUIRE(all[2].message);
    CHECK(all[3].errorCode == kParseError);
    REQUIRE(all[4].message);  // brackets inside strings do not count
    CHECK((*all[4].message)["method"] == "ok");
}

TEST_CASE("framing: nesting depth skips strings and their escapes", "[lsp]") {
    CHECK_FALSE(nestsDeeperThan(R"(["[[[", "\"[[["])", 1));
    CHECK(nestsDeeperThan(R"([["\\"]])", 1));
    CHECK_FALSE(nestsDeeperThan(R"([1], [2], {"a": 3})", 1));
}
