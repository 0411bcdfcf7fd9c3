// CompletionItems.cpp — candidate kinds mapped to the LSP's CompletionItemKind, listed once.
#include "lsp/CompletionItems.h"

#include "tooling/Completion.h"
#include "tooling/SourceIndex.h"

#include <algorithm>
#include <optional>

namespace xdml::lsp {

namespace {

using tooling::CandidateKind;

int itemKind(CandidateKind kind) {
    switch (kind) {
    case CandidateKind::Keyword: return 14;  // Keyword
    case CandidateKind::Type: return 22;     // Struct
    case CandidateKind::Stream: return 23;   // Event
    case CandidateKind::Policy: return 8;    // Interface
    case CandidateKind::Clause: return 10;   // Property
    case CandidateKind::Fn: return 3;        // Function
    case CandidateKind::Task: return 2;      // Method
    case CandidateKind::Model: return 7;     // Class
    case CandidateKind::Catalog: return 19;  // Folder
    case CandidateKind::Site: return 9;      // Module
    case CandidateKind::Const: return 21;    // Constant
    case CandidateKind::Flow: return 9;      // Module
    case CandidateKind::Builtin: return 3;   // Function
    }
    return 1;  // Text
}
constexpr int kLocalKind = 6;  // Variable
constexpr int kFieldKind = 5;  // Field

/// After `name.`: the fields of the record `name` holds (a local or a const), and nothing
/// else, since only a field fits there. Not after a dot: nothing.
std::optional<Json> fieldItems(const Analysis* checked, std::string_view textBefore) {
    std::string_view prefix = tooling::wordBefore(textBefore);
    std::string_view before = textBefore.substr(0, textBefore.size() - prefix.size());
    if (before.empty() || before.back() != '.') return std::nullopt;
    Json items = Json::array();
    std::string base(tooling::wordBefore(before.substr(0, before.size() - 1)));
    if (!checked || !checked->program || base.empty()) return items;
    const sema::Type* type = nullptr;
    for (const auto& local : tooling::localsAt(*checked->program, checked->mainFile, static_cast<uint32_t>(textBefore.size())))
        if (local.name == base) type = local.type;  // the innermost wins
    if (!type)
        if (auto it = checked->program->globals.find(base); it != checked->program->globals.end() &&
                                                            it->second->kind == ast::DeclKind::Const)
            type = it->second->resolved;
    while (type && type->is(sema::TypeKind::Nominal)) type = type->element;
    if (!type || !type->is(sema::TypeKind::Record)) return items;
    for (const sema::Field& f : type->fields)
        if (f.name.compare(0, prefix.size(), prefix) == 0)
            items.push_back({{"label", f.name}, {"kind", kFieldKind}, {"detail", f.type ? sema::toString(f.type) : "?"}});
    return items;
}

}  // namespace

Json completionItems(const Analysis* checked, std::string_view textBefore) {
    if (std::optional<Json> fields = fieldItems(checked, textBefore)) return *fields;
    const sema::CheckedProgram* program = checked ? checked->program.get() : nullptr;
    Json items = Json::array();
    std::string_view prefix = tooling::wordBefore(textBefore);
    std::vector<std::string> seen;
    if (program && tooling::expectsAnyName(textBefore)) {
        // The index's offsets are the checked text's: near enough while the user types on.
        auto offset = static_cast<uint32_t>(textBefore.size());
        auto locals = tooling::localsAt(*program, checked->mainFile, offset);
        for (auto it = locals.rbegin(); it != locals.rend(); ++it) {
            if (it->name.compare(0, prefix.size(), prefix) != 0) continue;
            if (std::find(seen.begin(), seen.end(), it->name) != seen.end()) continue;  // shadowed
            seen.push_back(it->name);
            items.push_back({{"label", it->name},
                             {"kind", kLocalKind},
                             {"detail", it->type ? sema::toString(it->type) : "local"},
                             {"sortText", "0" + it->name}});  // locals first
        }
    }
    for (const tooling::Candidate& c : tooling::complete(program, textBefore)) {
        if (std::find(seen.begin(), seen.end(), c.label) != seen.end()) continue;  // a local hides it
        items.push_back({{"label", c.label}, {"kind", itemKind(c.kind)}, {"detail", c.detail}, {"sortText", "1" + c.label}});
    }
    return items;
}

}  // namespace xdml::lsp
