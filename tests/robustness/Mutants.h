// Mutants.h — deterministic mutants of flow files: token edits, truncations, random bytes,
// bad bytes (NUL, invalid UTF-8). Same input and seed, same mutants, on every machine.
#pragma once

#include "Harness.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xdml::robustness {

/// A flow file of the corpus: its path relative to the source tree, and its text.
struct SourceFile {
    std::string name;
    std::string text;
};

/// The example flows and the contract's error flows.
std::vector<SourceFile> corpus();
/// The fuzzer's minimized crash reproducers (tests/fuzz/crashes), kept as regression inputs.
std::vector<SourceFile> fuzzRegressions();

/// A tiny fixed-seed generator (splitmix64): std distributions differ between libraries.
class Random {
public:
    explicit Random(uint64_t seed) : state_(seed) {}
    uint64_t next();
    /// Uniform-ish in [0, n); n > 0.
    std::size_t below(std::size_t n) { return std::size_t(next() % n); }

private:
    uint64_t state_;
};

/// The lexical tokens of `text` as (offset, length): words, numbers, strings, comments and
/// operators, without the blanks between them. Rough on purpose: it only guides the edits.
std::vector<std::pair<std::size_t, std::size_t>> roughTokens(const std::string& text);

/// Each of these appends mutants of `f` to `out`. `stride` >= 1 keeps every stride-th site.
void deleteTokens(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out);
void duplicateTokens(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out);
void swapTokens(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out);
/// Every prefix whose length is a multiple of `every`.
void truncations(const SourceFile& f, std::size_t every, std::vector<Mutant>& out);
/// `count` mutants, each with 1 to 4 random bytes inserted, overwritten or deleted.
void randomBytes(const SourceFile& f, std::size_t count, uint64_t seed, std::vector<Mutant>& out);
/// `count` mutants, each the head of `f` joined to the tail of a random other corpus file.
void splices(const SourceFile& f, const std::vector<SourceFile>& all, std::size_t count, uint64_t seed,
             std::vector<Mutant>& out);
/// NUL bytes and invalid UTF-8 sequences put before every stride-th token (so inside strings,
/// comments and words too, by cutting the token), plus a BOM and CR-only line ends.
void badBytes(const SourceFile& f, std::size_t stride, std::vector<Mutant>& out);

/// The stride that runs about `fraction` of the sites at the current scale().
std::size_t strideFor(double fraction);

}  // namespace xdml::robustness
