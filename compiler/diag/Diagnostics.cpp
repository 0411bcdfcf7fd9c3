// Diagnostics.cpp — collecting, ordering and rendering diagnostics.
#include "diag/Diagnostics.h"

#include <algorithm>
#include <ostream>
#include <sstream>
#include <tuple>

namespace xdml {

Diagnostic& Diagnostics::error(SourceRange range, std::string message) {
    ++errors_;
    diags_.push_back({Severity::Error, range, std::move(message), {}});
    return diags_.back();
}

Diagnostic& Diagnostics::warning(SourceRange range, std::string message) {
    ++warnings_;
    diags_.push_back({Severity::Warning, range, std::move(message), {}});
    return diags_.back();
}

void Diagnostics::note(SourceRange range, std::string message) {
    if (diags_.empty()) return;
    diags_.back().notes.push_back({Severity::Note, range, std::move(message), {}});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
    std::vector<Diagnostic> out = diags_;
    std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::make_tuple(a.range.begin.file, a.range.begin.offset) <
               std::make_tuple(b.range.begin.file, b.range.begin.offset);
    });
    auto same = [](const Diagnostic& a, const Diagnostic& b) {
        return a.severity == b.severity && a.range.begin.file == b.range.begin.file &&
               a.range.begin.offset == b.range.begin.offset && a.message == b.message;
    };
    out.erase(std::unique(out.begin(), out.end(), same), out.end());
    return out;
}

namespace {
const char* severityName(Severity s) {
    switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
    }
    return "error";
}
const char* severityColor(Severity s) {
    switch (s) {
    case Severity::Error: return "\033[1;31m";
    case Severity::Warning: return "\033[1;35m";
    case Severity::Note: return "\033[1;36m";
    }
    return "";
}
}  // namespace

std::string Diagnostics::renderOne(const Diagnostic& d, bool color) const {
    std::ostringstream out;
    const char* bold = color ? "\033[1m" : "";
    const char* reset = color ? "\033[0m" : "";
    if (d.range.valid()) {
        const SourceLoc& b = d.range.begin;
        out << bold << sources_.path(b.file) << ':' << b.line << ':' << b.col << ": " << reset;
    }
    out << (color ? severityColor(d.severity) : "") << severityName(d.severity) << ": " << reset
        << bold << d.message << reset << '\n';
    if (d.range.valid()) {
        std::string_view line = sources_.lineText(d.range.begin);
        std::size_t col = d.range.begin.col - 1;
        // A very long line is shown as a window around the caret.
        constexpr std::size_t kWindow = 100;
        std::size_t from = 0;
        std::string prefix, suffix;
        if (line.size() > 2 * kWindow) {
            from = col > kWindow / 2 ? col - kWindow / 2 : 0;
            if (from > 0) prefix = "...";
            if (from + kWindow < line.size()) suffix = "...";
            line = line.substr(from, kWindow);
            col -= from;
        }
        std::string caret(prefix.size(), ' ');
        // Tabs are kept in the caret line so the caret lines up under the source.
        for (std::size_t i = 0; i < col && i < line.size(); ++i) caret += line[i] == '\t' ? '\t' : ' ';
        std::size_t width = 1;
        if (d.range.endOffset > d.range.begin.offset) {
            std::size_t lineRest = line.size() > col ? line.size() - col : 1;
            width = std::min<std::size_t>(d.range.endOffset - d.range.begin.offset, lineRest);
            if (width == 0) width = 1;
        }
        caret += '^';
        caret.append(width - 1, '~');
        out << "  " << prefix << line << suffix << '\n'
            << "  " << (color ? "\033[1;32m" : "") << caret << reset << '\n';
    }
    for (const Diagnostic& n : d.notes) out << renderOne(n, color);
    return out.str();
}

void Diagnostics::render(std::ostream& out, bool color, std::size_t limit) const {
    std::vector<Diagnostic> all = sorted();
    std::size_t shown = limit == 0 ? all.size() : std::min(limit, all.size());
    for (std::size_t i = 0; i < shown; ++i) out << renderOne(all[i], color);
    if (shown < all.size())
        out << "... " << all.size() - shown << " more diagnostics not shown (--max-errors 0 shows them all)\n";
}

std::size_t editDistance(const std::string& a, const std::string& b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i)
        for (std::size_t j = 1; j <= m; ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[n][m];
}

std::string closestMatch(const std::string& name, const std::vector<std::string>& candidates) {
    const std::size_t limit = std::max<std::size_t>(1, name.size() / 3);
    std::string best;
    std::size_t bestDist = 0;
    for (const std::string& c : candidates) {
        if (c == name) continue;
        std::size_t dist = editDistance(name, c);
        if (dist > limit) continue;
        if (best.empty() || dist < bestDist || (dist == bestDist && c < best)) {
            best = c;
            bestDist = dist;
        }
    }
    return best;
}

std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates) {
    std::string best = closestMatch(name, candidates);
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace xdml
