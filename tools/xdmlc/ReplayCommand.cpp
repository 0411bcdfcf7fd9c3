// ReplayCommand.cpp — `xdmlc replay`: the recorded plan run again with the recorded seed,
// inputs and per-item decisions (query/ReplayLog), recorded as a run of its own, then compared
// with the original by content hash (query/RunDiff). The first divergence is shown with its
// lineage in the original run, the diverging inputs in that lineage marked.
#include "query/Lineage.h"
#include "query/ReplayLog.h"
#include "query/Render.h"
#include "query/ReplayTarget.h"
#include "query/RunDiff.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/io/PrintableName.h"
#include "runtime/provenance/ContentHash.h"
#include "tools/xdmlc/ProvCommand.h"
#include "tools/xdmlc/RunCommand.h"

#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

namespace xdml::tools {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::string> splitFlows(const std::string& flows) {
    std::vector<std::string> out;
    std::stringstream s(flows);
    for (std::string f; std::getline(s, f, ',');)
        if (!f.empty()) out.push_back(f);
    return out;
}

/// A folder of its own for the replay's outputs: replays/run<R>-<N>/.
fs::path replayFolder(const fs::path& workdir, int64_t run) {
    std::error_code ec;
    for (int n = 1;; ++n) {
        fs::path dir = workdir / "replays" / ("run" + std::to_string(run) + "-" + std::to_string(n));
        if (!fs::exists(dir, ec)) return dir;
    }
}

/// The first divergence of a category (input or output): the earliest recorded entity whose
/// content the replay did not reproduce, else the first one only the replay has. Null: none.
json firstDivergence(const json& diff, const std::string& category) {
    json best;
    for (const json& g : diff["groups"]) {
        if (g["category"] != category) continue;
        for (const char* side : {"only_a", "only_b"})
            for (const json& row : g[side]) {
                const bool original = side[5] == 'a';
                if (best.is_null() || (original && (best["side"] == "b" || row["id"] < best["row"]["id"])))
                    best = {{"row", row}, {"side", original ? "a" : "b"}, {"group", g["group"]}, {"category", category}};
            }
    }
    return best;
}

/// Why a replay of an original that did not run to its end differs from it, or "" when it did:
/// said first, before any comparison, since it explains every divergence that follows.
std::string unfinishedOriginal(const json& row, int64_t original) {
    const std::string status = row.value("status", "");
    const std::string run = "run " + std::to_string(original);
    const std::string why = row.contains("status_note") ? " (" + row["status_note"].get<std::string>() + ")" : "";
    if (status == "incomplete")
        return run + " is incomplete: it ended without finishing" + why +
               ", so its records stop where it stopped, while the replay runs its recorded inputs to the end; "
               "outputs it never made are expected to differ";
    if (status == "stopped")
        return run + " was stopped before its end (Ctrl-C or SIGTERM): the replay runs its recorded inputs to the "
                     "end, so outputs it never made are expected to differ";
    return "";
}

}  // namespace

