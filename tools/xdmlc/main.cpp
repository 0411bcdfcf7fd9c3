// main.cpp — the xdmlc command: a thin face over the compiler stages; no logic of its own.
#include "ast/AstPrinter.h"
#include "driver/Frontend.h"
#include "ir/Printer.h"
#include "jit/Kernels.h"
#include "runtime/io/AtomicWrite.h"
#include "driver/CompileToPlan.h"
#include "tools/xdmlc/DeployFlags.h"
#include "tools/xdmlc/LspCommand.h"
#include "tools/xdmlc/ParamFlags.h"
#include "tools/xdmlc/PassFlags.h"
#include "tools/xdmlc/CatalogCommand.h"
#include "tools/xdmlc/ReportCommand.h"
#include "tools/xdmlc/ProvCommand.h"
#include "tools/xdmlc/ReplCommand.h"
#include "tools/xdmlc/RunCommand.h"
#include "tools/xdmlc/SubmitCommand.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <malloc.h>
#include <sstream>
#include <unistd.h>

using namespace xdml;

namespace {

enum ExitCode { kOk = 0, kInputErrors = 1, kMisuse = 2, kInternal = 3 };

struct Common {
    std::string color = "auto";
    bool werror = false;
    std::size_t maxErrors = 100;
};

bool useColor(const Common& c) {
    if (c.color == "always") return true;
    if (c.color == "never") return false;
    const char* noColor = std::getenv("NO_COLOR");
    return isatty(STDERR_FILENO) && !(noColor && *noColor);
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// Compiles one file and, when it checked without errors, runs `onSuccess` (which may report
/// more); prints every diagnostic and one summary line; returns the exit code. The summary:
/// "F: 1 error, 2 warnings" on standard error when the file failed (or "F: 2 warnings" when it
/// passed and `sayOk` is false: build's standard output is its artifact); "F: ok" or
/// "F: ok, 2 warnings" on standard output when it passed and `sayOk` (check).
/// With `deploy` given, the flow is checked against its profile (tools/xdmlc/DeployFlags.h).
int compileAndReport(const std::string& path, const Common& common, bool check, bool sayOk,
                     const std::function<int(const sema::CheckedProgram&, Diagnostics&)>& onSuccess,
                     const tools::DeployFlags* deploy = nullptr, const std::vector<sema::ParamSetting>& params = {},
                     const std::vector<std::string>& pythonPath = {}) {
    SourceManager sources;
    Diagnostics diags(sources);
    std::unique_ptr<sema::CheckedProgram> program;
    int code = kOk;
    driver::runWithLargeStack([&] {
        try {
            driver::FrontendOptions options;
            options.check = check;
            options.params = params;
            options.pythonPath = pythonPath;
            if (deploy && deploy->given())
                options.bindGrants = [&](std::map<std::string, sema::SiteGrant>& grants) {
                    auto bound = tools::bindProfile(*deploy, sources, diags);
                    if (bound) grants = bound->grants;
                    return bound.has_value();
                };
            program = driver::compile(path, sources, diags, options);
            if (program && !diags.hasErrors() && !(common.werror && diags.warningCount() > 0))
                code = onSuccess(*program, diags);
        } catch (const std::exception& e) {
            std::cerr << "xdmlc: internal error while compiling " << path << ": " << e.what() << "\n"
                      << "xdmlc: please report this with the input file\n";
            code = kInternal;
        }
    });
    if (!program && code == kOk) {
        std::cerr << "xdmlc: ";
        diags.render(std::cerr, false);  // the one error: why the file cannot be read
        return kMisuse;
    }
    diags.render(std::cerr, useColor(common), common.maxErrors);
    if (code == kOk && (diags.hasErrors() || (common.werror && diags.warningCount() > 0))) code = kInputErrors;
    std::string counts;
    if (diags.errorCount()) counts += plural(diags.errorCount(), "error");
    if (diags.errorCount() && diags.warningCount()) counts += ", ";
    if (diags.warningCount()) counts += plural(diags.warningCount(), "warning");
    if (code == kOk && sayOk) std::cout << path << ": ok" << (counts.empty() ? "" : ", " + counts) << "\n";
    else if (!counts.empty()) std::cerr << path << ": " << counts << "\n";
    return code;
}

/// The flow compiled through the passes, as `xdmlc build` does for every --emit but ast (the
/// JSON plan too when `plan`); kOk, or the exit code of the failure.
int compileFlow(const sema::CheckedProgram& program, const std::string& flow, const tools::PassFlags& passes, bool plan,
                Diagnostics& diags, driver::CompiledFlow& compiled) {
    if (!flow.empty()) {
        auto it = program.globals.find(flow);
        if (it == program.globals.end() || it->second->kind != ast::DeclKind::Flow) {
            std::cerr << "xdmlc: error: no flow named '" << flow << "'\n";
            return kMisuse;
        }
    }
    driver::CompileOptions options;
    options.flow = flow;
    options.pipeline = passes.pipeline();
    options.plan = plan;
    compiled = driver::compileToPlan(program, options, diags);
    if (compiled.status == driver::CompiledFlow::Status::Malformed) return kInternal;
    if (compiled.status == driver::CompiledFlow::Status::InputErrors) return kInputErrors;
    return kOk;
}

}  // namespace

int main(int argc, char** argv) {
    // The compiler allocates many small objects on its big-stack thread: one malloc arena,
    // grown in large steps, avoids a thread arena's many small mprotect growths.
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_TOP_PAD, 64 << 20);
    CLI::App app{"xdmlc — compiler and runtime for XDML flows (experimental-science data pipelines)", "xdmlc"};
    app.set_version_flag("--version", std::string("xdmlc ") + XDML_VERSION);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  xdmlc check examples/ssx.xdml            check a flow; errors point at the source\n"
        "  xdmlc check a.xdml b.xdml                check several files\n"
        "  xdmlc check examples/ssx.xdml --deploy examples/ssx.deploy.toml --profile cluster\n"
        "                                           check it against a deployment profile\n"
        "  xdmlc build examples/ssx.xdml --emit=ast print the syntax tree\n"
        "  xdmlc build examples/pipeline4.xdml --emit=plan -O2 -o plan.json\n"
        "                                           the optimized plan, as JSON\n"
        "  xdmlc build examples/pipeline4.xdml --emit=dot | dot -Tsvg > flow.svg\n"
        "                                           the dataflow graph, one cluster per site\n"
        "  xdmlc build F --emit=ir -O2 --print-after place-tasks --verify-each\n"
        "                                           watch the passes work\n"
        "  xdmlc run examples/hitfinder.xdml --stats-json stats.json\n"
        "                                           run a flow; results in hitfinder.run/\n"
        "  xdmlc run F --help-params                the flow's params; give them with --set NAME=VALUE\n"
        "                                           (repeatable) or --params run.json\n"
        "  xdmlc prov lineage 'hits#3' --workdir hitfinder.run\n"
        "                                           what a result was made from (xdmlc prov --help)\n"
        "  xdmlc replay --workdir hitfinder.run     run the latest run again from its log; compare\n"
        "  xdmlc repl examples/ssx.xdml             an interactive session with ssx's declarations\n"
        "\n"
        "Exit status: 0 no errors, 1 errors in the input (or a task of a run failed), 2 misuse of the command.\n"
        "Language reference: docs/language.md");
    Common common;
    auto addCommon = [&](CLI::App* sub) {
        sub->add_option("--color", common.color, "Color diagnostics: auto, always or never")
            ->check(CLI::IsMember({"auto", "always", "never"}));
        sub->add_flag("--Werror", common.werror, "Treat warnings as errors");
        sub->add_option("--max-errors", common.maxErrors, "Show at most this many diagnostics (0: all)")
            ->capture_default_str();
    };

    tools::ParamFlags paramFlags;  // check, build and submit (one runs)
    std::vector<std::string> checkFiles;
    CLI::App* check = app.add_subcommand("check", "Parse and check flows; report every error with its location");
    check->add_option("files", checkFiles, "The .xdml files to check")->required()->check(CLI::ExistingFile);
    tools::PassFlags checkPasses;
    checkPasses.addTo(*check, "Optimization level of the placement check: -O0 (required passes only) or -O2 (all; the default)");
    tools::DeployFlags checkDeploy;
    checkDeploy.addTo(*check);
    paramFlags.addTo(*check);
    addCommon(check);

    std::string buildFile, emit = "plan", output, flowName;
    tools::PassFlags buildPasses;
    CLI::App* build = app.add_subcommand("build", "Compile a flow and emit a stage's output");
    build->add_option("file", buildFile, "The .xdml file")->required()->check(CLI::ExistingFile);
    build->add_option("--emit", emit,
                      "What to emit: ast, ir, dot, plan (JSON; the default), llvm (the JIT's kernels as lowered) "
                      "or llvm-opt (after the JIT's O2 pipeline)")
        ->check(CLI::IsMember({"ast", "ir", "dot", "plan", "llvm", "llvm-opt"}));
    buildPasses.addTo(*build, "Optimization level: -O0 (required passes only) or -O2 (all; the default)");
    build->add_option("--flow", flowName, "Compile only this flow");
    build->add_option("-o,--output", output, "Write to this file instead of standard output (`-o -`: standard output)");
    paramFlags.addTo(*build);
    addCommon(build);

    tools::RunArguments runArgs;
    CLI::App* run = app.add_subcommand("run", "Compile a flow (or take a plan .json) and run it on this machine");
    run->add_option("file", runArgs.file, "The .xdml file, or a plan written by `xdmlc build --emit=plan`")
        ->required()->check(CLI::ExistingFile);
    run->add_option("--flow", runArgs.flow, "Run only this flow (default: every flow of the file)");
    run->add_option("--workdir", runArgs.workdir,
                    "The work directory: provenance.db, catalogs, site storage (default: <script name>.run/)");
    runArgs.passes.addTo(*run, "Optimization level: -O0 (a naive pipeline) or -O2 (the default)");
    run->add_option("--stats-json", runArgs.statsJson, "Write the measured counters to this file as JSON");
    run->add_option("--seed", runArgs.seed, "The run's random seed (default 0)");
    run->add_flag("--quiet", runArgs.quiet, "No log lines, progress or summary: only errors");
    run->add_flag("--no-provenance", runArgs.noProvenance, "Do not record provenance (for measurements)");
    run->add_flag("--no-jit", runArgs.noJit, "Interpret everything: compile no fn, predicate or kernel");
    run->add_flag("--jit-wait", runArgs.jitWait,
                  "Compile every kernel before the flow starts (default: in the background, interpreting until ready)");
    run->add_option("--executor", runArgs.executor,
                    "How task calls reach a site's workers: local (the default) or loopback (every request, "
                    "outcome and effect encoded to bytes and decoded: a test of the executor seam)")
        ->check(CLI::IsMember({"local", "loopback"}));
    run->add_option("--color", runArgs.color, "Color diagnostics: auto, always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    run->add_flag("--Werror", runArgs.werror, "Treat warnings as errors");
    runArgs.deploy.addTo(*run);
    runArgs.params.addTo(*run);
    run->add_flag("--help-params", runArgs.helpParams, "List the flow's params (type, default, doc) and run nothing");
    run->add_flag("--resume", runArgs.resume,
                  "Reuse the work of an earlier run in the work directory (the latest, or --run ID): kept task "
                  "outcomes and fully handled source items");
    run->add_option("--run", runArgs.resumeRun, "With --resume: the run to resume (its id in provenance.db)")
        ->check(CLI::PositiveNumber);
    run->add_option("--type-tests", runArgs.typeTests,
                    "How the `where` tests that fail are recorded: sampled (the default: the first 32 of each "
                    "1024 items one by one, the rest counted) or all (every one, with its values)")
        ->check(CLI::IsMember({"sampled", "all"}));
    run->add_option("--serve", runArgs.serve,
                    "Serve the run's report live at [ADDRESS:]PORT while it runs (read-only; default address "
                    "127.0.0.1; port 0: any free port)");

    tools::SubmitArguments submitArgs;
    CLI::App* submit = app.add_subcommand("submit", "Submit a flow to Slurm as one job, its sites placed by a deployment profile");
    submit->add_option("file", submitArgs.file, "The .xdml file")->required()->check(CLI::ExistingFile);
    submitArgs.deploy.addTo(*submit);
    submit->get_option("--deploy")->required();
    submit->add_option("--flow", submitArgs.flow, "Submit only this flow");
    submit->add_option("--workdir", submitArgs.workdir,
                       "Where the plan, the deployment's copy, the script job.sbatch and the run go (default: <script name>.run/)");
    submit->add_option("--after", submitArgs.after, "Start only once this job has ended well (sbatch --dependency=afterok)")
        ->check(CLI::Validator(
            [](std::string& id) {
                return !id.empty() && id.find_first_not_of("0123456789") == std::string::npos
                           ? std::string()
                           : "a Slurm job id is digits, as `xdmlc submit` prints it: '" + id + "'";
            },
            "JOBID"));
    submit->add_flag("--dry-run", submitArgs.dryRun, "Print the batch script; write and submit nothing");
    submit->add_flag("--resume", submitArgs.resume, "The run reuses the finished work of earlier runs in the work directory");
    submitArgs.passes.addTo(*submit, "Optimization level: -O0 (a naive pipeline) or -O2 (the default)");
    paramFlags.addTo(*submit);
    addCommon(submit);
    submit->footer("Example:\n"
                   "  xdmlc submit examples/relay.xdml --deploy cluster.toml --profile polaris --dry-run\n"
                   "Prints the job id (for --after). Slurm's SIGUSR1 120 s before the wall time stops the run cleanly.");

    tools::ReplArguments replArgs;
    CLI::App* repl = app.add_subcommand("repl", "An interactive session: declarations, expressions, :run, :prov (:help inside)");
    repl->add_option("files", replArgs.files, "Load these .xdml files first")->check(CLI::ExistingFile);
    repl->add_option("--workdir", replArgs.workdir, "Where :run runs and :prov asks (default: repl.run/)");
    repl->add_option("--color", replArgs.color, "Color diagnostics: auto, always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    repl->add_flag("--no-jit", replArgs.noJit, "Interpret everything");
    repl->footer("On a terminal: line editing, history (~/.xdml_history or $XDML_HISTORY), tab completion.\n"
                 "From a pipe: one input after another, no prompts; exit status 1 when one failed.");

    tools::ProvCommands provCommands(app);
    tools::LspCommand lspCommand(app);
    tools::CatalogCommand catalogCommand(app);
    tools::ReportCommand reportCommand(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? kOk : kMisuse;
    }

    if (provCommands.chosen()) return provCommands.run();
    if (*repl) return tools::replCommand(replArgs);
    if (lspCommand.chosen()) return lspCommand.run();
    if (catalogCommand.chosen()) return catalogCommand.run();
    if (reportCommand.chosen()) return reportCommand.run();
    auto badPasses = [](const tools::PassFlags& flags) {
        const std::string problem = flags.problem();
        if (!problem.empty()) std::cerr << "xdmlc: error: " << problem << "\n";
        return !problem.empty();
    };
    std::vector<sema::ParamSetting> params;
    auto badParams = [&](const tools::ParamFlags& flags) {
        std::string problem;
        if (flags.settings(params, problem)) return false;
        std::cerr << "xdmlc: error: " << problem << "\n";
        return true;
    };
    if (*run) {
        if (badPasses(runArgs.passes) || badParams(runArgs.params)) return kMisuse;
        runArgs.paramSettings = params;
        runArgs.commandLine = tools::recordedCommandLine(std::vector<std::string>(argv + 1, argv + argc), params);
        return tools::runCommand(runArgs);
    }
    if (badParams(paramFlags)) return kMisuse;
    if (*submit) {
        if (badPasses(submitArgs.passes)) return kMisuse;
        return compileAndReport(submitArgs.file, common, true, false, [&](const sema::CheckedProgram& program, Diagnostics& diags) {
            driver::CompiledFlow compiled;
            if (int code = compileFlow(program, submitArgs.flow, submitArgs.passes, true, diags, compiled)) return code;
            return tools::submitCommand(submitArgs, compiled.plan);
        }, &submitArgs.deploy, params, paramFlags.pythonPath);
    }
    if (*check) {
        if (badPasses(checkPasses)) return kMisuse;
        int worst = kOk;
        for (const std::string& file : checkFiles) {
            int code = compileAndReport(file, common, true, true, [&](const sema::CheckedProgram& program, Diagnostics& diags) {
                // Lowering and the passes too: some policies are provably unsatisfiable only
                // once the flow is placed (a deadline below a link's transfer time).
                driver::CompileOptions options;
                options.pipeline = checkPasses.pipeline();
                options.plan = false;
                auto status = driver::compileToPlan(program, options, diags).status;
                if (status == driver::CompiledFlow::Status::Malformed) return static_cast<int>(kInternal);
                if (status == driver::CompiledFlow::Status::InputErrors) return static_cast<int>(kInputErrors);
                return static_cast<int>(kOk);
            }, &checkDeploy, params, paramFlags.pythonPath);
            worst = std::max(worst, code);
        }
        return worst;
    }
    if (*build) {
        if (badPasses(buildPasses)) return kMisuse;
        return compileAndReport(buildFile, common, true, false, [&](const sema::CheckedProgram& program, Diagnostics& diags) {
            std::ostringstream text;
            if (emit == "ast") {
                for (const auto& module : program.modules) ast::printModule(text, *module);
            } else {
                driver::CompiledFlow compiled;
                if (int code = compileFlow(program, flowName, buildPasses, emit != "ir" && emit != "dot", diags, compiled)) return code;
                if (emit == "ir") ir::printIR(text, compiled.ir);
                else if (emit == "dot") ir::printDot(text, compiled.ir);
                else if (emit == "plan") text << compiled.plan.dump(2) << "\n";
                else text << jit::Kernels::emitLlvm(runtime::Program::fromPlan(compiled.plan), emit == "llvm-opt");
            }
            try {
                runtime::writeOutput(output.empty() ? "-" : output, text.str());
            } catch (const runtime::WriteError& e) {
                std::cerr << "xdmlc: error: cannot write '" << e.path() << "': " << e.reason() << "\n";
                return static_cast<int>(kMisuse);
            }
            return static_cast<int>(kOk);
        }, nullptr, params, paramFlags.pythonPath);
    }
    return kOk;
}
