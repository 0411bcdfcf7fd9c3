// FuseChains.h — fuse-chains (fusion):
// 1. A chain of pure calls, expressions and same-site tasks, each feeding only the next, in one
//    handler and region, becomes one Fused node: one activity, intermediates in memory.
// 2. A node that computes elementwise tensor operations ended by a reduction (in its own
//    expression or in the fn it calls, fns inlined) becomes a Kernel node: one loop, which the
//    JIT compiles.
// 3. Values stay in memory: a naive (-O0) pipeline writes every task output and emitted item
//    to its site's storage; after fusion a value is kept in memory when its consumers run on
//    its site (consumers elsewhere receive it through a transfer, which sends from memory).
//   before: n5 = eval (seq r) @edge -> n6 = task summarize @edge [persist]
//   after:  n5 = fused eval + summarize @edge
// Requires: placed nodes, no Transfer nodes but explicit ones. Guarantees: no fusible chain
// left; no persisted value outside Record nodes; every node merged away is removed and names
// its surviving fused or kernel node in `fusedInto`.
// Complexity: O(V + E log E) (one sweep; each merge O(1); members, labels and edges written once).
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

namespace xdml::passes {
bool fuseChains(ir::FlowIR& ir, Diagnostics& diags);
}
