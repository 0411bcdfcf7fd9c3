// PlacementProblem.h — placement as a labelling problem: each node of the IR takes one site;
// a data edge between nodes on different sites moves its bytes (per triggering item). Shared
// by place-tasks, which solves it, and by the plan's statistics, which bound it from below.
#pragma once

#include "ir/Graph.h"
#include "passes/MinCut.h"

#include <vector>

namespace xdml::passes {

struct PlacementProblem {
    std::vector<ir::NodeId> nodes;              // variable -> node
    std::vector<std::vector<bool>> allowed;     // variable -> site index -> allowed
    std::vector<CutEdge> edges;                 // bytes moved per item when the ends differ
    std::vector<int> current;                   // variable -> site index now
    std::size_t siteCount = 0;
};

/// The problem for the IR as it is (before transfers are inserted). `rateFloor` gives edges
/// of once-per-run handlers a tiny weight, so that they still prefer to stay together.
PlacementProblem formulatePlacement(const ir::FlowIR& ir, double rateFloor);

/// Bytes moved per item by a labelling.
double movedBytes(const PlacementProblem& problem, const std::vector<int>& labels);

/// A lower bound on the bytes per item any placement satisfying the policies must move:
/// exact for two sites (one minimum cut); for more, half the sum of the isolating cuts.
double movementLowerBound(const PlacementProblem& problem);

}  // namespace xdml::passes
