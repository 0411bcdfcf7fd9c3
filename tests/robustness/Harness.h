// Harness.h — compiles one mutant in-process and says whether the front end behaved:
// no exception, no crash, no hang, within a time limit. A crash or hang names the mutant.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace xdml::robustness {

/// How much of each mutant family to run: 1.0 by default, less under sanitizers, and scaled by
/// the XDML_ROBUSTNESS_SCALE environment variable (e.g. 0.2 for a quick run, 5 for a long one).
double scale();
/// The time limit multiplier: 1 in a normal build, 5 under sanitizers (they run ~5x slower).
double slowdown();

/// One input to compile, with a label that says how it was made.
struct Mutant {
    std::string label;
    std::string text;
};

/// What went wrong with one mutant ("" when nothing did).
struct Outcome {
    std::string failure;
    double seconds = 0;
};

/// Compiles `m` (parse and check, then render the first 200 diagnostics) on a large-stack thread. An
/// exception or a run over `limitSeconds` is a failure. While it runs, a fatal signal or a run
/// over 20x the limit prints the mutant's label, saves its text to `robustness-failing-mutant.xdml`
/// in the working directory, and ends the process.
Outcome compileMutant(const Mutant& m, double limitSeconds);

/// Compiles every mutant and returns one line per failure, plus counters for the report.
struct BatchReport {
    std::size_t compiled = 0;
    double slowest = 0;
    std::string slowestLabel;
    std::vector<std::string> failures;
    std::vector<std::string> slow;  // "label: seconds" for runs over a quarter of the limit
};
BatchReport compileAll(const std::vector<Mutant>& mutants, double limitSeconds);

}  // namespace xdml::robustness
