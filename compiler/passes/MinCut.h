// MinCut.h — an s-t minimum cut over a weighted graph, the exact core of two-site placement and
// of placement lower bounds: exact reductions first (chains, trees, series-parallel parts and
// nodes their own costs fix take linear time), then Boost.Graph's push-relabel max flow on the
// core they leave.
#pragma once

#include <cstddef>
#include <vector>

namespace xdml::passes {

/// An arc a -> b: its weight is paid when a is on the source side and b on the sink side.
/// An undirected edge is two arcs.
struct CutEdge {
    std::size_t a, b;
    double weight;
};

/// Splits nodes 0..n-1 into a source side and a sink side at least cost: the weight of the
/// arcs from the source side to the sink side, plus `costOnSink[i]` for each node i put on the sink side and
/// `costOnSource[i]` for each put on the source side (use a huge cost to fix a node).
/// Returns that cost; `sourceSide[i]` tells each node's side: of all minimum cuts, the one with
/// the smallest source side. `coreNodes`, if given, receives how many nodes the reductions
/// left to max flow. Complexity: O(n + arcs) expected, plus push-relabel on the K-node core
/// (O(K²·√arcs) at worst; K = 0 on series-parallel graphs).
double minCut(std::size_t n, const std::vector<CutEdge>& edges, const std::vector<double>& costOnSink,
              const std::vector<double>& costOnSource, std::vector<bool>& sourceSide,
              std::size_t* coreNodes = nullptr);

/// The same cut by push-relabel over the whole network, without reductions: the reference
/// minCut is tested against.
double minCutByMaxFlow(std::size_t n, const std::vector<CutEdge>& edges, const std::vector<double>& costOnSink,
                       const std::vector<double>& costOnSource, std::vector<bool>& sourceSide);

}  // namespace xdml::passes
