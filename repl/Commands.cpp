// Commands.cpp — the REPL's `:` commands: views of the session's program (AST, IR, plan), loading
// and saving, running the session's flows and asking the run's provenance.
#include "repl/Session.h"

#include "repl/SessionBuild.h"

#include "ast/AstPrinter.h"
#include "driver/CompileToPlan.h"
#include "driver/Frontend.h"
#include "ir/Printer.h"
#include "jit/Kernels.h"
#include "query/Decisions.h"
#include "query/ProvDb.h"
#include "query/Render.h"
#include "runtime/io/AtomicWrite.h"
#include "tooling/Completion.h"

#include <optional>
#include <ostream>
#include <sstream>

namespace xdml::repl {

namespace {

struct CommandInfo {
    const char* name;
    const char* arguments;
    const char* what;
};

const std::vector<CommandInfo>& commandList() {
    static const std::vector<CommandInfo> list = {
        {":help", "", "this list"},
        {":type", "EXPR", "the type of an expression, without evaluating it"},
        {":list", "", "the session's declarations"},
        {":ast", "", "the syntax tree of the session's declarations"},
        {":ir", "[FLOW]", "the dataflow IR after the optimizer (-O2)"},
        {":plan", "[FLOW]", "the plan, as JSON"},
        {":load", "FILE", "declare everything in FILE (replacing declarations of the same names)"},
        {":save", "FILE", "write the session's declarations to FILE"},
        {":run", "[FLOW]", "run the session's flows (or FLOW) in the work directory and show the summary"},
        {":prov", "[KIND]", "the decisions of the last run (only those of KIND: trigger, placement, inferred_type, ...)"},
        {":jit", "", "which fns and predicates run compiled by the JIT, and why the others do not"},
        {":set", "[NAME=VALUE]", "give a param a value for what follows (as `xdmlc run --set`); alone: the params and their values"},
        {":reset", "", "forget every declaration and param value"},
        {":quit", "", "leave (also Ctrl-D)"},
    };
    return list;
}

/// The session compiled at -O2 (with its plan when `plan`), only `flow` when one is named;
/// nullopt after saying why not (no such flow, or errors only placement finds).
std::optional<driver::CompiledFlow> optimized(const sema::CheckedProgram& program, const SourceManager& sources,
                                              const std::string& flow, bool plan, bool color, std::ostream& err) {
    if (!flow.empty()) {
        auto it = program.globals.find(flow);
        if (it == program.globals.end() || it->second->kind != ast::DeclKind::Flow) {
            err << "error: the session has no flow named '" << flow << "'\n";
            return std::nullopt;
        }
    }
    Diagnostics diags(sources);
    driver::CompileOptions options;
    options.flow = flow;
    options.plan = plan;
    driver::CompiledFlow compiled = driver::compileToPlan(program, options, diags);
    diags.render(err, color);
    if (!compiled.ok()) return std::nullopt;
    return compiled;
}

std::string trim(const std::string& s) {
    std::size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

std::vector<std::string> Session::commandNames() {
    std::vector<std::string> names;
    for (const CommandInfo& c : commandList()) names.push_back(c.name);
    return names;
}

void Session::help(std::ostream& out) const {
    out << "Enter declarations (a new one replaces the old of the same name) or an expression to evaluate.\n"
           "Input continues on the next line until its braces balance.\n";
    for (const CommandInfo& c : commandList()) {
        std::string head = std::string(c.name) + (*c.arguments ? " " + std::string(c.arguments) : "");
        out << "  " << head << std::string(head.size() < 16 ? 16 - head.size() : 1, ' ') << c.what << "\n";
    }
}

bool Session::command(const std::string& input, std::ostream& out, std::ostream& err) {
    const std::string line = trim(input);
    const std::size_t space = line.find_first_of(" \t\n");
    const std::string name = line.substr(0, space);
    const std::string argument = space == std::string::npos ? "" : trim(line.substr(space));
    auto needs = [&](bool has, const char* what) {
        if (!has) err << "error: " << name << " needs " << what << "\n";
        return has;
    };
    if (name == ":help" || name == ":h" || name == ":?") {
        help(out);
        return true;
    }
    if (name == ":quit" || name == ":q") {
        finished_ = true;
        return true;
    }
    if (name == ":type" || name == ":t") return needs(!argument.empty(), "an expression") && evaluate(argument, true, out, err);
    if (name == ":list") {
        list(out);
        return true;
    }
    if (name == ":ast" || name == ":ir" || name == ":plan") return emit(name.substr(1) + (argument.empty() ? "" : " " + argument), out, err);
    if (name == ":load") return needs(!argument.empty(), "a file") && load(argument, out, err);
    if (name == ":save") {
        if (!needs(!argument.empty(), "a file")) return false;
        try {
            runtime::writeFileAtomically(argument, textFor(argument) + (entries_.empty() ? "" : "\n"));
        } catch (const runtime::WriteError& e) {
            err << "error: cannot write '" << e.path() << "': " << e.reason() << "\n";
            return false;
        }
        out << "wrote " << entries_.size() << (entries_.size() == 1 ? " declaration to " : " declarations to ") << argument << "\n";
        return true;
    }
    if (name == ":jit") {
        if (!current_->kernels) {
            out << (options_.jit ? "nothing compiled: " + current_->codeProblem : std::string("the JIT is off (--no-jit)")) << "\n";
            return true;
        }
        current_->kernels->wait();
        const auto status = current_->kernels->status();
        if (status.empty()) out << "(no fn or predicate to compile)\n";
        for (const jit::KernelStatus& k : status)
            out << "  " << k.what << ": " << (k.compiled ? (k.cached ? "compiled (cached)" : "compiled") : "interpreted: " + k.reason) << "\n";
        out << "  " << jit::Kernels::cachedCodeCount() << " compiled kernels held by this process\n";
        return true;
    }
    if (name == ":run") return run(argument, out, err);
    if (name == ":prov") return prov(argument, out, err);
    if (name == ":set") return setParam(argument, out, err);
    if (name == ":reset") {
        entries_.clear();
        params_.clear();
        adopt(compile({}));
        out << "the session is empty\n";
        return true;
    }
    err << "error: unknown command '" << name << "'" << didYouMean(name, commandNames()) << "; :help lists the commands\n";
    return false;
}

bool Session::setParam(const std::string& argument, std::ostream& out, std::ostream& err) {
    const sema::CheckedProgram& program = *current_->program;
    if (argument.empty()) {
        bool any = false;
        for (const auto& [name, d] : program.globals) {
            if (!d->param) continue;
            any = true;
            auto source = program.paramSources.find(d);
            out << "  " << tooling::describe(program, *d)
                << (source != program.paramSources.end() && !source->second.empty() ? "    (" + source->second + ")" : "    (its default)")
                << "\n";
        }
        if (!any) out << "(no params: declare one with `param NAME: T = DEFAULT;`)\n";
        return true;
    }
    const std::size_t eq = argument.find('=');
    const std::string name = trim(argument.substr(0, eq));
    auto it = program.globals.find(name);
    if (eq == std::string::npos || name.empty()) {
        err << "error: :set needs NAME=VALUE\n";
        return false;
    }
    if (it == program.globals.end() || !it->second->param) {
        std::vector<std::string> params;
        for (const auto& [n, d] : program.globals)
            if (d->param) params.push_back(n);
        err << "error: the session declares no param '" << name << "'" << didYouMean(name, params) << "\n";
        return false;
    }
    std::vector<sema::ParamSetting> next = params_;
    next.push_back({name, trim(argument.substr(eq + 1)), ":set " + name + "=" + trim(argument.substr(eq + 1))});
    auto build = compile(entries_, &next);
    if (build->diags->hasErrors()) {
        report(*build, err);
        err << "(not kept: the session is as it was)\n";
        return false;
    }
    params_ = std::move(next);
    auto decl = build->program->globals.find(name);
    out << tooling::describe(*build->program, *decl->second) << "\n";
    adopt(std::move(build));
    return true;
}

void Session::list(std::ostream& out) const {
    if (entries_.empty()) out << "(no declarations)\n";
    for (const Entry& e : entries_) {
        auto it = current_->program->globals.find(e.key);
        out << "  " << (it != current_->program->globals.end() ? tooling::describe(*current_->program, *it->second) : e.key);
        if (e.origin.front() != '<') out << "    (" << e.origin << ":" << e.line << ")";
        out << "\n";
    }
}

bool Session::load(const std::string& path, std::ostream& out, std::ostream& err) {
    SourceManager sources;
    FileId file;
    std::string problem;
    if (!sources.loadFile(path, file, problem)) {
        err << "error: cannot read '" << path << "': " << problem << "\n";
        return false;
    }
    return declare(std::string(sources.text(file)), path, out, err);
}

bool Session::emit(const std::string& what, std::ostream& out, std::ostream& err) {
    const std::string view = what.substr(0, what.find(' '));
    const std::string flow = what.size() > view.size() ? what.substr(view.size() + 1) : "";
    const sema::CheckedProgram& program = *current_->program;
    if (view == "ast") {
        ast::printModule(out, *program.modules.front());
        return true;
    }
    std::optional<driver::CompiledFlow> compiled = optimized(program, *current_->sources, flow, view != "ir", options_.color, err);
    if (!compiled) return false;
    if (view == "ir") ir::printIR(out, compiled->ir);
    else out << compiled->plan.dump(2) << "\n";
    return true;
}

bool Session::run(const std::string& flow, std::ostream& out, std::ostream& err) {
    const sema::CheckedProgram& program = *current_->program;
    bool hasFlow = false;
    for (const auto& [name, decl] : program.globals) hasFlow |= decl->kind == ast::DeclKind::Flow;
    if (!hasFlow) {
        err << "error: the session has no flow to run: declare one with `flow NAME { ... }`\n";
        return false;
    }
    if (!options_.runPlan) {
        err << "error: this session cannot run flows\n";
        return false;
    }
    std::optional<driver::CompiledFlow> compiled = optimized(program, *current_->sources, flow, true, options_.color, err);
    if (!compiled) return false;
    // Through text, as `xdmlc run` does: the runtime sees only JSON.
    nlohmann::json plan = nlohmann::json::parse(compiled->plan.dump());
    // The session's text is the run's script, so provenance can show and replay it.
    std::error_code ec;
    std::filesystem::create_directories(options_.workdir, ec);
    const std::filesystem::path script = std::filesystem::absolute(options_.workdir) / "session.xdml";
    const std::string scriptText = textFor(script) + "\n";
    try {
        runtime::writeFileAtomically(script, scriptText);
    } catch (const runtime::WriteError& e) {
        err << "error: cannot write the session's script '" << e.path() << "': " << e.reason() << "\n";
        return false;
    }
    runtime::RunOptions run;
    run.workdir = std::filesystem::absolute(options_.workdir);
    run.scriptPath = script.string();
    run.scriptText = scriptText;
    run.arguments = "repl :run" + (flow.empty() ? "" : " " + flow);
    if (!flow.empty()) run.flows = {flow};
    run.planJson = plan.dump();
    int64_t recorded = 0;
    const int status = options_.runPlan(plan, std::move(run), recorded);
    if (recorded > 0) lastRun_ = recorded;
    if (recorded <= 0)
        out << "the run did not start (status " << status << ")\n";
    else
        out << "run " << recorded << " in " << options_.workdir.string() << ": "
            << (status == 0 ? "done" : "failed (status " + std::to_string(status) + ")") << "; :prov shows its decisions\n";
    return status == 0;
}

bool Session::prov(const std::string& kind, std::ostream& out, std::ostream& err) {
    try {
        auto db = query::ProvDb::open(options_.workdir);
        const int64_t run = db->runOrLatest(lastRun_);
        query::renderDecisions(query::runDecisions(*db, run, kind, 50), out);
        return true;
    } catch (const std::exception& e) {
        err << "error: " << e.what() << (lastRun_ ? "" : " (:run a flow first)") << "\n";
        return false;
    }
}

}  // namespace xdml::repl
