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
    std::vector<CutEdge> edges;                 // producer -> consumer: bytes moved per item when
                                                // their sites differ
    std::vector<int> current;                   // variable -> site index now
    std::vector<std::vector<bool>> linked;      // site -> site: a link carries data that way
    std::size_t siteCount = 0;

    /// What an edge of `weight` costs from site `from` to site `to`: nothing on one site,
    /// its weight over a link, `infeasible` where no link joins them.
    double crossing(int from, int to, double weight, double infeasible) const {
        if (from == to) return 0;
        return linked[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)] ? weight : infeasible;
    }
};

/// The problem for the IR as it is (before transfers are inserted). `rateFloor` gives edges
/// of once-per-run handlers a tiny weight, so that they still prefer to stay together.
PlacementProblem formulatePlacement(const ir::FlowIR& ir, double rateFloor);

/// Bytes moved per item by a labelling (ignoring links).
double movedBytes(const PlacementProblem& problem, const std::vector<int>& labels);

/// A lower bound on the bytes per item any placement satisfying the policies must move:
/// exact for two linked sites (one minimum cut); for more, half the sum of the isolating cuts.
/// Links are relaxed (any two sites count as joined), which keeps it a bound. O(S·(V + E)) plus
/// max flow on each cut's irreducible core (see minCut).
double movementLowerBound(const PlacementProblem& problem);

}  // namespace xdml::passes
