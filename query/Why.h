// Why.h — the decisions behind an entity or an activity (`xdmlc prov why`): which trigger fired
// the step that made it, which type was inferred for its inputs and by which model version,
// where it was placed and why, which policy stopped a training, and whether it was invalidated.
#pragma once

#include "query/ProvDb.h"

namespace xdml::query {

/// {"entity" | "activity": row, "made_by": [activity rows], "decisions": [decision rows, each
///  with "about": what it concerns], "models": [the model versions involved: models rows]}.
nlohmann::json why(ProvDb& db, Subject subject);

/// The model versions behind an entity: those that classified it or its inputs, or whose
/// weights the activities that made it used, nearest first ("which model version produced
/// this?"). {"entity", "versions": [models rows + "how"]}; the walk goes back at most `depth`
/// entity hops.
nlohmann::json producedBy(ProvDb& db, int64_t entity, int depth = 16);

}  // namespace xdml::query
