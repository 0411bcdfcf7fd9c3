// RunCounts.h — how much a run recorded, counted the one way `xdmlc prov runs` and the run
// report both answer (the report's tests compare the two).
#pragma once

#include "query/ProvDb.h"

namespace xdml::query {

/// {"entities", "activities", "decisions", "model_versions", "invalid", "items" (stream items),
///  "firings" (handler activities), "tasks" (task activities), "bytes_moved" (what transfers
///  generated), "bytes_written" (files and catalog records the run generated)}.
nlohmann::json runCounts(ProvDb& db, int64_t run);

}  // namespace xdml::query
