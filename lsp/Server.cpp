// Server.cpp — lifecycle and dispatch; each feature lives in its own file.
#include "lsp/Server.h"

#include "lsp/CompletionItems.h"
#include "lsp/Definition.h"
#include "lsp/DocumentSymbols.h"
#include "lsp/Hover.h"
#include "lsp/Params.h"
#include "lsp/Uri.h"

#include <filesystem>
#include <stdexcept>

namespace xdml::lsp {

Server::Server(Send send, std::string version) : send_(std::move(send)), version_(std::move(version)) {}

void Server::reply(const Json& id, Json result) {
    send_(Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

void Server::replyError(const Json& id, int code, const std::string& message) {
    send_(Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

void Server::logMessage(int type, const std::string& message) {
    send_(Json{{"jsonrpc", "2.0"}, {"method", "window/logMessage"}, {"params", {{"type", type}, {"message", message}}}});
}

void Server::reportUnreadable(int code, const std::string& message) { replyError(nullptr, code, message); }

void Server::handle(const Json& m) {
    if (!m.is_object()) return reportUnreadable(kInvalidRequest, "invalid request: a message must be a JSON object");
    bool validId = m.contains("id") && (m["id"].is_string() || m["id"].is_number_integer());
    Json id = validId ? m["id"] : Json();  // an error about a bad id cannot echo it
    if (m.contains("jsonrpc") && m["jsonrpc"] != "2.0")
        return replyError(id, kInvalidRequest, "invalid request: 'jsonrpc' must be \"2.0\"");
    if (!m.contains("method")) {
        if (m.contains("result") || m.contains("error")) return;  // a response: this server asks nothing
        return replyError(id, kInvalidRequest, "invalid request: no 'method'");
    }
    if (!m["method"].is_string()) return replyError(id, kInvalidRequest, "invalid request: 'method' must be a string");
    if (m.contains("id") && !validId)
        return replyError(nullptr, kInvalidRequest, "invalid request: 'id' must be an integer or a string");
    const std::string& method = m["method"].get_ref<const std::string&>();
    Json params = m.contains("params") && !m["params"].is_null() ? m["params"] : Json::object();
    if (m.contains("id")) request(id, method, params);
    else notification(method, params);
}

Json Server::initialize(const Json& params) {
    // The client lists the encodings it supports by preference; UTF-16 is the default.
    const Json* offered = nullptr;
    if (auto caps = params.find("capabilities"); caps != params.end() && caps->is_object())
        if (auto general = caps->find("general"); general != caps->end() && general->is_object())
            if (auto enc = general->find("positionEncodings"); enc != general->end() && enc->is_array()) offered = &*enc;
    if (offered)
        for (const Json& name : *offered)
            if (name.is_string() && parseEncoding(name.get<std::string>(), encoding_)) break;
    return Json{{"capabilities",
                 {{"positionEncoding", encodingName(encoding_)},
                  {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
                  {"hoverProvider", true},
                  {"definitionProvider", true},
                  {"completionProvider", {{"triggerCharacters", {"@", "."}}, {"resolveProvider", false}}},
                  {"documentSymbolProvider", true}}},
                {"serverInfo", {{"name", "xdmlc"}, {"version", version_}}}};
}

const Document& Server::document(const Json& params) const {
    const std::string& uri = requiredString(params, "textDocument.uri");
    const Document* d = documents_.find(uri);
    if (!d) throw std::invalid_argument("the document '" + uri + "' is not open");
    return *d;
}

const Analysis* Server::featureAnalysis(const std::string& uri) const {
    auto it = states_.find(uri);
    if (it == states_.end()) return nullptr;
    // While the text has syntax errors, the last checked analysis still knows the names.
    if (it->second.current && it->second.current->checked) return it->second.current.get();
    return it->second.lastChecked.get();
}

void Server::request(const Json& id, const std::string& method, const Json& params) {
    if (method == "initialize") {
        if (initialized_) return replyError(id, kInvalidRequest, "'initialize' was already called");
        reply(id, initialize(params));
        initialized_ = true;
        return;
    }
    if (!initialized_) return replyError(id, kServerNotInitialized, "the server is not initialized: send 'initialize' first");
    if (shutdown_) return replyError(id, kInvalidRequest, "the server is shutting down: only 'exit' is accepted");
    if (method == "shutdown") {
        shutdown_ = true;
        return reply(id, nullptr);
    }
    bool feature = method == "textDocument/hover" || method == "textDocument/definition" ||
                   method == "textDocument/completion" || method == "textDocument/documentSymbol";
    if (!feature) return replyError(id, kMethodNotFound, "unknown method '" + method + "'");
    try {
        // The params' shape first: a malformed position is an error even for a closed document.
        requiredString(params, "textDocument.uri");
        Position position;
        if (method != "textDocument/documentSymbol")
            position = {requiredIndex(params, "position.line"), requiredIndex(params, "position.character")};
        flush();  // answer about the latest text
        const Document& doc = document(params);
        const Analysis* analysis = featureAnalysis(doc.uri);
        if (method == "textDocument/documentSymbol") {
            auto it = states_.find(doc.uri);
            const Analysis* parsed = it != states_.end() ? it->second.current.get() : nullptr;
            return reply(id, parsed ? documentSymbols(*parsed, encoding_) : Json::array());
        }
        uint32_t offset = LineTable(doc.text).offset(position, encoding_);
        if (method == "textDocument/completion") {
            Json items = completionItems(analysis, std::string_view(doc.text).substr(0, offset));
            return reply(id, Json{{"isIncomplete", false}, {"items", std::move(items)}});
        }
        if (!analysis) return reply(id, nullptr);
        std::optional<Json> result;
        if (method == "textDocument/hover") {
            result = hover(*analysis, offset, encoding_);
        } else {
            result = definition(*analysis, offset, encoding_,
                                [&](FileId file) { return uriOf(*analysis, doc.uri, file); });
        }
        reply(id, result ? *result : Json());
    } catch (const ParamsError& e) {
        replyError(id, kInvalidParams, "invalid params for '" + method + "': " + e.what());
    } catch (const std::invalid_argument& e) {
        replyError(id, kInvalidParams, e.what());
    } catch (const std::exception& e) {
        replyError(id, kInternalError, "internal error in '" + method + "': " + e.what());
    }
}

void Server::notification(const std::string& method, const Json& params) {
    if (method == "exit") {
        exitRequested_ = true;
        return;
    }
    if (!initialized_ || shutdown_) return;  // the spec: drop notifications until initialized
    try {
        if (method == "textDocument/didOpen") {
            const std::string& uri = requiredString(params, "textDocument.uri");
            const std::string& text = requiredString(params, "textDocument.text");
            documents_.open(uri, text, optionalInteger(params, "textDocument.version", 0));
            markChanged(uri);
        } else if (method == "textDocument/didChange") {
            const std::string& uri = requiredString(params, "textDocument.uri");
            int64_t version = optionalInteger(params, "textDocument.version", 0);
            const Json& changes = requiredArray(params, "contentChanges");
            try {
                if (documents_.change(uri, changes, version, encoding_)) markChanged(uri);
                else logMessage(2, "xdmlc lsp: ignored a 'textDocument/didChange' for '" + uri + "', which is not open");
            } catch (const RejectedChange& e) {
                logMessage(2, "xdmlc lsp: ignored a 'textDocument/didChange' for '" + uri + "' (the document is unchanged): " +
                                  e.what());
            }
        } else if (method == "textDocument/didSave") {
            // Files it imports may have changed on disk too: check again.
            const std::string& uri = requiredString(params, "textDocument.uri");
            if (documents_.find(uri)) markChanged(uri);
        } else if (method == "textDocument/didClose") {
            const std::string& uri = requiredString(params, "textDocument.uri");
            markChanged(uri);  // files importing it now read it from disk
            pending_.erase(uri);
            documents_.close(uri);
            clearDiagnostics(uri);
        }
        // `initialized`, `$/cancelRequest` (every request is answered at once), `$/setTrace`,
        // workspace notifications: nothing to do.
    } catch (const ParamsError& e) {
        logMessage(1, "xdmlc lsp: ignored a malformed '" + method + "': " + e.what());
    } catch (const std::exception& e) {
        logMessage(1, "xdmlc lsp: internal error in '" + method + "': " + e.what());
    }
}

void Server::markChanged(const std::string& uri) {
    pending_.insert(uri);
    const Document* changed = documents_.find(uri);
    if (!changed || changed->path.empty()) return;
    std::string key = canonicalPath(changed->path);
    for (const auto& [other, state] : states_) {
        if (other == uri || !state.current) continue;
        const SourceManager& sources = *state.current->sources;
        for (FileId f = 0; f < sources.fileCount(); ++f)
            if (f != state.current->mainFile && canonicalPath(sources.path(f)) == key) pending_.insert(other);
    }
}

void Server::flush() {
    std::set<std::string> pending;
    pending.swap(pending_);
    for (const std::string& uri : pending) compile(uri);
}

std::string Server::uriOf(const Analysis& analysis, const std::string& mainUri, FileId file) const {
    if (file == analysis.mainFile) return mainUri;
    const std::string& path = analysis.sources->path(file);
    if (const Document* open = documents_.findByPath(path)) return open->uri;
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    return pathToUri(ec ? path : absolute.lexically_normal().string());
}

void Server::compile(const std::string& uri) {
    const Document* doc = documents_.find(uri);
    if (!doc) return;
    OpenText openText = [this](const std::string& path, std::string& text) {
        const Document* open = documents_.findByPath(path);
        if (!open) return false;
        text = open->text;
        return true;
    };
    std::shared_ptr<Analysis> analysis = analyze(doc->path.empty() ? doc->uri : doc->path, doc->text, openText);
    ++compileCount_;
    DocumentState& state = states_[uri];
    state.current = analysis;
    if (analysis->checked) state.lastChecked = analysis;

    auto byUri = diagnosticsByUri(*analysis, encoding_, [&](FileId f) { return uriOf(*analysis, uri, f); });
    std::set<std::string> others;
    for (auto& [target, diagnostics] : byUri) {
        if (target == uri) {
            publish(target, std::move(diagnostics), doc->version);
        } else if (!documents_.find(target)) {  // an open file publishes its own
            publish(target, std::move(diagnostics), std::nullopt);
            others.insert(target);
        }
    }
    for (const std::string& old : state.otherUris)
        if (!others.count(old) && !documents_.find(old)) publish(old, Json::array(), std::nullopt);
    state.otherUris = std::move(others);
}

void Server::publish(const std::string& uri, Json diagnostics, std::optional<int64_t> version) {
    Json params{{"uri", uri}, {"diagnostics", std::move(diagnostics)}};
    if (version) params["version"] = *version;
    send_(Json{{"jsonrpc", "2.0"}, {"method", "textDocument/publishDiagnostics"}, {"params", std::move(params)}});
}

void Server::clearDiagnostics(const std::string& uri) {
    auto it = states_.find(uri);
    if (it != states_.end()) {
        for (const std::string& other : it->second.otherUris)
            if (!documents_.find(other)) publish(other, Json::array(), std::nullopt);
        states_.erase(it);
    }
    publish(uri, Json::array(), std::nullopt);
}

}  // namespace xdml::lsp
