// Server.h — the language server's state and dispatch: lifecycle (initialize, shutdown, exit),
// open documents, their analyses, and the requests the features answer. Transport-free: it
// takes parsed messages and hands replies to a callback, so tests drive it in-process.
#pragma once

#include "lsp/Analysis.h"
#include "lsp/Documents.h"
#include "lsp/Framing.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace xdml::lsp {

class Server {
public:
    using Send = std::function<void(const Json&)>;
    Server(Send send, std::string version);

    /// Handles one message: a request, a notification or a response. Document changes are
    /// applied now and compiled by `flush()`, so edits that arrive back to back compile once;
    /// a request that needs an analysis flushes first.
    void handle(const Json& message);
    /// Compiles the documents changed since the last flush and publishes their diagnostics.
    void flush();
    /// Answers a message that could not be read (framing or JSON) with an error, id null.
    void reportUnreadable(int code, const std::string& message);

    bool exitRequested() const { return exitRequested_; }
    /// 0 when `exit` followed `shutdown`, 1 otherwise (the LSP's rule).
    int exitCode() const { return shutdown_ ? 0 : 1; }
    /// How many compilations ran (tests check that changes are coalesced).
    std::size_t compileCount() const { return compileCount_; }
    /// The text of an open document (tests check edits); nullptr when it is not open.
    const std::string* documentText(const std::string& uri) const {
        const Document* d = documents_.find(uri);
        return d ? &d->text : nullptr;
    }

private:
    struct DocumentState {
        std::shared_ptr<Analysis> current;      // of the latest compiled text
        std::shared_ptr<Analysis> lastChecked;  // the latest that checked: completion's names
        std::set<std::string> otherUris;        // imported files we published diagnostics to
    };

    Send send_;
    std::string version_;
    bool initialized_ = false;
    bool shutdown_ = false;
    bool exitRequested_ = false;
    PositionEncoding encoding_ = PositionEncoding::Utf16;
    DocumentStore documents_;
    std::map<std::string, DocumentState> states_;
    std::set<std::string> pending_;  // URIs changed since the last flush
    std::size_t compileCount_ = 0;

    void request(const Json& id, const std::string& method, const Json& params);
    void notification(const std::string& method, const Json& params);
    void reply(const Json& id, Json result);
    void replyError(const Json& id, int code, const std::string& message);
    /// `window/logMessage`: type 1 error, 2 warning, 3 info.
    void logMessage(int type, const std::string& message);

    Json initialize(const Json& params);
    void markChanged(const std::string& uri);
    void compile(const std::string& uri);
    void publish(const std::string& uri, Json diagnostics, std::optional<int64_t> version);
    void clearDiagnostics(const std::string& uri);
    std::string uriOf(const Analysis& analysis, const std::string& mainUri, FileId file) const;

    /// The document and its analysis for a `TextDocumentPositionParams`-like request.
    const Document& document(const Json& params) const;
    const Analysis* featureAnalysis(const std::string& uri) const;
};

}  // namespace xdml::lsp
