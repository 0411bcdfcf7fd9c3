// Frontend.h — loads a flow file and its imports, parses each once, and checks the program.
// The one entry point that the xdmlc command, the REPL and the language server share (and
// CompileToPlan.h the one way on from a checked program to its plan).
#pragma once

#include "diag/Diagnostics.h"
#include "sema/Sema.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xdml::driver {

struct FrontendOptions {
    bool check = true;  // false: parse only (imports included)
    /// When set, asked for each imported file before the disk: an editor's unsaved text of it
    /// (the language server), so a flow checks against what the user sees. Returns false to
    /// read the file from disk.
    std::function<bool(const std::string& path, std::string& text)> openText;
    /// Fills a deployment profile's grants (sema::SiteGrant): the sites' capacities the policies
    /// are checked against, and the bound sites the flow must declare. Called once the flow and
    /// its imports are loaded, so a deployment file it loads into the SourceManager comes after
    /// them and the flow's files keep the numbers they have without a profile (a plan's
    /// "file:offset" keys are the same with --deploy). Returns false when it reported an error:
    /// nothing is checked then.
    std::function<bool(std::map<std::string, sema::SiteGrant>& grants)> bindGrants;
    /// The values the run gives the flow's params (`--set`, `--params`; LANGUAGE.md §9).
    std::vector<sema::ParamSetting> params;
    /// Where Python tasks' modules are found after the script's folder (`--python-path`).
    std::vector<std::string> pythonPath;
};

/// Loads `path` (or, when `text` is given, that text under the name `path`), follows its
/// imports, parses everything and, when there is no syntax error, checks it. Never throws
/// for bad input: every problem is a diagnostic. Returns null only when `path` cannot be read
/// (an error without a location says why).
std::unique_ptr<sema::CheckedProgram> compile(const std::string& path, SourceManager& sources,
                                              Diagnostics& diags, const FrontendOptions& options = {},
                                              const std::string* text = nullptr);

/// A piece of source held in memory: its name (how diagnostics name it; imports resolve
/// relative to its folder) and its text.
struct SourcePart {
    std::string name;
    std::string text;
};

/// Compiles declarations kept as separate texts (the REPL's session, one part a declaration):
/// together they are the main module, each part keeping its own name and positions. Imports
/// are followed as compile() follows them.
std::unique_ptr<sema::CheckedProgram> compileParts(const std::vector<SourcePart>& parts, SourceManager& sources,
                                                   Diagnostics& diags, const FrontendOptions& options = {});

/// Runs `work` on a thread with a large stack, so deeply nested input cannot overflow it.
void runWithLargeStack(const std::function<void()>& work);

}  // namespace xdml::driver
