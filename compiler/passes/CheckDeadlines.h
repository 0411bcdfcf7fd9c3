// CheckDeadlines.h — check-deadlines (required at every -O level): estimates, per handler,
// how long the data of each node take to reach it over links (latency + bytes / bandwidth of
// every transfer on the way) and compares it with the `deadline` and `start_within` that
// govern the node. Transfer time alone above a deadline is an error at the clause's value:
// the policy cannot be met. Task run times are not estimated yet (no history), so the
// estimate is the transfer time; see docs/passes.md.
// Requires: transfers inserted. Guarantees: no provably unsatisfiable deadline is left silent.
// Complexity: O(V + E + L·T) for T transfers and L links (each transfer looks its link up).
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

namespace xdml::passes {
bool checkDeadlines(ir::FlowIR& ir, Diagnostics& diags);
}
