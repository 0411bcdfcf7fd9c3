// ParamFlags.h — `--set NAME=VALUE` (repeatable) and `--params FILE.json` of `xdmlc run`,
// `check`, `build` and `submit`: the values a run gives the flow's params (LANGUAGE.md §9,
// docs/language.md "Parameters"). Here the flags are read into settings; the compiler reads
// each value as a literal of its param's type and reports a bad one at the declaration.
#pragma once

#include "sema/Sema.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xdml::tools {

struct ParamFlags {
    std::vector<std::string> sets;  // --set NAME=VALUE, in order
    std::string file;               // --params FILE.json
    std::vector<std::string> pythonPath;  // --python-path DIR: where Python tasks' modules are found too
    void addTo(CLI::App& command);

    /// The settings: the file's first, then each --set (a later one of a name wins). False,
    /// with `error` saying which flag and why, for a --set without NAME= or a file that is not
    /// a JSON object of strings, numbers and bools.
    bool settings(std::vector<sema::ParamSetting>& out, std::string& error) const;
};

/// The command line as runs.arguments records it: `--params FILE` replaced by the values the
/// file gave (as --set flags, but for names a --set gives too), so it says what the run used
/// and running it again reproduces them. `argv` without the program's name.
std::string recordedCommandLine(const std::vector<std::string>& argv, const std::vector<sema::ParamSetting>& settings);

}  // namespace xdml::tools
