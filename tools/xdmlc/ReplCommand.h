// ReplCommand.h — `xdmlc repl`: the interactive face of repl::Session (docs/repl.md).
#pragma once

#include <string>
#include <vector>

namespace xdml::tools {

struct ReplArguments {
    std::string workdir = "repl.run";
    std::vector<std::string> files;  // loaded before the first prompt
    std::string color = "auto";
    bool noJit = false;
};

/// On a terminal: line editing with history (~/.xdml_history, or $XDML_HISTORY) and tab
/// completion. From a pipe: reads inputs without prompts. Exit status: 0, or 1 when an input
/// from a pipe failed (so a script of REPL inputs can be checked).
int replCommand(const ReplArguments& args);

}  // namespace xdml::tools
