// Documents.h — the texts the editor has open, kept in step with didOpen/didChange/didClose
// (whole-text and incremental changes), by URI.
#pragma once

#include "lsp/Framing.h"
#include "lsp/TextPositions.h"

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xdml::lsp {

struct Document {
    std::string uri;
    std::string path;  // the file it names ("" for a URI without a path: `untitled:`)
    std::string text;
    int64_t version = 0;
};

/// A change that is well formed but cannot be applied (a range whose start is after its end).
struct RejectedChange : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// Applies one `TextDocumentContentChangeEvent`: with a `range` it replaces that range
/// (positions in `encoding`), without one it is the whole new text. Throws ParamsError for a
/// change of the wrong shape (fields named under `where`, e.g. "contentChanges[0]") and
/// RejectedChange for a backwards range; `text` is unchanged then.
void applyChange(std::string& text, const Json& change, PositionEncoding encoding,
                 std::string_view where = "change");

class DocumentStore {
public:
    Document& open(const std::string& uri, std::string text, int64_t version);
    /// Applies `changes` (the `contentChanges` array) in order; false when the document is not
    /// open. All or nothing: when one change throws (see applyChange) the text is unchanged.
    bool change(const std::string& uri, const Json& changes, int64_t version, PositionEncoding encoding);
    void close(const std::string& uri) { documents_.erase(uri); }

    const Document* find(const std::string& uri) const;
    /// The open document of a file, by canonical path (imports name files by path).
    const Document* findByPath(const std::string& path) const;
    const std::map<std::string, Document>& all() const { return documents_; }

private:
    std::map<std::string, Document> documents_;
};

/// The canonical form of a path, for comparing files named in different ways.
std::string canonicalPath(const std::string& path);

}  // namespace xdml::lsp
