// RunCounts.h — how much a run recorded, counted the one way `xdmlc prov runs` and the run
// report both answer (the report's tests compare the two).
#pragma once

#include "query/ProvDb.h"

namespace xdml::query {

/// What a run wrote, as an SQL condition on an entities row `e`: the files it generated (not
/// those it read) and its catalog records. The counts, the report's bytes per site and its
/// results all mean this.
inline constexpr const char* kWrittenByRun =
    "((e.kind = 'file' AND EXISTS (SELECT 1 FROM generated g WHERE g.entity = e.id)) OR e.kind = 'record')";

/// {"entities", "activities", "decisions", "model_versions", "invalid", "items" (stream items),
///  "firings" (handler activities), "tasks" (task activities), "bytes_moved" (what transfers
///  generated), "bytes_written" (files and catalog records the run generated)}.
nlohmann::json runCounts(ProvDb& db, int64_t run);

}  // namespace xdml::query
