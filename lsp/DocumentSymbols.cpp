// DocumentSymbols.cpp — declaration kinds mapped to the LSP's SymbolKind, listed once.
#include "lsp/DocumentSymbols.h"

namespace xdml::lsp {

namespace {

using ast::DeclKind;

/// LSP SymbolKind numbers; the nearest fit for each declaration (docs/lsp.md lists them).
int symbolKind(DeclKind kind) {
    switch (kind) {
    case DeclKind::Import: return 2;     // Module
    case DeclKind::Const: return 14;     // Constant
    case DeclKind::Site: return 4;       // Package
    case DeclKind::Link: return 11;      // Interface
    case DeclKind::TypeDecl: return 23;  // Struct
    case DeclKind::Fn: return 12;        // Function
    case DeclKind::Task: return 6;       // Method
    case DeclKind::Stream: return 13;    // Variable
    case DeclKind::Model: return 5;      // Class
    case DeclKind::Catalog: return 18;   // Array
    case DeclKind::Policy: return 19;    // Object
    case DeclKind::Flow: return 3;       // Namespace
    }
    return 13;
}
constexpr int kHandlerKind = 24;  // Event

bool within(const SourceRange& outer, const SourceRange& inner) {
    return inner.valid() && outer.begin.offset <= inner.begin.offset && inner.endOffset <= outer.endOffset;
}

Json symbol(const Analysis& a, std::string name, std::string detail, int kind, const SourceRange& range,
            const SourceRange& selection, PositionEncoding encoding) {
    if (name.empty()) name.push_back('?');  // the protocol forbids empty names
    Json s{{"name", std::move(name)},
           {"kind", kind},
           {"range", toRange(a, range, encoding)},
           {"selectionRange", toRange(a, within(range, selection) ? selection : range, encoding)}};
    if (!detail.empty()) s["detail"] = std::move(detail);
    return s;
}

std::string handlerName(const ast::Stmt& s) {
    if (s.kind == ast::StmtKind::OnEnd) return "on end of " + s.name.text;
    std::string name = "on new data of type " + s.name.text;
    if (s.hasTarget) name += " in " + s.target.text;
    return name;
}

std::string importName(const ast::Decl& d) {
    if (!d.importFile.empty()) return "\"" + d.importFile + "\"";
    std::string dotted;
    for (const std::string& part : d.modulePath) dotted += (dotted.empty() ? "" : ".") + part;
    return dotted;
}

}  // namespace

Json documentSymbols(const Analysis& a, PositionEncoding encoding) {
    Json out = Json::array();
    if (!a.program || a.program->modules.empty()) return out;
    for (const ast::DeclPtr& d : a.program->modules.front()->decls) {
        std::string name = d->kind == DeclKind::Import ? importName(*d)
                           : d->kind == DeclKind::Link  ? d->name.text + (d->bidirectional ? " <-> " : " -> ") + d->to.text
                                                        : d->name.text;
        Json s = symbol(a, name, ast::keyword(d->kind), symbolKind(d->kind), d->range, d->name.range, encoding);
        if (d->kind == DeclKind::Flow) {
            Json children = Json::array();
            for (const ast::StmtPtr& stmt : d->body)
                if (stmt->kind == ast::StmtKind::OnNewData || stmt->kind == ast::StmtKind::OnEnd)
                    children.push_back(symbol(a, handlerName(*stmt), stmt->as ? "as " + stmt->as->text : "",
                                              kHandlerKind, stmt->range, stmt->name.range, encoding));
            s["children"] = std::move(children);
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace xdml::lsp
