// Session.cpp — declarations, expressions and the session's program. The `:` commands are in
// Commands.cpp; isComplete in InputCompleteness.cpp.
#include "repl/Session.h"

#include "repl/SessionBuild.h"

#include "driver/Frontend.h"
#include "jit/Kernels.h"
#include "parse/Parser.h"
#include "plan/Code.h"
#include "runtime/interp/EvalError.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/interp/PlanJson.h"
#include "runtime/values/Text.h"
#include "tooling/Completion.h"

#include <algorithm>
#include <new>
#include <ostream>

namespace xdml::repl {

namespace {

std::string keyOf(const ast::Decl& d) {
    if (d.kind == ast::DeclKind::Import) {
        if (!d.importFile.empty()) return "import \"" + d.importFile + "\"";
        std::string dotted;
        for (const std::string& part : d.modulePath) dotted += (dotted.empty() ? "" : ".") + part;
        return "import " + dotted;
    }
    if (d.kind == ast::DeclKind::Link) return "link " + d.name.text + " " + d.to.text;
    return d.name.text;
}

/// `input`'s first word, after white space and comments.
std::string firstWord(const std::string& input) {
    std::size_t i = 0;
    while (i < input.size()) {
        if (std::isspace(static_cast<unsigned char>(input[i]))) ++i;
        else if (input.compare(i, 2, "//") == 0) i = std::min(input.find('\n', i), input.size());
        else if (input.compare(i, 2, "/*") == 0) i = std::min(input.find("*/", i) + 2, input.size());
        else break;
    }
    std::size_t end = i;
    while (end < input.size() && (std::isalnum(static_cast<unsigned char>(input[end])) || input[end] == '_')) ++end;
    return input.substr(i, end - i);
}

/// The byte offset where line `line` (1-based) of `text` starts.
uint32_t lineOffset(const std::string& text, int line) {
    std::size_t at = 0;
    for (int l = 1; l < line; ++l) {
        const std::size_t lineBreak = text.find('\n', at);
        if (lineBreak == std::string::npos) return 0;
        at = lineBreak + 1;
    }
    return static_cast<uint32_t>(at);
}

bool isOneOf(const std::string& word, std::initializer_list<const char*> words) {
    for (const char* w : words)
        if (word == w) return true;
    return false;
}

}  // namespace

Session::Session(SessionOptions options) : options_(std::move(options)) { adopt(compile({})); }

Session::~Session() = default;

bool Session::handle(const std::string& input, std::ostream& out, std::ostream& err) {
    std::size_t first = input.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return true;
    if (input[first] == ':') return command(input.substr(first), out, err);
    const std::string origin = "<input " + std::to_string(++inputs_) + ">";
    const std::string word = firstWord(input);
    if (isOneOf(word, {"import", "const", "param", "site", "link", "type", "fn", "task", "stream", "model", "catalog", "policy", "flow"}))
        return declare(input, origin, out, err);
    if (isOneOf(word, {"let", "emit", "record", "train", "transfer", "if", "for", "until", "return", "on"})) {
        err << origin << ": error: '" << word << "' starts a statement, and statements belong in a task or a flow; "
            << "at the prompt, declare (const, fn, task, flow, ...) or evaluate an expression\n";
        return false;
    }
    return evaluate(input, false, out, err);
}

std::string Session::textFor(const std::filesystem::path& path) const {
    namespace fs = std::filesystem;
    const fs::path folder = fs::absolute(path).parent_path();
    std::string all;
    for (const Entry& e : entries_) {
        std::string text = e.text;
        const std::string prefix = "import \"";
        if (e.key.rfind(prefix, 0) == 0) {
            const std::string imported = e.key.substr(prefix.size(), e.key.size() - prefix.size() - 1);
            const fs::path from = e.origin.front() == '<' ? fs::current_path() : fs::absolute(e.origin).parent_path();
            const std::string moved = (from / imported).lexically_normal().lexically_relative(folder).string();
            if (std::size_t at = text.find('"' + imported + '"'); at != std::string::npos && !moved.empty())
                text.replace(at + 1, imported.size(), moved);
        }
        all += text + "\n\n";
    }
    if (!all.empty()) all.pop_back();
    return all;
}

std::unique_ptr<Session::Build> Session::compile(const std::vector<Entry>& entries, const std::vector<sema::ParamSetting>* params) const {
    auto build = std::make_unique<Build>();
    std::vector<driver::SourcePart> parts;
    // Each part starts on its own line of its origin, so diagnostics name the lines the user saw.
    for (const Entry& e : entries) parts.push_back({e.origin, std::string(e.line - 1, '\n') + e.text});
    driver::runWithLargeStack([&] {
        try {
            driver::FrontendOptions frontend;
            frontend.params = params ? *params : params_;
            build->program = driver::compileParts(parts, *build->sources, *build->diags, frontend);
        } catch (const std::exception& e) {
            build->diags->error({}, std::string("internal error while checking the session: ") + e.what());
        }
    });
    if (!build->program) build->program = std::make_unique<sema::CheckedProgram>();
    return build;
}

void Session::report(const Build& build, std::ostream& err) const {
    Diagnostics shown(*build.sources);
    for (const Diagnostic& d : build.diags->sorted()) {
        if (d.severity == Severity::Warning && d.message.ends_with("is never used")) continue;
        Diagnostic& copy = d.severity == Severity::Warning ? shown.warning(d.range, d.message) : shown.error(d.range, d.message);
        copy.notes = d.notes;
    }
    shown.render(err, options_.color, 100);
}

void Session::adopt(std::unique_ptr<Build> build) {
    try {
        build->code = std::make_unique<runtime::Program>(runtime::Program::fromCode(plan::codeJson(*build->program)));
        if (options_.jit) {
            build->kernels = std::make_unique<jit::Kernels>(*build->code);
            build->kernels->start();  // in the background: evaluation interprets until a fn is ready
        }
    } catch (const std::exception& e) {
        build->code.reset();
        build->codeProblem = e.what();
    }
    current_ = std::move(build);  // the previous build's Kernels go, and with them its users of code
    if (options_.jit) jit::Kernels::releaseUnusedCode();
}

bool Session::split(const std::string& text, const std::string& origin, std::vector<Entry>& entries, std::ostream& err) const {
    SourceManager sources;
    Diagnostics diags(sources);
    FileId file = sources.addFile(origin, text);
    std::unique_ptr<ast::Module> module;
    driver::runWithLargeStack([&] { module = parse::parseModule(sources, file, diags); });
    if (diags.hasErrors()) {
        diags.render(err, options_.color, 100);
        return false;
    }
    uint32_t from = 0;
    for (const auto& decl : module->decls) {
        // From the end of the previous declaration, whole lines: its doc comment comes along.
        std::size_t start = text.find_first_not_of(" \t\r\n", from);
        std::size_t lineStart = text.rfind('\n', start == std::string::npos ? from : start);
        lineStart = lineStart == std::string::npos || lineStart < from ? from : lineStart + 1;
        Entry entry;
        entry.key = keyOf(*decl);
        entry.text = text.substr(lineStart, decl->range.endOffset - lineStart);
        entry.origin = origin;
        entry.line = sources.locAt(file, static_cast<uint32_t>(lineStart)).line;
        entries.push_back(std::move(entry));
        from = decl->range.endOffset;
    }
    return true;
}

bool Session::declare(const std::string& input, const std::string& origin, std::ostream& out, std::ostream& err) {
    std::vector<Entry> added;
    if (!split(input, origin, added, err)) return false;
    std::vector<Entry> next = entries_;
    std::vector<bool> replaced;
    for (Entry& e : added) {
        auto same = std::find_if(next.begin(), next.end(), [&](const Entry& old) { return old.key == e.key; });
        replaced.push_back(same != next.end());
        if (same != next.end()) *same = e;
        else next.push_back(e);
    }
    auto build = compile(next);
    report(*build, err);
    if (build->diags->hasErrors()) {
        err << "(not kept: the session is as it was)\n";
        return false;
    }
    for (std::size_t i = 0; i < added.size(); ++i) {
        auto it = build->program->globals.find(added[i].key);
        std::string what = it != build->program->globals.end() ? tooling::describe(*build->program, *it->second) : added[i].key;
        out << (replaced[i] ? "redefined " : "defined ") << what << "\n";
    }
    entries_ = std::move(next);
    adopt(std::move(build));
    return true;
}

bool Session::evaluate(const std::string& input, bool typeOnly, std::ostream& out, std::ostream& err) {
    Build& build = *current_;
    if (typeOnly) {
        // `:type f` of a fn or task: its signature (a Python task's function and module too).
        const auto first = input.find_first_not_of(" \t\r\n"), last = input.find_last_not_of(" \t\r\n");
        if (first != std::string::npos) {
            auto it = build.program->globals.find(input.substr(first, last - first + 1));
            if (it != build.program->globals.end() && (it->second->kind == ast::DeclKind::Task || it->second->kind == ast::DeclKind::Fn)) {
                out << tooling::describe(*build.program, *it->second) << "\n";
                return true;
            }
        }
    }
    const std::string origin = typeOnly ? "<type " + std::to_string(++inputs_) + ">" : "<input " + std::to_string(inputs_) + ">";
    FileId file = build.sources->addFile(origin, input);
    Diagnostics diags(*build.sources);
    ast::ExprPtr expr;
    const sema::Type* type = nullptr;
    driver::runWithLargeStack([&] {
        expr = parse::parseExpression(*build.sources, file, diags);
        // `:type` evaluates nothing, so a task or a model call has a type to show too.
        if (expr && !diags.hasErrors()) type = sema::checkExpression(*build.program, expr.get(), diags, !typeOnly);
    });
    if (diags.hasErrors() || !expr || !type) {
        diags.render(err, options_.color, 100);
        return false;
    }
    const std::string typeText = sema::toString(type);
    if (typeOnly) {
        out << typeText << "\n";
        return true;
    }
    if (!build.code) {
        err << "error: the session's declarations cannot be evaluated: " << build.codeProblem << "\n";
        return false;
    }
    try {
        runtime::Expr e = runtime::plan_json::readExpr(plan::exprJson(expr.get()), "the expression");
        runtime::Evaluator evaluator(*build.code, nullptr, build.kernels.get());
        runtime::Value value = evaluator.evaluate(e, runtime::Scope{});
        out << (value.is(runtime::Value::Kind::String) ? runtime::quoted(runtime::toText(value)) : runtime::toText(value)) << " : " << typeText << "\n";
        return true;
    } catch (const runtime::EvalError& e) {
        // The evaluator knows the line, not the column: the line is shown without a caret.
        err << origin << (e.line() > 0 ? ":" + std::to_string(e.line()) : "") << ": error: " << e.message() << "\n";
        if (e.line() > 0) err << "  " << build.sources->lineText(build.sources->locAt(file, lineOffset(input, e.line()))) << "\n";
    } catch (const std::bad_alloc&) {
        err << origin << ": error: not enough memory for this value (" << typeText << ")\n";
    } catch (const std::exception& e) {
        err << origin << ": error: " << e.what() << "\n";
    }
    return false;
}

std::vector<std::string> Session::completions(const std::string& textBefore) const {
    std::vector<std::string> out;
    std::string_view text = textBefore;
    if (!text.empty() && text.front() == ':') {
        std::size_t space = text.find(' ');
        if (space == std::string_view::npos) {
            for (const std::string& c : commandNames())
                if (c.starts_with(text)) out.push_back(c);
            return out;
        }
        text.remove_prefix(space + 1);  // `:type EXPR`: complete in the expression
    }
    for (const tooling::Candidate& c : tooling::complete(current_ ? current_->program.get() : nullptr, text)) out.push_back(c.label);
    return out;
}

}  // namespace xdml::repl
