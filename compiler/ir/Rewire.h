// Rewire.h — many edge removals and additions applied to the IR at once, in O(V + E).
// Boost's adjacency_list removes an edge by searching its neighbour's edge list, so a pass that
// removes edges one by one at a node with many edges (a stream read by every handler) is
// quadratic. A pass that collects its changes and applies them here is not.
#pragma once

#include "ir/Graph.h"

#include <functional>
#include <vector>

namespace xdml::ir {

struct NewEdge {
    NodeId from, to;
    Edge edge;
};

/// Keeps the edges `keep` accepts and adds `added` after them, in order. The result is the
/// graph that removing the others and then adding `added` one by one would leave: every node
/// lists its in- and out-edges in the order they were made, which printers and the plan show.
/// Node ids and properties stay. `keep` may be empty (keep all).
void rewireEdges(FlowIR& ir, const std::function<bool(NodeId from, NodeId to)>& keep,
                 const std::vector<NewEdge>& added);

}  // namespace xdml::ir
