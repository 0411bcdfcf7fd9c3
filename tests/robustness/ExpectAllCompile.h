// ExpectAllCompile.h — the one assertion the robustness tests share: every input compiles to
// diagnostics within its time limit, and a failure names the inputs that failed.
#pragma once

#include "Harness.h"

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

namespace xdml::robustness {

/// Compiles `inputs` (each within `limitSeconds`, times slowdown() under sanitizers) and fails
/// with the first 25 failures.
inline void expectAllCompile(const std::vector<Mutant>& inputs, double limitSeconds) {
    BatchReport r = compileAll(inputs, limitSeconds);
    std::ostringstream summary;
    summary << r.compiled << " inputs, slowest " << r.slowest << " s (" << r.slowestLabel << ")";
    for (const auto& s : r.slow) summary << "\n  slow: " << s;
    INFO(summary.str());
    if (!r.failures.empty()) {
        std::ostringstream s;
        s << r.failures.size() << " inputs failed:";
        for (std::size_t i = 0; i < r.failures.size() && i < 25; ++i) s << "\n  " << r.failures[i];
        FAIL(s.str());
    }
    CHECK(r.compiled == inputs.size());
    WARN(summary.str());
}

}  // namespace xdml::robustness
