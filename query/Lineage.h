// Lineage.h — the provenance graph around one entity: backward to the sources it was made from
// (`xdmlc prov lineage`), or forward to everything made from it (`xdmlc prov impact`: which
// results used this bad input?). A walk over used / generated / derivations, each step an
// index lookup, so its cost is the size of the answer, not of the database.
#pragma once

#include "query/ProvDb.h"

#include <string>

namespace xdml::query {

enum class Direction { Backward, Forward };

struct WalkLimits {
    int maxDepth = 0;              // entity hops from the start; 0: no limit
    std::size_t maxNodes = 100000;  // entities and activities together; beyond: "truncated"
    std::string stopAtKind{};       // entities of this kind are reached but not walked past
};

/// {"root", "direction", "entities": [row + "depth"], "activities": [row + "depth"],
///  "edges": [{"kind": used|generated|derived, ...}], "ends": [ids], "truncated"}.
/// `ends` are the sources (backward: entities nothing made) or the results (forward: entities
/// nothing was made from). Entities are listed by depth, then id.
nlohmann::json walk(ProvDb& db, int64_t entity, Direction direction, WalkLimits limits = {});

}  // namespace xdml::query
