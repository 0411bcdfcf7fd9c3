// LspCommand.h — `xdmlc lsp`: the language server over standard input and output.
#pragma once

#include <CLI/CLI.hpp>

namespace xdml::tools {

/// Adds the `lsp` subcommand to `app`; `chosen()` says whether it was given, `run()` serves.
class LspCommand {
public:
    explicit LspCommand(CLI::App& app);
    bool chosen() const { return static_cast<bool>(*command_); }
    int run() const;

private:
    CLI::App* command_;
};

}  // namespace xdml::tools
