// RunCommand.h — `xdmlc run`: compile a flow to its plan and hand the plan to the runtime.
#pragma once

#include "runtime/engine/Run.h"
#include "tools/xdmlc/DeployFlags.h"
#include "tools/xdmlc/ParamFlags.h"
#include "tools/xdmlc/PassFlags.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace xdml::tools {

struct RunArguments {
    std::string file, flow, workdir, statsJson, color = "auto";
    PassFlags passes;  // how a .xdml file is compiled
    DeployFlags deploy;  // --deploy, --profile: the profile checked and run with
    std::string executor = "local";  // "loopback": task calls cross the executor seam as bytes
    int64_t seed = 0;
    bool quiet = false, noProvenance = false, werror = false, noJit = false, jitWait = false;
    ParamFlags params;  // --set, --params: the flow's params (read into paramSettings by main)
    std::vector<sema::ParamSetting> paramSettings;
    bool helpParams = false;  // --help-params: list the flow's params and run nothing
    std::string commandLine;  // as runs.arguments records it (recordedCommandLine)
    bool resume = false;     // --resume: reuse the work of an earlier run (docs/distributed.md)
    int64_t resumeRun = 0;   // --run ID: which run (0: the latest)
    std::string serve;       // --serve [ADDR:]PORT: the live report (docs/report.md)
    std::string typeTests = "sampled";  // --type-tests all: every failed `where` test recorded one by one
};

/// Runs the flow; the exit status: 0 ok, 1 errors in the input or a task failed for good,
/// 2 misuse, 3 internal error.
int runCommand(const RunArguments& args);

/// The plan of args.file: compiled, or read when it is a plan already. Null on errors
/// (reported on stderr), with `code` the exit status. With --deploy, `profile` is the chosen
/// profile, the flow checked against it.
nlohmann::json planOf(const RunArguments& args, int& code, std::optional<deploy::Profile>& profile);
/// The run's options from the command line.
runtime::RunOptions runOptionsOf(const RunArguments& args, const nlohmann::json& plan);

/// Runs `plan` with `options`, which this completes with the JIT (unless args.noJit), the
/// models runtime and Ctrl-C handling; writes args.statsJson when set. `recordedRun` receives
/// the run's id in the provenance database. The exit status as runCommand's.
int executePlan(const nlohmann::json& plan, runtime::RunOptions options, const RunArguments& args,
                int64_t* recordedRun = nullptr);

}  // namespace xdml::tools
