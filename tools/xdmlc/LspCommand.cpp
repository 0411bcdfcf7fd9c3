// LspCommand.cpp — a thin face over lsp/: the options and the stdio connection.
#include "tools/xdmlc/LspCommand.h"

#include "lsp/Connection.h"

#include <unistd.h>

namespace xdml::tools {

LspCommand::LspCommand(CLI::App& app) {
    command_ = app.add_subcommand("lsp", "Run the language server (LSP over standard input and output) for editors");
    command_->footer(
        "Speaks the Language Server Protocol (JSON-RPC with Content-Length headers) on standard\n"
        "input and output; editors start it, people rarely do. Features: diagnostics as you type\n"
        "(the same as `xdmlc check`), hover, go to definition, completion and the document outline.\n"
        "Positions are UTF-16 code units unless the client offers utf-8 or utf-32.\n"
        "Editor setup (VS Code, Neovim, Helix, Emacs): docs/lsp.md\n"
        "\n"
        "Exit status: 0 after a `shutdown` request and `exit`, 1 when the input ends or `exit`\n"
        "comes without `shutdown`.");
}

int LspCommand::run() const {
    // Standard output carries the protocol alone: the server gets its own descriptor for it,
    // and anything else printing to stdout lands on stderr instead of corrupting a message.
    int protocolOut = ::dup(STDOUT_FILENO);
    if (protocolOut < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) protocolOut = STDOUT_FILENO;
    return lsp::serve(STDIN_FILENO, protocolOut, XDML_VERSION);
}

}  // namespace xdml::tools
