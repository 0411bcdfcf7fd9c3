// ReplayTarget.h — which recorded run `xdmlc replay` replays: the one asked for, or by default
// the latest run that is not itself a replay (replaying twice checks the same run), with its
// runs row and recorded plan, checked to be replayable.
#pragma once

#include "query/ProvDb.h"

#include <cstdint>
#include <string>

namespace xdml::query {

struct ReplayTarget {
    int64_t run = 0;
    nlohmann::json row;    // the runs row (ProvDb::run)
    std::string planText;  // the plan as recorded
    nlohmann::json plan;   // the same, parsed
};

/// The run to replay: `requested`, or the default when it is 0. Throws a QueryError when there
/// is no such run, its plan was not recorded or is not JSON, or it is still running.
ReplayTarget chooseRunToReplay(ProvDb& db, int64_t requested);

/// The `arguments` a replay of run `original` records, by which a replay is told from other runs.
std::string replayArguments(int64_t original);
/// The run a run with these `arguments` replayed, or 0 when it is not a replay.
int64_t replayedRun(const std::string& arguments);

}  // namespace xdml::query
