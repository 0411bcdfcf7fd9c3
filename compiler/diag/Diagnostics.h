// Diagnostics.h — the one diagnostics engine: the checker, the passes, the REPL and the language
// server all report through it. User errors carry a location; internal errors are asserts.
#pragma once

#include "diag/SourceManager.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace xdml {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
    Severity severity = Severity::Error;
    SourceRange range;
    std::string message;
    std::vector<Diagnostic> notes;  // attached notes, printed after the diagnostic
};

class Diagnostics {
public:
    explicit Diagnostics(const SourceManager& sources) : sources_(sources) {}

    Diagnostic& error(SourceRange range, std::string message);
    Diagnostic& warning(SourceRange range, std::string message);
    /// Adds a note to the last diagnostic reported.
    void note(SourceRange range, std::string message);

    std::size_t errorCount() const { return errors_; }
    std::size_t warningCount() const { return warnings_; }
    bool hasErrors() const { return errors_ > 0; }
    const std::vector<Diagnostic>& all() const { return diags_; }
    /// The files the diagnostics point into (and their names).
    const SourceManager& sources() const { return sources_; }

    /// Diagnostics sorted by file and position (stable for equal positions), duplicates dropped.
    std::vector<Diagnostic> sorted() const;
    /// Renders `file:line:col: severity: message`, the source line and a caret under the range;
    /// at most `limit` diagnostics (0: all), then a line saying how many were left out.
    void render(std::ostream& out, bool color, std::size_t limit = 0) const;
    std::string renderOne(const Diagnostic& d, bool color) const;

private:
    const SourceManager& sources_;
    std::vector<Diagnostic> diags_;
    std::size_t errors_ = 0;
    std::size_t warnings_ = 0;
};

/// Edit distance for "did you mean" suggestions (optimal string alignment).
std::size_t editDistance(const std::string& a, const std::string& b);
/// The closest candidate to `name`, or "" when none is close enough to suggest.
std::string closestMatch(const std::string& name, const std::vector<std::string>& candidates);
/// " (did you mean 'x'?)" or "".
std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace xdml
