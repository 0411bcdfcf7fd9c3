// InsertTransfers.h — insert-transfers (required at every -O level): puts a Transfer node on
// every data edge between nodes on different sites, one per value and destination site, and
// completes explicit `transfer` statements with their origin. A move between sites that no
// link joins is an error at the consumer.
//   before: n6 = task capture @edge -> n9 = task reconstruct @hpc
//   after:  n6 -> n20 = transfer capture -> hpc (edge -> hpc) -> n9
// Requires: every node placed. Guarantees: no data edge crosses sites but through a Transfer.
// Complexity: O((V + E) log E) (edges grouped per node; all changes applied at once).
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

namespace xdml::passes {
bool insertTransfers(ir::FlowIR& ir, Diagnostics& diags);
}
