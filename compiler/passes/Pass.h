// Pass.h — the pass interface and the pipeline (Pipeline.cpp says why passes run in order).
// A pass is one function over the IR that reports whether it changed anything.
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

#include <iosfwd>
#include <set>
#include <string>
#include <vector>

namespace xdml::passes {

struct Pass {
    const char* name;     // for --disable-pass and --print-after
    const char* summary;
    bool required;        // runs at every -O level and cannot be disabled
    bool (*run)(ir::FlowIR& ir, Diagnostics& diags);
};

/// Every pass, in pipeline order.
const std::vector<Pass>& allPasses();
const Pass* findPass(const std::string& name);

struct PipelineOptions {
    int optLevel = 2;                   // 0: required passes only; 2: all
    std::set<std::string> disabled;
    std::set<std::string> printAfter;   // print the IR after these passes
    bool verifyEach = false;            // verify the IR after every pass
    std::ostream* printTo = nullptr;
};

/// Runs the pipeline. Returns false when the IR failed verification (an internal error,
/// reported to `diags`).
bool runPipeline(ir::FlowIR& ir, Diagnostics& diags, const PipelineOptions& options);

}  // namespace xdml::passes
