// ShellQuote.h — std.exec's `shell_quote(s)`: a string as one word of a `/bin/sh` command line.
#pragma once

#include <string>

namespace xdml::runtime {

/// `s` in POSIX single quotes, each `'` in it written `'\''` (close, an escaped quote, reopen):
/// the shell takes every other byte literally, so `sh("ls {shell_quote(name)}")` passes `name`
/// as one argument whatever it holds. Always quoted, even when nothing needs it, so the result
/// does not depend on the contents; "" becomes `''`. Throws EvalError for a NUL byte, which no
/// shell word (no C string) can hold.
std::string shellQuote(const std::string& s);

/// Throws EvalError when `command` holds a NUL byte: /bin/sh would get only the text before it.
void requireNoNul(const std::string& command, const char* what);

}  // namespace xdml::runtime
