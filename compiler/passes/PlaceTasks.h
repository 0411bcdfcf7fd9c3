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
// Complexity: O(1) with one site; else at most 8 rounds of S(S-1)/2 minimum cuts, each a
// push-relabel max flow over V + 2 nodes and E arcs (O(V²·√E) at worst; near-linear on IR graphs).
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

namespace xdml::passes {
bool placeTasks(ir::FlowIR& ir, Diagnostics& diags);
}
