// Documents.cpp — edits in the client's position encoding, applied to UTF-8 text.
#include "lsp/Documents.h"

#include "lsp/Params.h"
#include "lsp/Uri.h"

#include <filesystem>

namespace xdml::lsp {

std::string canonicalPath(const std::string& path) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : p.string();
}

void applyChange(std::string& text, const Json& change, PositionEncoding encoding, std::string_view where) {
    const std::string& replacement = requiredString(change, "text", where);
    if (!change.contains("range")) {
        text = replacement;
        return;
    }
    std::string range = std::string(where) + ".range";
    Position start{requiredIndex(change, "range.start.line", where), requiredIndex(change, "range.start.character", where)};
    Position end{requiredIndex(change, "range.end.line", where), requiredIndex(change, "range.end.character", where)};
    auto name = [](Position p) { return std::to_string(p.line) + ":" + std::to_string(p.character); };
    if (start.line > end.line || (start.line == end.line && start.character > end.character))
        throw RejectedChange("'" + range + "' " + name(start) + "-" + name(end) + " starts after its end");
    LineTable lines(text);
    uint32_t begin = lines.offset(start, encoding), finish = lines.offset(end, encoding);
    text.replace(begin, finish - begin, replacement);
}

Document& DocumentStore::open(const std::string& uri, std::string text, int64_t version) {
    Document& d = documents_[uri];
    d.uri = uri;
    d.path = uriToPath(uri);
    d.text = std::move(text);
    d.version = version;
    return d;
}

bool DocumentStore::change(const std::string& uri, const Json& changes, int64_t version, PositionEncoding encoding) {
    auto it = documents_.find(uri);
    if (it == documents_.end()) return false;
    std::string text = it->second.text;
    for (std::size_t i = 0; i < changes.size(); ++i)
        applyChange(text, changes[i], encoding, "contentChanges[" + std::to_string(i) + "]");
    it->second.text = std::move(text);
    it->second.version = version;
    return true;
}

const Document* DocumentStore::find(const std::string& uri) const {
    auto it = documents_.find(uri);
    return it == documents_.end() ? nullptr : &it->second;
}

const Document* DocumentStore::findByPath(const std::string& path) const {
    std::string key = canonicalPath(path);
    for (const auto& [uri, d] : documents_)
        if (!d.path.empty() && canonicalPath(d.path) == key) return &d;
    return nullptr;
}

}  // namespace xdml::lsp
