// Decisions.h — the decisions a run took, in order (`xdmlc prov decisions`, the REPL's `:prov`):
// which trigger fired, where a task was placed, what type a model inferred, why a training
// stopped, what was retried or invalidated.
#pragma once

#include "query/ProvDb.h"

namespace xdml::query {

/// {"run", "total", "by_kind": {kind: count}, "kind", "matching": how many are of `kind`, "decisions": [decision rows in time order, at most
/// `limit` (0: all), only of `kind` when it is not empty]}. Throws a QueryError that lists the
/// run's kinds when it has none of `kind`.
nlohmann::json runDecisions(ProvDb& db, int64_t run, const std::string& kind = "", std::size_t limit = 0);

}  // namespace xdml::query
