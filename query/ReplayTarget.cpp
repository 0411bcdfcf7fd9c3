// ReplayTarget.cpp — see ReplayTarget.h.
#include "query/ReplayTarget.h"

namespace xdml::query {

namespace {
constexpr const char* kReplayPrefix = "replay of run ";
}  // namespace

std::string replayArguments(int64_t original) { return kReplayPrefix + std::to_string(original); }

int64_t replayedRun(const std::string& arguments) {
    const std::string prefix = kReplayPrefix;
    if (arguments.rfind(prefix, 0) != 0) return 0;
    try {
        return std::stoll(arguments.substr(prefix.size()));
    } catch (const std::exception&) {
        return 0;  // a run whose arguments merely start so
    }
}

ReplayTarget chooseRunToReplay(ProvDb& db, int64_t requested) {
    ReplayTarget target;
    int64_t original = requested;
    if (original == 0) {
        original = db.sql().queryInt(std::string("SELECT COALESCE(MAX(id), 0) FROM runs WHERE arguments IS NULL OR "
                                                 "arguments NOT LIKE '") + kReplayPrefix + "%'");
        if (original == 0) original = db.runOrLatest(0);
    }
    target.run = db.runOrLatest(original);
    target.row = db.run(target.run);
    target.planText = db.runPlan(target.run);
    const std::string which = "run " + std::to_string(target.run);
    if (target.planText.empty())
        throw QueryError(which + " cannot be replayed: its plan was not recorded (it was run without provenance, or by an "
                                 "xdmlc older than replay)");
    if (target.row["status"] == "running")
        throw QueryError(which + " is still running (process " + std::to_string(target.row.value("pid", int64_t{0})) +
                         " on " + target.row.value("host", std::string("?")) + "); replay it once it has ended");
    target.plan = nlohmann::json::parse(target.planText, nullptr, false);
    if (target.plan.is_discarded()) throw QueryError(which + ": its recorded plan is not JSON");
    return target;
}

}  // namespace xdml::query
