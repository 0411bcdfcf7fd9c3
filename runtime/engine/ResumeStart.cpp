// ResumeStart.cpp — see ResumeStart.h.
#include "runtime/engine/ResumeStart.h"

#include "runtime/catalog/CatalogError.h"
#include "runtime/catalog/RowRemoval.h"
#include "runtime/engine/CallKey.h"
#include "runtime/provenance/PastRuns.h"

#include <algorithm>
#include <set>

namespace xdml::runtime {

namespace {

prov::PastRun pastRun(prov::Store& store, const RunOptions& options, const std::string& flow) {
    const std::optional<prov::PastRun> past = prov::findPastRun(store.file(), options.resumeRun);
    if (!past) {
        if (options.resumeRun > 0)
            throw ResumeError("--resume --run " + std::to_string(options.resumeRun) + ": there is no run " +
                              std::to_string(options.resumeRun) + " in " + store.file().string());
        throw ResumeError("--resume: no earlier run in " + options.workdir.string() + " to resume");  // hasRunToResume said so
    }
    const std::string which = "run " + std::to_string(past->id);
    if (past->status == "running")
        throw ResumeError("--resume: " + which + " is still running (on another host?): it cannot be resumed while it runs");
    if (past->flow != flow)
        throw ResumeError("--resume: " + which + " ran " + (past->flow.empty() ? "every flow" : "flow '" + past->flow + "'") +
                          ", not " + (flow.empty() ? "every flow" : "flow '" + flow + "'") + ": resume it with the same --flow");
    if (past->scriptPath != options.scriptPath)
        throw ResumeError("--resume: " + which + " ran " + past->scriptPath + ", not " + options.scriptPath +
                          ": a resume continues the same script (edited or not) in its work directory");
    return *past;
}

/// The runs whose catalog rows the resumed run stands for: itself and those it resumed in turn.
std::vector<int64_t> resumedChain(const std::filesystem::path& workdir, const ResumeStart& start) {
    std::vector<int64_t> chain{start.run};
    for (int64_t next = start.previous.resumed; next > 0 && chain.size() < 100000;) {
        if (std::find(chain.begin(), chain.end(), next) != chain.end()) break;
        chain.push_back(next);
        next = readResumeLog(resumeLogPath(workdir, next)).resumed;
    }
    return chain;
}

}  // namespace

bool hasRunToResume(prov::Store& store, const RunOptions& options) {
    return options.resumeRun > 0 || prov::findPastRun(store.file(), 0).has_value();
}

RunCode runCodeOf(const std::string& planJson) {
    const nlohmann::json plan = nlohmann::json::parse(planJson, nullptr, false);
    if (plan.is_discarded() || !plan.is_object()) return {};
    return RunCode{taskCodeHashes(plan), flowCodeHash(plan)};
}

ResumeStart prepareResume(prov::Store& store, const RunOptions& options, const std::string& flow, const RunCode& code,
                          const std::map<std::string, std::filesystem::path>& catalogFiles) {
    if (options.planJson.empty()) throw ResumeError("--resume: this run has no plan to key its work by");
    ResumeStart start;
    start.run = pastRun(store, options, flow).id;
    const std::filesystem::path log = resumeLogPath(options.workdir, start.run);
    std::error_code ec;
    if (!std::filesystem::exists(log, ec))
        throw ResumeError("--resume: run " + std::to_string(start.run) + " kept no resume log (" + log.string() +
                          " is missing): it ran without provenance or before resume existed");
    start.previous = readResumeLog(log);
    start.itemsReusable = start.previous.header && start.previous.flowsHash == code.flows;
    if (!start.previous.header)
        start.notes.push_back("warning: resume: the header of run " + std::to_string(start.run) +
                              "'s resume log is corrupt: every item is handled again");
    else if (!start.itemsReusable)
        start.notes.push_back("note: resume: the script's code changed since run " + std::to_string(start.run) +
                              ": every item is handled again, and only task calls whose code and inputs are unchanged are reused");
    // The rows of the items skipped stay; every other row of those runs goes, as its work is redone.
    std::map<std::string, std::set<int64_t>> keep;
    if (start.itemsReusable)
        for (const HandledItem& item : start.previous.items)
            for (const auto& [catalog, row] : item.rows) keep[catalog].insert(row);
    start.chain = resumedChain(options.workdir, start);
    const std::vector<int64_t>& chain = start.chain;
    for (const auto& [name, file] : catalogFiles) {
        try {
            if (const int removed = catalog::removeRowsNotKept(file, name, store.absolutePath(), chain, keep[name]))
                start.notes.push_back("note: resume: catalog " + name + ": removed " + std::to_string(removed) + " rows that run " +
                                      std::to_string(start.run) + " recorded for work it did not finish; that work is done again");
        } catch (const CatalogError& e) {
            throw ResumeError(std::string("--resume: catalog ") + name + ": " + e.what());
        }
    }
    return start;
}

}  // namespace xdml::runtime
