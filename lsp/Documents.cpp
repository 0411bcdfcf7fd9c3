// Documents.cpp — edits in the client's position encoding, applied to UTF-8 text.
#include "lsp/Documents.h"

#include "lsp/Uri.h"

#include <filesystem>

namespace xdml::lsp {

std::string canonicalPath(const std::string& path) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : p.string();
}

void applyChange(std::string& text, const Json& change, PositionEncoding encoding) {
    const std::string& replacement = change.at("text").get_ref<const std::string&>();
    if (!change.contains("range")) {
        text = replacement;
        return;
    }
    const Json& range = change.at("range");
    LineTable lines(text);
    auto at = [&](const Json& p) {
        return lines.offset({p.at("line").get<uint32_t>(), p.at("character").get<uint32_t>()}, encoding);
    };
    uint32_t begin = at(range.at("start")), end = at(range.at("end"));
    if (end < begin) std::swap(begin, end);
    text.replace(begin, end - begin, replacement);
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
    for (const Json& change : changes) applyChange(it->second.text, change, encoding);
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
