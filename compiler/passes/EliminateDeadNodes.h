// EliminateDeadNodes.h — eliminate-dead-nodes: removes pure nodes whose value nothing uses
// (`let unused = f(x);`), repeatedly, so whole unused chains go. Tasks, effects, triggers and
// shared nodes always stay: they are activities and state, not values.
//   before: n4 = call f <- n3   (no consumer)
//   after:  (n4 removed; n3 too if n4 was its only consumer and n3 is pure)
// Requires: a lowered IR. Guarantees: every pure non-trigger node has a consumer.
// Complexity: O(V + E) (dead nodes found by counting consumers left; edges rewired once).
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

namespace xdml::passes {
bool eliminateDeadNodes(ir::FlowIR& ir, Diagnostics& diags);
}
