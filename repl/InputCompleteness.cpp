// InputCompleteness.cpp — when a REPL input is complete: brackets closed outside strings and
// comments. Inside a string, `{` opens an interpolation (as the lexer's modes do), `{{` is a brace.
#include "repl/Session.h"

namespace xdml::repl {

namespace {

/// Strings stay on one line (the lexer ends one at a line break, an error the parser names): at
/// a line's end, an open string, and whatever opened inside it, is closed.
void endStrings(std::string& open) {
    if (std::size_t string = open.find('"'); string != std::string::npos) open.resize(string);
}

}  // namespace

bool Session::isComplete(const std::string& input) {
    std::string open;  // '(', '[', '{' and '"' (a string), innermost last
    bool blockComment = false;
    std::size_t code = 0;  // characters outside comments and white space
    for (std::size_t i = 0; i < input.size(); ++i) {
        const char c = input[i];
        const char next = i + 1 < input.size() ? input[i + 1] : '\0';
        if (blockComment) {
            if (c == '*' && next == '/') blockComment = false, ++i;
            continue;
        }
        if (c == '\n') endStrings(open);
        if (!open.empty() && open.back() == '"') {
            if (c == '\\') ++i;
            else if (c == '"') open.pop_back();
            else if ((c == '{' && next == '{') || (c == '}' && next == '}')) ++i;
            else if (c == '{') open.push_back('{');
            continue;
        }
        if (c == '/' && next == '/') {
            std::size_t end = input.find('\n', i);
            if (end == std::string::npos) break;
            i = end;
            continue;
        } else if (c == '/' && next == '*') {
            blockComment = true;
            ++i;
            continue;
        } else if (c == '"' || c == '(' || c == '[' || c == '{') {
            open.push_back(c);
        } else if (c == ')' || c == ']' || c == '}') {
            const char opener = c == ')' ? '(' : c == ']' ? '[' : '{';
            if (open.empty() || open.back() != opener) return true;  // unbalanced: the parser will say where
            open.pop_back();
        }
        if (!std::isspace(static_cast<unsigned char>(c))) ++code;
    }
    endStrings(open);  // the input's last line ends here
    // A doc comment alone belongs to the declaration on the lines that follow.
    if (code == 0 && input.find("///") != std::string::npos) return false;
    return open.empty() && !blockComment;
}

}  // namespace xdml::repl
