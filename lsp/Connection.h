// Connection.h — the server on file descriptors (stdin/stdout for `xdmlc lsp`): reads what is
// there, handles every complete message, and compiles only when the input goes quiet.
#pragma once

#include <string>

namespace xdml::lsp {

/// Serves until `exit` or the end of the input; returns the process exit code (0 after
/// `shutdown`, 1 otherwise).
int serve(int inFd, int outFd, const std::string& version);

}  // namespace xdml::lsp
