// CutReduction.h — the minimum cut in integers: exact reductions that solve chains, trees and
// series-parallel parts of a network in linear time, and the max flow left for what remains.
// Internal to passes/MinCut.cpp (and its tests, through MinCut.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xdml::passes::cut {

using Capacity = int64_t;

struct Arc {
    std::size_t a, b;
    Capacity capacity;  // paid when a is on the source side and b on the sink side
};

/// Nodes 0..n-1 with arcs between them and, per node, what it pays on each side.
struct ScaledNetwork {
    std::size_t n = 0;
    std::vector<Arc> arcs;
    std::vector<Capacity> onSink, onSource;
};

/// Push-relabel max flow over the network plus a source and a sink. Returns the cut's cost;
/// `sourceSide` is what the source still reaches in the residual graph: the smallest source
/// side among all minimum cuts (it is unique).
Capacity maxFlowCut(const ScaledNetwork& network, std::vector<bool>& sourceSide);

/// The same cut and the same (smallest) source side as maxFlowCut, after eliminating exactly,
/// in O(n + arcs) expected time, every node whose side is forced by its own costs and every
/// node with at most two neighbours; only the core left over goes to maxFlowCut.
/// `coreNodes` receives that core's size.
Capacity reduceThenCut(const ScaledNetwork& network, std::vector<bool>& sourceSide, std::size_t& coreNodes);

}  // namespace xdml::passes::cut
