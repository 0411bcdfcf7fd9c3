// PassFlags.h — the optimizer's flags, the same on `xdmlc build`, `run` and `check`:
// -O0/-O2, --disable-pass NAME, --print-after NAME (to standard error), --verify-each.
#pragma once

#include "passes/Pass.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xdml::tools {

struct PassFlags {
    int optLevel = 2;
    std::vector<std::string> disabled, printAfter;
    bool verifyEach = false;

    /// Adds the flags to `command`; `levels` says what -O0 and -O2 mean to it.
    void addTo(CLI::App& command, const std::string& levels);
    /// Whether a flag names a pass that does not exist or cannot be disabled: the message
    /// (with the passes that can be), or empty.
    std::string problem() const;
    /// True when a flag other than -O was given.
    bool anyPassFlag() const { return !disabled.empty() || !printAfter.empty() || verifyEach; }
    /// The pipeline's options; --print-after prints to standard error.
    passes::PipelineOptions pipeline() const;
};

}  // namespace xdml::tools
