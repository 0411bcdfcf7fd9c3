// ShellQuote.cpp — see ShellQuote.h.
#include "runtime/exec/ShellQuote.h"

#include "runtime/interp/EvalError.h"

namespace xdml::runtime {

void requireNoNul(const std::string& command, const char* what) {
    if (command.find('\0') != std::string::npos)
        throw EvalError(std::string(what) + ": the string holds a NUL byte, which a shell command cannot contain");
}

std::string shellQuote(const std::string& s) {
    requireNoNul(s, "shell_quote");
    std::string quoted = "'";
    quoted.reserve(s.size() + 2);
    for (char c : s) {
        if (c == '\'') quoted += "'\\''";
        else quoted += c;
    }
    return quoted + "'";
}

}  // namespace xdml::runtime
