// PlaceTasks.h — place-tasks (locality): chooses the site of every node whose policy leaves it
// open (`locality: data`, `accelerator` among several, or no locality), so that the bytes
// moved over links per triggering item are least. Fixed nodes (a named site, `source`, a
// stream's `at`, catalogs, models) stay. With two sites the choice is exact (one minimum
// cut); with more, swap moves between pairs of sites (each a minimum cut) until none helps.
// Every free node's reason records the bytes it would move at each candidate site.
//   before: n9 = task reconstruct <- n6 @edge   placed: locality: data
//   after:  n9 = task reconstruct <- n6 @hpc    placed: locality: data: the site that moves
//           least (bytes moved if at edge: 16 KiB, hpc: 16 KiB)
// Requires: a lowered IR, no Transfer nodes but explicit ones. Guarantees: every node at an
// allowed site.
// Complexity: O(1) with one site. Else O(S·V + E) to state the problem, then at most 8 rounds in
// which each node and its edges take part in the S-1 swap moves of its site: O(S·(V + E))
// expected per round (O(V + E) with two sites), as each minimum cut first eliminates, in linear
// time, the nodes whose costs fix their site and the nodes with at most two neighbours (chains,
// trees, fan-out/fan-in ladders reduce completely); what remains, an irreducible core of K
// nodes, goes to push-relabel max flow (O(K²·√E) at worst). The costs in the reasons take
// O(S·(V + E)).
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

namespace xdml::passes {
bool placeTasks(ir::FlowIR& ir, Diagnostics& diags);
}
