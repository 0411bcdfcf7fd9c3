// Completion.cpp — candidates by context. The context is read off the text before the cursor
// with a few patterns, not a parse: the text being typed rarely parses.
#include "tooling/Completion.h"

#include "stdlib/StdLib.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <regex>
#include <sstream>

namespace xdml::tooling {

using ast::DeclKind;

const std::vector<std::string>& reservedWords() {
    static const std::vector<std::string> words = {
        "import", "const", "param", "site", "link", "type", "fn", "task", "stream", "model", "catalog",
        "policy", "flow", "on", "let", "emit", "record", "train", "transfer", "if", "else", "for",
        "until", "return", "true", "false", "none", "and", "or", "not", "tensor", "list"};
    return words;
}

const std::vector<std::string>& contextualWords() {
    static const std::vector<std::string> words = {
        "where", "classified", "by", "as", "from", "at", "rehearse", "with", "new", "data", "of",
        "every", "end", "in", "to", "max", "log", "it", "stop", "python"};
    return words;
}

std::string_view wordBefore(std::string_view text) {
    std::size_t i = text.size();
    while (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_')) --i;
    return text.substr(i);
}

namespace {

std::string typeText(const sema::Type* t) { return t ? sema::toString(t) : "?"; }

std::string signature(const ast::Decl& decl) {
    std::string s = "(";
    const sema::Type* fn = decl.resolved;
    for (std::size_t i = 0; i < decl.params.size(); ++i) {
        if (i) s += ", ";
        s += decl.params[i].name.text + ": ";
        s += fn && fn->is(sema::TypeKind::Function) && i < fn->params.size() ? typeText(fn->params[i]) : "?";
    }
    s += ")";
    if (fn && fn->is(sema::TypeKind::Function) && fn->element && !fn->element->is(sema::TypeKind::Void))
        s += " -> " + typeText(fn->element);
    return s;
}

CandidateKind kindOf(DeclKind kind) {
    switch (kind) {
        case DeclKind::TypeDecl: return CandidateKind::Type;
        case DeclKind::Stream: return CandidateKind::Stream;
        case DeclKind::Policy: return CandidateKind::Policy;
        case DeclKind::Fn: return CandidateKind::Fn;
        case DeclKind::Task: return CandidateKind::Task;
        case DeclKind::Model: return CandidateKind::Model;
        case DeclKind::Catalog: return CandidateKind::Catalog;
        case DeclKind::Site: return CandidateKind::Site;
        case DeclKind::Const: return CandidateKind::Const;
        case DeclKind::Flow: return CandidateKind::Flow;
        default: return CandidateKind::Keyword;
    }
}

/// Which names fit, read off the text before the word being typed.
enum class Context { Anything, Types, Streams, Policies, Clauses, Catalogs, Sites, Models };

bool endsWith(std::string_view text, const char* pattern) {
    // Patterns are anchored at the end; only the last line or statement matters, so only a
    // bounded tail is searched (keeps completion fast in long files).
    std::string tail(text.substr(text.size() > 400 ? text.size() - 400 : 0));
    return std::regex_search(tail, std::regex(std::string(pattern) + "$"));
}

/// Whether the cursor is at a clause name inside `policy P { ... }`, `policy P = Q with { ... }`
/// or an inline `@ { ... }`.
bool inPolicyBlock(std::string_view text) {
    int depth = 0;
    for (std::size_t i = text.size(); i-- > 0;) {
        char c = text[i];
        if (c == '}') ++depth;
        else if (c == '{' && depth-- == 0) {
            std::string_view before = text.substr(0, i);
            std::string_view inside = text.substr(i + 1);
            // At a clause name: after `{` or a `,`, not inside a value.
            std::size_t lastComma = inside.rfind(',');
            std::string_view current = lastComma == std::string_view::npos ? inside : inside.substr(lastComma + 1);
            if (current.find(':') != std::string_view::npos) return false;
            return endsWith(before, R"((\bpolicy\s+\w+|\bwith|@)\s*)");
        }
    }
    return false;
}

Context contextAt(std::string_view text) {
    if (endsWith(text, R"(\bof\s+type\s+)")) return Context::Types;
    if (endsWith(text, R"(\bof\s+type\s+\w+\s+in\s+)") || endsWith(text, R"(\bend\s+of\s+)") ||
        endsWith(text, R"(\btrain\s+\w+\s+on\s+)") || endsWith(text, R"(\bemit\b[^;{}]*\bto\s+)"))
        return Context::Streams;
    if (endsWith(text, R"(@\s*)") || endsWith(text, R"(\bpolicy\s+\w+\s*=\s*)")) return Context::Policies;
    if (inPolicyBlock(text)) return Context::Clauses;
    if (endsWith(text, R"(\brecord\b[^;{}]*\bin\s+)")) return Context::Catalogs;
    if (endsWith(text, R"(\btransfer\b[^;{}]*\bto\s+)") || endsWith(text, R"(\bat\s+)") ||
        endsWith(text, R"(\blocality\s*:\s*)") || endsWith(text, R"(\blink\s+\w*\s*(<->|->)?\s*)"))
        return Context::Sites;
    if (endsWith(text, R"(\btrain\s+)") || endsWith(text, R"(\bclassified\s+by\s+)")) return Context::Models;
    return Context::Anything;
}

bool fits(Context context, DeclKind kind) {
    switch (context) {
        case Context::Anything: return kind != DeclKind::Import;
        case Context::Types: return kind == DeclKind::TypeDecl;
        case Context::Streams: return kind == DeclKind::Stream;
        case Context::Policies: return kind == DeclKind::Policy;
        case Context::Catalogs: return kind == DeclKind::Catalog;
        case Context::Sites: return kind == DeclKind::Site;
        case Context::Models: return kind == DeclKind::Model;
        case Context::Clauses: return false;
    }
    return false;
}

}  // namespace

std::string describe(const sema::CheckedProgram& program, const ast::Decl& decl) {
    std::string name = decl.name.text;
    switch (decl.kind) {
        case DeclKind::Fn: return "fn " + name + signature(decl);
        case DeclKind::Task: {
            std::string s = "task " + name + signature(decl);
            if (!decl.python) return s;
            // A Python task: its function, and the module file the run will import.
            s += " = python \"" + decl.python->text + "\"";
            if (auto it = program.pythonTasks.find(&decl); it != program.pythonTasks.end()) {
                const sema::PythonTaskInfo& py = it->second;
                std::string file = py.file;
                if (!file.empty() && !py.path.empty()) {
                    const std::string rel = std::filesystem::path(file).lexically_relative(py.path.front()).string();
                    if (!rel.empty() && rel.rfind("..", 0) != 0) file = rel;
                }
                s += file.empty() ? " (module not found as a file: an installed package?)" : " (" + file + ")";
            }
            return s;
        }
        case DeclKind::Const: {
            std::string s = std::string(keyword(decl)) + " " + name + ": " + typeText(decl.resolved);
            if (auto it = program.constants.find(&decl); it != program.constants.end() && it->second.known()) {
                const sema::ConstValue& v = it->second;
                if (v.kind == sema::ConstValue::Kind::Int) s += " = " + std::to_string(v.i);
                else if (v.kind == sema::ConstValue::Kind::Bool) s += v.b ? " = true" : " = false";
                else if (v.kind == sema::ConstValue::Kind::Float) {
                    std::ostringstream value;  // 0.5 as 0.5; all digits only when needed
                    value << v.f;
                    if (std::stod(value.str()) != v.f) {
                        value.str("");
                        value << std::setprecision(17) << v.f;
                    }
                    s += " = " + value.str();
                } else if (v.kind == sema::ConstValue::Kind::String) s += " = \"" + v.s + "\"";
                else if (v.kind == sema::ConstValue::Kind::Quantity) s += " = " + sema::constantText(v);
            }
            return s;
        }
        case DeclKind::TypeDecl: {
            const sema::Type* t = decl.resolved;
            const sema::Type* is = t && t->is(sema::TypeKind::Nominal) ? t->element : t;
            std::string s = "type " + name + " = " + typeText(is);
            if (decl.where) s += " where ...";
            if (decl.classifier) s += " classified by " + decl.classifier->text;
            if (decl.className) s += " as \"" + decl.className->text + "\"";
            return s;
        }
        case DeclKind::Stream: {
            const sema::Type* t = decl.resolved;
            return "stream " + name + ": " + typeText(t && t->is(sema::TypeKind::Stream) ? t->element : t);
        }
        case DeclKind::Catalog: {
            const sema::Type* t = decl.resolved;
            return "catalog " + name + ": " + typeText(t && t->is(sema::TypeKind::Catalog) ? t->element : t);
        }
        case DeclKind::Model: {
            std::string s = "model " + name;
            if (auto it = program.models.find(&decl); it != program.models.end()) {
                s += " (" + typeText(it->second.input) + " -> ";
                if (it->second.classes.empty()) s += "?";
                for (std::size_t i = 0; i < it->second.classes.size(); ++i)
                    s += (i ? " | \"" : "\"") + it->second.classes[i] + "\"";
                s += ")";
            }
            return s;
        }
        default: return std::string(ast::keyword(decl.kind)) + " " + name;
    }
}

bool expectsAnyName(std::string_view textBefore) {
    std::string_view prefix = wordBefore(textBefore);
    return contextAt(textBefore.substr(0, textBefore.size() - prefix.size())) == Context::Anything;
}

std::vector<Candidate> complete(const sema::CheckedProgram* program, std::string_view textBefore) {
    std::string_view prefix = wordBefore(textBefore);
    std::string_view before = textBefore.substr(0, textBefore.size() - prefix.size());
    Context context = contextAt(before);
    std::vector<Candidate> out;
    auto offer = [&](const std::string& label, CandidateKind kind, std::string detail) {
        if (label.compare(0, prefix.size(), prefix) != 0) return;
        if (std::any_of(out.begin(), out.end(), [&](const Candidate& c) { return c.label == label; })) return;
        out.push_back({label, kind, std::move(detail)});
    };
    if (context == Context::Clauses) {
        for (const std::string& clause : sema::policyClauseNames()) offer(clause, CandidateKind::Clause, "policy clause");
        return out;
    }
    // After `tensor<`: the element types, each with what it is (u32, i16: detectors' types).
    if (endsWith(before, R"(\btensor\s*<\s*)")) {
#define XDML_OFFER_ELEM(Enumerator, Spelling, Bytes, Doc) offer(Spelling, CandidateKind::Type, "element type: " Doc);
        XDML_ELEM_TYPES(XDML_OFFER_ELEM)
#undef XDML_OFFER_ELEM
        return out;
    }
    // A file source's `format:` (LANGUAGE.md §9) takes a word.
    if (endsWith(before, R"(\b(files|watch)\s*\([^;{}]*\bformat\s*:\s*)")) {
        offer("raw", CandidateKind::Keyword, "the declared shape's little-endian elements, no header");
        offer("npy", CandidateKind::Keyword, "NumPy's .npy files");
        return out;
    }
    if (program) {
        for (const auto& [name, decl] : program->globals)
            if (fits(context, decl->kind)) offer(name, kindOf(decl->kind), describe(*program, *decl));
    }
    if (context == Context::Types)
        for (const char* scalar : {"int", "float", "f32", "bool", "string", "path", "duration", "bytes", "bandwidth"})
            offer(scalar, CandidateKind::Type, "built-in type");
    if (context == Context::Sites && (!program || program->implicitLocalSite))
        offer("local", CandidateKind::Site, "the implicit site of a file without sites");
    if (context == Context::Sites && endsWith(before, R"(\blocality\s*:\s*)"))
        offer("data", CandidateKind::Keyword, "run where the data is");
    if (context != Context::Anything) return out;
    for (const std::string& word : reservedWords()) offer(word, CandidateKind::Keyword, "keyword");
    for (const stdlib::Entry& entry : stdlib::entries())
        if (entry.role == stdlib::Role::Function) offer(entry.name, CandidateKind::Builtin, entry.signature);
    return out;
}

}  // namespace xdml::tooling