int ProvCommands::runReplay() {
    fs::path workdir = args_.workdir.empty() ? fs::current_path() : fs::path(args_.workdir);
    auto db = query::ProvDb::open(workdir);
    workdir = db->workdir();
    const query::ReplayTarget target = query::chooseRunToReplay(*db, args_.run);
    const int64_t original = target.run;
    const json& row = target.row;
    const std::string& planText = target.planText;
    const json& plan = target.plan;

    runtime::Program program = runtime::Program::fromPlan(plan);
    auto log = query::RecordedLog::load(*db, original, program);

    // The script as it is now: the replay runs the recorded plan either way, but say so.
    std::string note;
    if (row["script_path"].is_string()) {
        std::error_code ec;
        const std::string path = row["script_path"];
        if (!fs::exists(path, ec)) note = "the script " + path + " is gone; the recorded plan runs";
        else if (runtime::prov::contentHashOfFile(path) != row.value("script_hash", ""))
            note = "the script " + path + " changed since run " + std::to_string(original) + "; the recorded plan runs";
    }

    runtime::RunOptions options;
    options.workdir = replayFolder(workdir, original);
    options.inputDir = workdir;
    options.provenanceFile = db->file();
    options.scriptPath = row.value("script_path", "");
    options.arguments = query::replayArguments(original);
    options.flows = splitFlows(row.value("flow", ""));
    options.seed = row["seed"].get<int64_t>();
    options.quiet = args_.quiet || args_.json;
    options.progress = false;
    options.planJson = planText;
    options.replay = log;
    options.handlerThreads = args_.handlerThreads;
    // The replay ran the recorded plan, so it records the recorded script's hash.
    options.scriptHash = row.value("script_hash", "");
    RunArguments runArgs;
    runArgs.file = options.scriptPath;
    runArgs.noJit = args_.noJit;
    if (!args_.json && !args_.quiet) {
        std::cerr << "xdmlc: replaying run " << original << " in " << runtime::printableName(options.workdir.string()) << "\n";
    }
    if (!note.empty() && !args_.json) std::cerr << "xdmlc: note: " << note << "\n";
    for (const std::string& n : log->notes())
        if (!args_.json) std::cerr << "xdmlc: note: " << n << "\n";
    int64_t replayed = 0;
    const int status = executePlan(plan, options, runArgs, &replayed);
    if (replayed == 0) throw query::QueryError("the replay recorded no run (its provenance could not be opened)");
    json diff = query::diffRuns(*db, original, replayed);
    const json& same = diff["identical"];
    // A Python module that changed since the original run makes the replay a different computation.
    const bool identical = same["inputs"].get<bool>() && same["outputs"].get<bool>() && same["code"].get<bool>();
    json report = {{"original", original}, {"replay", replayed}, {"folder", options.workdir.string()},
                   {"identical", identical}, {"status", status}, {"diff", diff}};
    const std::string unfinished = unfinishedOriginal(row, original);
    report["original_status"] = row.value("status", "");
    if (!unfinished.empty()) report["original_unfinished"] = unfinished;
    if (!note.empty()) report["note"] = note;
    if (!log->notes().empty()) report["notes"] = log->notes();
    // The first divergence (an input when one changed), and the first output that diverged
    // with its lineage in the run that has it: where the change shows, and what led to it.
    json first = identical ? json() : firstDivergence(diff, "input");
    if (first.is_null() && !identical) first = firstDivergence(diff, "output");
    json output = identical ? json() : firstDivergence(diff, "output");
    if (!first.is_null()) report["first_divergence"] = first;
    if (!output.is_null()) {
        report["first_output_divergence"] = output;
        report["lineage"] = query::walk(*db, output["row"]["id"].get<int64_t>(), query::Direction::Backward,
                                        query::WalkLimits{0, 200000});
    }
    if (args_.json) {
        std::cout << report.dump(2) << "\n";
        return identical ? 0 : 1;
    }
    if (!unfinished.empty()) std::cout << "note: " << unfinished << "\n";
    if (identical) {
        std::cout << "replay of run " << original << " (recorded as run " << replayed
                  << ") reproduced it: every input and output hash is identical (" << diff["same_groups"].get<int>()
                  << " groups equal";
        if (!same["decisions"].get<bool>()) std::cout << "; some timing decisions differ, see `xdmlc prov diff`";
        if (!same["intermediates"].get<bool>()) std::cout << "; some intermediate values differ";
        std::cout << ")\n";
        return 0;
    }
    std::cout << "replay of run " << original << " (recorded as run " << replayed << ") DIVERGED\n";
    auto describe = [&](const json& d) {
        std::cout << d["category"].get<std::string>() << " " << d["group"].get<std::string>() << ": "
                  << (d["side"] == "a" ? "run " + std::to_string(original) + " had " : "only the replay has ")
                  << query::describeEntity(d["row"]) << "\n";
        // The counterpart in the other run, at the same stream position or file name.
        const json& r = d["row"];
        for (const json& g : diff["groups"])
            if (g["group"] == d["group"])
                for (const json& other : g[d["side"] == "a" ? "only_b" : "only_a"])
                    if (other["seq"] == r["seq"] && (other["seq"].is_number() || other["label"] == r["label"]))
                        std::cout << "  " << (d["side"] == "a" ? "the replay has " : "the original had ")
                                  << query::describeEntity(other) << "\n";
    };
    if (!first.is_null()) {
        std::cout << "first divergence: ";
        describe(first);
    }
    if (!output.is_null() && output != first) {
        std::cout << "first output that diverged: ";
        describe(output);
    }
    if (!output.is_null()) {
        const json& r = output["row"];
        std::cout << "\nits lineage (two steps; `xdmlc prov lineage " << r["id"].get<int64_t>() << " --run "
                  << r["run"].get<int64_t>() << "` shows all):\n";
        query::renderGraph(query::walk(*db, r["id"].get<int64_t>(), query::Direction::Backward, query::WalkLimits{2, 400}),
                           std::cout);
        std::set<int64_t> diverging;
        for (const json& g : diff["groups"])
            for (const char* side : {"only_a", "only_b"})
                for (const json& e : g[side]) diverging.insert(e["id"].get<int64_t>());
        int marked = 0;
        for (const json& e : report["lineage"]["entities"])
            if (diverging.count(e["id"].get<int64_t>()) && e["id"] != r["id"]) {
                if (marked++ == 0) std::cout << "what diverged in its whole lineage:\n";
                std::cout << "  " << query::describeEntity(e) << "\n";
            }
    }
    std::cout << "\n";
    query::renderDiff(diff, std::cout);
    return 1;
}

}  // namespace xdml::tools
