// Documents.h — the texts the editor has open, kept in step with didOpen/didChange/didClose
// (whole-text and incremental changes), by URI.
#pragma once

#include "lsp/Framing.h"
#include "lsp/TextPositions.h"

#include <cstdint>
#include <map>
#include <string>

namespace xdml::lsp {

struct Document {
    std::string uri;
    std::string path;  // the file it names ("" for a URI without a path: `untitled:`)
    std::string text;
    int64_t version = 0;
};

/// Applies one `TextDocumentContentChangeEvent`: with a `range` it replaces that range
/// (positions in `encoding`), without one it is the whole new text. Throws Json::exception
/// for a change of the wrong shape.
void applyChange(std::string& text, const Json& change, PositionEncoding encoding);

class DocumentStore {
public:
    Document& open(const std::string& uri, std::string text, int64_t version);
    /// Applies `changes` in order; false when the document is not open.
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
