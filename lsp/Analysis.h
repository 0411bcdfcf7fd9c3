// Analysis.h — one document compiled the way `xdmlc check` compiles a file (front end, then
// lowering and the pass pipeline, whose placement finds some policy errors), kept for the
// features, and its diagnostics in LSP form.
#pragma once

#include "diag/Diagnostics.h"
#include "lsp/Framing.h"
#include "lsp/TextPositions.h"
#include "sema/Sema.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace xdml::lsp {

struct Analysis {
    std::unique_ptr<SourceManager> sources;
    std::unique_ptr<Diagnostics> diags;  // refers to *sources
    std::unique_ptr<sema::CheckedProgram> program;
    FileId mainFile = 0;
    /// No syntax error stopped it: names are resolved and typed, the features can use it.
    bool checked = false;

    std::string_view text(FileId file) const { return sources->text(file); }
    /// The line table of a file, made once: converting many ranges stays linear.
    const LineTable& lines(FileId file) const;

private:
    mutable std::map<FileId, LineTable> lineTables_;
};

/// Given an imported file's path, its text when the editor has it open.
using OpenText = std::function<bool(const std::string& path, std::string& text)>;

/// Compiles `text` under `path` (imports resolve relative to it), on a large stack like
/// `xdmlc check`; an internal error becomes a diagnostic. Never throws for bad input.
std::shared_ptr<Analysis> analyze(const std::string& path, const std::string& text, const OpenText& openText);

/// The LSP range of a byte range of `file`.
Json toRange(const Analysis& analysis, const SourceRange& range, PositionEncoding encoding);

/// The analysis's diagnostics (sorted, duplicates dropped, as `xdmlc check` prints them) by the
/// URI of the file they are in; `uriOf` names files. Notes become relatedInformation; a
/// diagnostic without a location goes to the start of the main file.
std::map<std::string, Json> diagnosticsByUri(const Analysis& analysis, PositionEncoding encoding,
                                             const std::function<std::string(FileId)>& uriOf);

}  // namespace xdml::lsp
