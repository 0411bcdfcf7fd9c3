// RunCommand.cpp — see RunCommand.h. A `.json` file is a plan written by `xdmlc build`; any
// other file is compiled first, exactly as `xdmlc build --emit=plan` would.
#include "tools/xdmlc/RunCommand.h"

#include "tools/xdmlc/ModelsPlugin.h"
#include "tools/xdmlc/MpiRun.h"

#include "runtime/distributed/Launcher.h"

#include "driver/CompileToPlan.h"
#include "driver/Frontend.h"
#include "jit/Kernels.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/Run.h"
#include "runtime/exec/CommandGroups.h"
#include "runtime/interp/EvalError.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/io/PrintableName.h"
#include "report/ReportServer.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <csignal>
#include <fstream>
#include <iostream>
#include <malloc.h>
#include <thread>
#include <sstream>
#include <unistd.h>

namespace xdml::tools {

namespace {

std::atomic<runtime::Run*> activeRun{nullptr};
std::atomic<int> interrupts{0};
std::atomic<int> firstSignal{0};
/// How long shell commands get to exit after SIGTERM when a run is stopped at once.
constexpr std::chrono::milliseconds kCommandGrace{2000};

void onSignal(int sig) {
    // A first Ctrl-C stops the run; a second one exits now, after ending the shell commands
    // under way (their own process groups do not get the terminal's signal); a third one
    // cuts their grace period short.
    const int earlier = interrupts.fetch_add(1);
    if (earlier > 0) {
        runtime::endRunningCommands(earlier == 1 ? kCommandGrace : std::chrono::milliseconds{0});
        _exit(130);
    }
    firstSignal.store(sig);
    if (runtime::Run* run = activeRun.load()) run->stop();
}

std::string readFile(const std::string& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    ok = static_cast<bool>(in) || in.eof();
    return s.str();
}

/// The profile of --deploy for a plan read from a file: read, and its sites found in the plan.
/// Errors are reported (code 1).
std::optional<deploy::Profile> profileForPlan(const RunArguments& args, const nlohmann::json& plan, int& code) {
    if (!args.deploy.given()) return std::nullopt;
    SourceManager sources;
    Diagnostics diags(sources);
    auto bound = bindProfile(args.deploy, sources, diags);
    if (!bound || !checkPlanSites(*bound, plan, diags)) code = 1;
    diags.render(std::cerr, false, 100);
    return bound ? std::optional(bound->profile) : std::nullopt;
}

/// What the JIT did, for --stats-json: each kernel, compiled or why not, and its compile time.
nlohmann::json jitStats(jit::Kernels* kernels) {
    nlohmann::json out = {{"enabled", kernels != nullptr}, {"kernels", nlohmann::json::array()}};
    if (!kernels) return out;
    kernels->wait();
    for (const jit::KernelStatus& k : kernels->status()) {
        nlohmann::json j = {{"what", k.what}, {"line", k.line}, {"compiled", k.compiled}};
        if (k.compiled) {
            j["compile_ms"] = k.compileMs;
            j["cached"] = k.cached;
        } else {
            j["reason"] = k.reason;
        }
        out["kernels"].push_back(std::move(j));
    }
    return out;
}

/// --resume [--run ID] (ResumeStart.h): 0, or the exit status of a misuse.
int checkResumeFlags(const RunArguments& args) {
    if (args.resumeRun > 0 && !args.resume) {
        std::cerr << "xdmlc: error: --run " << args.resumeRun << " names the run to resume: it needs --resume\n";
        return 2;
    }
    if (args.resume && args.noProvenance) {
        std::cerr << "xdmlc: error: --resume needs provenance (the run to resume is found there): drop --no-provenance\n";
        return 2;
    }
    return 0;
}

}  // namespace

nlohmann::json planOf(const RunArguments& args, int& code, std::optional<deploy::Profile>& profile) {
    bool ok = false;
    if (args.file.size() > 5 && args.file.substr(args.file.size() - 5) == ".json") {
        if (!args.paramSettings.empty()) {
            std::cerr << "xdmlc: error: " << runtime::printableName(args.file) << " is a plan, compiled with its params' values "
                      << "already: --set and --params apply only to a .xdml file\n";
            code = 2;
            return nullptr;
        }
        if (args.passes.anyPassFlag()) {
            std::cerr << "xdmlc: error: " << runtime::printableName(args.file) << " is a plan, compiled already: --disable-pass, --print-after "
                      << "and --verify-each apply only to a .xdml file\n";
            code = 2;
            return nullptr;
        }
        std::string text = readFile(args.file, ok);
        nlohmann::json plan = nlohmann::json::parse(text, nullptr, false);
        if (!ok || plan.is_discarded()) {
            std::cerr << "xdmlc: error: " << runtime::printableName(args.file) << " is not a plan (JSON written by xdmlc build --emit=plan)\n";
            code = 1;
            return nullptr;
        }
        profile = profileForPlan(args, plan, code);
        return code ? nullptr : plan;
    }
    SourceManager sources;
    Diagnostics diags(sources);
    nlohmann::json plan;
    driver::runWithLargeStack([&] {
        try {
            driver::FrontendOptions frontend;
            frontend.params = args.paramSettings;
            frontend.pythonPath = args.params.pythonPath;
            if (args.deploy.given())
                frontend.bindGrants = [&](std::map<std::string, sema::SiteGrant>& grants) {
                    auto bound = bindProfile(args.deploy, sources, diags);
                    if (!bound) return false;
                    grants = bound->grants;
                    profile = bound->profile;
                    return true;
                };
            auto program = driver::compile(args.file, sources, diags, frontend);
            if (!program) {
                code = 2;  // diags say why it cannot be read
                return;
            }
            if (diags.hasErrors() || (args.werror && diags.warningCount())) {
                code = 1;
                return;
            }
            if (!args.flow.empty()) {
                auto it = program->globals.find(args.flow);
                if (it == program->globals.end() || it->second->kind != ast::DeclKind::Flow) {
                    std::cerr << "xdmlc: error: no flow named '" << args.flow << "' in " << runtime::printableName(args.file) << "\n";
                    code = 2;
                    return;
                }
            }
            driver::CompileOptions options;
            options.flow = args.flow;
            options.pipeline = args.passes.pipeline();
            driver::CompiledFlow compiled = driver::compileToPlan(*program, options, diags);
            if (!compiled.ok()) {
                code = compiled.status == driver::CompiledFlow::Status::Malformed ? 3 : 1;
                return;
            }
            // Through text, as a plan written to a file would be: the runtime sees only JSON.
            plan = nlohmann::json::parse(compiled.plan.dump());
        } catch (const std::exception& e) {
            std::cerr << "xdmlc: internal error while compiling " << args.file << ": " << e.what() << "\n";
            code = 3;
        }
    });
    const char* noColor = std::getenv("NO_COLOR");
    const bool color = args.color == "always" || (args.color == "auto" && isatty(STDERR_FILENO) && !(noColor && *noColor));
    diags.render(std::cerr, color, 100);
    return plan;
}

runtime::RunOptions runOptionsOf(const RunArguments& args, const nlohmann::json& plan) {
    runtime::RunOptions options;
    std::filesystem::path script(args.file);
    options.workdir = args.workdir.empty() ? std::filesystem::current_path() / (script.stem().string() + ".run")
                                           : std::filesystem::absolute(args.workdir);
    bool ok = false;
    options.scriptPath = std::filesystem::absolute(script).string();
    options.scriptText = readFile(args.file, ok);
    options.arguments = args.commandLine;
    if (!args.flow.empty()) options.flows = {args.flow};
    options.seed = args.seed;
    options.executor = args.executor;
    options.quiet = args.quiet;
    options.provenance = !args.noProvenance;
    options.progress = isatty(STDERR_FILENO);
    options.planJson = plan.dump();
    options.version = XDML_VERSION;
    options.resume = args.resume;
    options.everyTypeTest = args.typeTests == "all";
    options.resumeRun = args.resumeRun;
    return options;
}

void printParams(const std::string& file, const nlohmann::json& plan, std::ostream& out) {
    const nlohmann::json params = plan.value("params", nlohmann::json::array());
    if (params.empty()) {
        out << runtime::printableName(file) << " declares no params\n";
        return;
    }
    out << "params of " << runtime::printableName(file) << " (set with --set NAME=VALUE or --params FILE.json):\n";
    for (const nlohmann::json& p : params) {
        out << "  " << p.value("name", "") << ": " << p.value("type", "") << " = " << p.value("default", "");
        if (!p.value("set_by", "").empty()) out << "  (this run: " << p.value("value", "") << ", " << p.value("set_by", "") << ")";
        out << "\n";
        if (!p.value("doc", "").empty()) out << "      " << p.value("doc", "") << "\n";
    }
}

int runCommand(const RunArguments& args) {
    if (const int misuse = checkResumeFlags(args)) return misuse;
    if (args.helpParams) {
        int code = 0;
        std::optional<deploy::Profile> profile;
        nlohmann::json plan = planOf(args, code, profile);
        if (code != 0 || plan.is_null()) return code ? code : 1;
        printParams(args.file, plan, std::cout);
        return 0;
    }
    // Under an MPI launcher with more than one task, this process is one rank of a distributed run.
    const runtime::distributed::LaunchInfo launch = runtime::distributed::detectLaunch([](const char* name) { return std::getenv(name); });
    if (!launch.error.empty()) {
        std::cerr << "xdmlc: error: " << launch.error << "\n";
        return 2;
    }
    if (launch.distributed()) return runDistributed(args, launch);
    int code = 0;
    std::optional<deploy::Profile> profile;
    nlohmann::json plan = planOf(args, code, profile);
    if (code != 0 || plan.is_null()) return code ? code : 1;
    runtime::RunOptions options = runOptionsOf(args, plan);
    options.profile = std::move(profile);
    return executePlan(plan, std::move(options), args);
}

int executePlan(const nlohmann::json& plan, runtime::RunOptions options, const RunArguments& args,
                int64_t* recordedRun) {
    // main() keeps the compiler to one malloc arena; a run's threads allocate at once, and one
    // arena would make them queue on its lock: give them glibc's default, eight per core.
    mallopt(M_ARENA_MAX, static_cast<int>(8 * std::max(1u, std::thread::hardware_concurrency())));
    jit::Kernels* kernels = nullptr;  // owned by the run, which outlives every use here
    if (!args.noJit)
        options.compile = [&kernels, wait = args.jitWait](const runtime::Program& program, auto report) {
            auto compiled = std::make_shared<jit::Kernels>(program);
            if (wait) compiled->compileAll(report);
            else compiled->start(report);
            kernels = compiled.get();
            return std::shared_ptr<const runtime::CompiledCode>(std::move(compiled));
        };
    if (!options.models) options.models = createModels;  // a distributed run places them (MpiRun.cpp)
    // The live report: served from the work directory's provenance while the run writes it.
    std::optional<report::ReportServer> server;
    if (!args.serve.empty()) {
        try {
            const report::ListenAddress address = report::ListenAddress::parse(args.serve);
            if (!options.provenance) {
                std::cerr << "xdmlc: error: --serve shows the run from its provenance: drop --no-provenance\n";
                return 2;
            }
            server.emplace(options.workdir, true);
            server->start(address);
            std::cerr << "xdmlc: the run's report is at " << server->url() << " (read-only)" << std::endl;
        } catch (const std::invalid_argument& e) {
            std::cerr << "xdmlc: error: --serve " << e.what() << "\n";
            return 2;
        } catch (const std::exception& e) {
            std::cerr << "xdmlc: error: --serve: " << e.what() << "\n";
            return 1;
        }
    }
    try {
        runtime::Run run(runtime::Program::fromPlan(plan), runtime::PlanModel::fromPlan(plan), options);
        activeRun.store(&run);
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        std::signal(SIGUSR1, onSignal);  // Slurm's warning before the wall time (xdmlc submit)
        int status = run.execute();
        activeRun.store(nullptr);
        if (server) server->finish();  // a page watching the run gets its last state
        // Ctrl-C is how an endless stream is ended (0); SIGTERM and SIGUSR1 come from a job
        // manager, which learns from 128 + N that the run stopped early, though in order.
        if (status == 0 && (firstSignal.load() == SIGTERM || firstSignal.load() == SIGUSR1)) status = 128 + firstSignal.load();
        if (recordedRun) *recordedRun = run.recordedRun();
        if (!args.statsJson.empty()) {
            nlohmann::json stats = run.stats().toJson(run.elapsed());
            stats["planned_moved_bytes_per_item"] = run.plan().plannedMovedPerItem;
            stats["planned_written_bytes_per_item"] = run.plan().plannedWrittenPerItem;
            stats["opt_level"] = run.plan().optLevel;
            stats["jit"] = jitStats(kernels);
            stats["models"] = run.hasModels() ? nlohmann::json::parse(run.models().statsJson()) : nlohmann::json::object();
            try {
                runtime::writeOutput(args.statsJson, stats.dump(2) + "\n");
            } catch (const runtime::WriteError& e) {
                std::cerr << "xdmlc: error: cannot write '" << e.path() << "': " << e.reason() << "\n";
                return 2;
            }
        }
        return status;
    } catch (const runtime::PlanError& e) {
        activeRun.store(nullptr);
        std::cerr << "xdmlc: error: " << runtime::printableName(args.file) << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        activeRun.store(nullptr);
        std::cerr << "xdmlc: error: " << runtime::printableName(args.file) << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace xdml::tools
