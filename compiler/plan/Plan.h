// Plan.h — the plan: what `xdmlc build --emit=plan` writes and the runtime reads. JSON, with a
// versioned schema (docs/plan.md, docs/plan.schema.json), in a stable order.
#pragma once

#include "ir/Graph.h"

#include <nlohmann/json.hpp>

namespace xdml::plan {

constexpr int kPlanVersion = 1;

/// Data movement per triggering item, summed over handlers (docs/plan.md, "stats").
struct MovementStats {
    double movedBytesPerItem = 0;    // bytes crossing links
    double writtenBytesPerItem = 0;  // bytes written to sites' storage (persisted values, records)
    double minMovedBytesPerItem = 0; // the least any placement the policies allow can move
};

MovementStats movementStats(const ir::FlowIR& ir);
nlohmann::json planJson(const ir::FlowIR& ir);

}  // namespace xdml::plan
