// PrintableName.h — a name from outside (a file name, a folder, a message's origin) made safe to
// print in one line of a terminal or a log: a newline in a file name must not forge a line.
#pragma once

#include <string>
#include <string_view>

namespace xdml::runtime {

/// `name` with everything that is not printable text escaped: `\n` `\r` `\t`, other control
/// characters as `\xNN` (ESC is `\x1b`), a backslash as `\\` (so an escape is never ambiguous),
/// bytes that are not valid UTF-8 as `\xNN`, and the invisible code points that move or reorder
/// text (C1 controls, line and paragraph separators, bidirectional overrides) as `\u{NNNN}`.
/// Valid UTF-8 text (`détecteur_1.npy`) prints as it is.
std::string printableName(std::string_view name);

}  // namespace xdml::runtime
