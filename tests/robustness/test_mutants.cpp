// test_mutants.cpp — mutants of every example and contract flow must compile to diagnostics:
// no exception, no crash, no hang, each within a few seconds.
#include "Mutants.h"

#include "ExpectAllCompile.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace xdml::robustness;

namespace {

constexpr double kLimitSeconds = 3.0;  // per mutant, times slowdown() under sanitizers


}  // namespace

TEST_CASE("the corpus of example and contract flows is there", "[robustness]") {
    auto files = corpus();
    CHECK(files.size() >= 3);
    for (const auto& f : files) CHECK_FALSE(f.text.empty());
}

TEST_CASE("token-deleted mutants", "[robustness]") {
    std::vector<Mutant> m;
    for (const auto& f : corpus()) deleteTokens(f, strideFor(1.0), m);
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("token-duplicated mutants", "[robustness]") {
    std::vector<Mutant> m;
    for (const auto& f : corpus()) duplicateTokens(f, strideFor(1.0), m);
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("token-swapped mutants", "[robustness]") {
    std::vector<Mutant> m;
    for (const auto& f : corpus()) swapTokens(f, strideFor(1.0), m);
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("truncated flows", "[robustness]") {
    std::vector<Mutant> m;
    for (const auto& f : corpus()) truncations(f, strideFor(0.5), m);
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("random-byte mutants", "[robustness]") {
    std::vector<Mutant> m;
    std::size_t count = std::size_t(800 * scale()) + 1;
    uint64_t seed = 20240611;
    for (const auto& f : corpus()) randomBytes(f, count, seed++, m);
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("spliced flows", "[robustness]") {
    auto files = corpus();
    std::vector<Mutant> m;
    std::size_t count = std::size_t(150 * scale()) + 1;
    uint64_t seed = 7;
    for (const auto& f : files) splices(f, files, count, seed++, m);
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("NUL bytes and invalid UTF-8", "[robustness]") {
    std::vector<Mutant> m;
    for (const auto& f : corpus()) badBytes(f, strideFor(0.5), m);
    expectAllCompile(m, kLimitSeconds);
}

TEST_CASE("fuzzer crash reproducers", "[robustness]") {
    std::vector<Mutant> m;
    for (const auto& f : fuzzRegressions()) m.push_back({f.name, f.text});
    expectAllCompile(m, 10.0);
}
