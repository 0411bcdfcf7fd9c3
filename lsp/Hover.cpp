// Hover.cpp — markdown built from the source index and the checked program.
#include "lsp/Hover.h"

#include "tooling/Completion.h"
#include "tooling/SourceIndex.h"

namespace xdml::lsp {

namespace {

std::string codeBlock(const std::string& code) { return "```xdml\n" + code + "\n```"; }

std::string typeText(const sema::Type* t) { return t ? sema::toString(t) : "?"; }

bool contains(const SourceRange& outer, const SourceRange& inner) {
    return outer.begin.file == inner.begin.file && outer.begin.offset <= inner.begin.offset &&
           inner.endOffset <= outer.endOffset;
}

/// `deadline: 2s` for each resolved clause, in the spec's order; an inherited one says whence.
std::string policyClauses(const Analysis& a, const ast::Decl& policy) {
    auto it = a.program->policies.find(&policy);
    if (it == a.program->policies.end() || it->second.clauses.empty()) return "";
    std::string lines;
    for (const std::string& name : sema::policyClauseNames()) {
        auto clause = it->second.clauses.find(name);
        if (clause == it->second.clauses.end() || !clause->second->value) continue;
        const SourceRange& r = clause->second->value->range;
        std::string value(a.text(r.begin.file).substr(r.begin.offset, r.endOffset - r.begin.offset));
        lines += name + ": " + value;
        if (!contains(policy.range, r)) {
            for (const auto& [other, _] : a.program->policies)
                if (other != &policy && contains(other->range, r)) lines += "  // from " + other->name.text;
        }
        lines += "\n";
    }
    lines.pop_back();
    return codeBlock(lines);
}

std::string describeGlobal(const Analysis& a, const ast::Decl& decl) {
    std::string text = codeBlock(tooling::describe(*a.program, decl));
    if (!decl.doc.empty()) text += "\n\n" + decl.doc;
    if (decl.kind == ast::DeclKind::Policy) {
        std::string clauses = policyClauses(a, decl);
        if (!clauses.empty()) text += "\n\nResolved clauses:\n\n" + clauses;
    }
    return text;
}

}  // namespace

std::optional<Json> hover(const Analysis& a, uint32_t offset, PositionEncoding encoding) {
    if (!a.program) return std::nullopt;
    tooling::SymbolAt s = tooling::symbolAt(*a.program, a.mainFile, offset);
    std::string markdown;
    switch (s.kind) {
    case tooling::SymbolKind::None: return std::nullopt;
    case tooling::SymbolKind::Global: markdown = describeGlobal(a, *s.global); break;
    case tooling::SymbolKind::Local: markdown = codeBlock(s.name + ": " + typeText(s.local.type)); break;
    case tooling::SymbolKind::Builtin: {
        const char* module = stdlib::moduleName(s.builtin->module);
        markdown = codeBlock(s.builtin->signature);
        markdown += *module ? std::string("\n\nfrom `") + module + "`" : "\n\nbuilt-in";
        break;
    }
    case tooling::SymbolKind::Expression:
        if (!s.expr || !s.expr->type) return std::nullopt;
        markdown = codeBlock(s.name.empty() ? typeText(s.expr->type) : s.name + ": " + typeText(s.expr->type));
        break;
    }
    return Json{{"contents", {{"kind", "markdown"}, {"value", markdown}}}, {"range", toRange(a, s.range, encoding)}};
}

}  // namespace xdml::lsp
