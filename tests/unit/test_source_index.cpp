// test_source_index.cpp — tooling::symbolAt and localsAt: names in every position, scopes.
#include "TestSupport.h"
#include "tooling/SourceIndex.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace xdml;

namespace {

const char* kFlow =
    "site edge { cores: 2 }\n"
    "site hpc { cores: 64 }\n"
    "link edge <-> hpc { bandwidth: 1Gbps }\n"
    "type Frame = tensor<f32>[4, 4];\n"
    "model m { input: Frame, classes: [\"a\", \"b\"], arch: linear, at: edge }\n"
    "type A = Frame classified by m as \"a\";\n"
    "stream frames: Frame from generate(make, 3) at edge;\n"
    "policy base { deadline: 2s, locality: hpc }\n"
    "policy quick = base with { priority: 2 }\n"
    "fn make(i: int) -> Frame = noise(Frame, i);\n"
    "flow main {\n"
    "    on new data of type A in frames as f @ quick {\n"
    "        let total = sum(f);\n"
    "        for k in [1, 2] {\n"
    "            let inner = k;\n"
    "            log \"{inner}\";\n"
    "        }\n"
    "        \n"
    "        log \"{total}\";\n"
    "    }\n"
    "}\n";

struct Probe {
    std::unique_ptr<test::Compiled> compiled = test::compileText(kFlow);
    std::string text = kFlow;

    /// The offset of the nth `needle`, plus `plus` bytes.
    uint32_t at(const std::string& needle, int nth = 0, int plus = 1) const {
        std::size_t pos = std::string::npos;
        for (int i = 0; i <= nth; ++i) pos = text.find(needle, pos == std::string::npos ? 0 : pos + 1);
        REQUIRE(pos != std::string::npos);
        return static_cast<uint32_t>(pos + plus);
    }
    tooling::SymbolAt symbol(uint32_t offset) const { return tooling::symbolAt(*compiled->program, 0, offset); }
    std::string globalAt(uint32_t offset) const {
        tooling::SymbolAt s = symbol(offset);
        return s.kind == tooling::SymbolKind::Global ? std::string(ast::keyword(s.global->kind)) + " " + s.global->name.text : "-";
    }
    std::vector<std::string> locals(uint32_t offset) const {
        std::vector<std::string> names;
        for (const auto& l : tooling::localsAt(*compiled->program, 0, offset)) names.push_back(l.name);
        return names;
    }
};

}  // namespace

TEST_CASE("source index: globals are found in every position that names one", "[lsp][tooling]") {
    Probe p;
    REQUIRE(p.compiled->errors().empty());
    CHECK(p.globalAt(p.at("edge <->")) == "site edge");          // link ends
    CHECK(p.globalAt(p.at("hpc {", 1)) == "site hpc");
    CHECK(p.globalAt(p.at("at: edge", 0, 5)) == "site edge");    // a clause value
    CHECK(p.globalAt(p.at("input: Frame", 0, 8)) == "type Frame");
    CHECK(p.globalAt(p.at("by m", 0, 3)) == "model m");          // classified by
    CHECK(p.globalAt(p.at("at edge;", 0, 4)) == "site edge");    // a stream's site
    CHECK(p.globalAt(p.at("make, 3")) == "fn make");             // a source's argument
    CHECK(p.globalAt(p.at("locality: hpc", 0, 11)) == "site hpc");
    CHECK(p.globalAt(p.at("base with")) == "policy base");       // with base
    CHECK(p.globalAt(p.at("noise(Frame", 0, 7)) == "type Frame");
    CHECK(p.globalAt(p.at("type A in", 0, 5)) == "type A");           // on new data of type
    CHECK(p.globalAt(p.at("in frames", 0, 4)) == "stream frames");
    CHECK(p.globalAt(p.at("@ quick", 0, 3)) == "policy quick");
    CHECK(p.globalAt(p.at("fn make", 0, 4)) == "fn make");       // a declaration's own name
    tooling::SymbolAt builtin = p.symbol(p.at("sum(f)"));
    REQUIRE(builtin.kind == tooling::SymbolKind::Builtin);
    CHECK(std::string(builtin.builtin->name) == "sum");
}

TEST_CASE("source index: locals resolve to their binding and are scoped", "[lsp][tooling]") {
    Probe p;
    tooling::SymbolAt f = p.symbol(p.at("sum(f)", 0, 4));
    REQUIRE(f.kind == tooling::SymbolKind::Local);
    CHECK(f.local.definition.begin.offset == p.at("as f", 0, 3));
    REQUIRE(f.local.type);
    CHECK(sema::toString(f.local.type) == "A");
    tooling::SymbolAt k = p.symbol(p.at("= k;", 0, 2));
    REQUIRE(k.kind == tooling::SymbolKind::Local);
    CHECK(k.local.definition.begin.offset == p.at("k in", 0, 0));

    using V = std::vector<std::string>;
    CHECK(p.locals(p.at("log \"{inner}", 0, 0)) == V{"f", "total", "k", "inner"});
    // On the blank line after the for loop: its variable and body are out of scope.
    CHECK(p.locals(p.at("        \n", 0, 8)) == V{"f", "total"});
    CHECK(p.locals(p.at("let total", 0, 4)) == V{"f"});  // a let does not see itself
    CHECK(p.locals(p.at("fn make", 0, 0)) == V{});
    CHECK(p.locals(p.at("noise(")) == V{"i"});
}
