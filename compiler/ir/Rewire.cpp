// Rewire.cpp — see Rewire.h. Boost's lists do not say in which order edges were made across
// nodes, only per node (each out- and in-edge list is in creation order); any order consistent
// with all of them rebuilds the same lists, and a topological sort of "comes next in a list"
// finds one in O(E).
#include "ir/Rewire.h"

#include <unordered_map>

namespace xdml::ir {

namespace {

/// The graph's edges in an order consistent with every node's out- and in-edge list.
std::vector<EdgeId> creationOrder(const FlowIR& ir) {
    const Graph& g = ir.graph;
    std::vector<EdgeId> edges;
    edges.reserve(boost::num_edges(g));
    std::unordered_map<const Edge*, std::size_t> index;  // an edge's property is its identity
    index.reserve(boost::num_edges(g));
    std::vector<std::size_t> nextOut, nextIn;
    std::vector<int> before;  // how many list neighbours come before it
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    for (NodeId v = 0; v < boost::num_vertices(g); ++v) {
        std::size_t previous = kNone;
        for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
            const std::size_t i = edges.size();
            edges.push_back(*e);
            index.emplace(&g[*e], i);
            nextOut.push_back(kNone);
            nextIn.push_back(kNone);
            before.push_back(previous == kNone ? 0 : 1);
            if (previous != kNone) nextOut[previous] = i;
            previous = i;
        }
    }
    for (NodeId v = 0; v < boost::num_vertices(g); ++v) {
        std::size_t previous = kNone;
        for (auto [e, end] = boost::in_edges(v, g); e != end; ++e) {
            const std::size_t i = index.at(&g[*e]);
            if (previous != kNone) {
                nextIn[previous] = i;
                ++before[i];
            }
            previous = i;
        }
    }
    std::vector<EdgeId> order;
    order.reserve(edges.size());
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < edges.size(); ++i)
        if (before[i] == 0) ready.push_back(i);
    while (!ready.empty()) {
        const std::size_t i = ready.back();
        ready.pop_back();
        order.push_back(edges[i]);
        for (std::size_t next : {nextOut[i], nextIn[i]})
            if (next != kNone && --before[next] == 0) ready.push_back(next);
    }
    return order;
}

}  // namespace

void rewireEdges(FlowIR& ir, const std::function<bool(NodeId from, NodeId to)>& keep,
                 const std::vector<NewEdge>& added) {
    std::vector<EdgeId> order = creationOrder(ir);
    Graph rebuilt(boost::num_vertices(ir.graph));
    for (NodeId v = 0; v < boost::num_vertices(ir.graph); ++v) rebuilt[v] = std::move(ir.graph[v]);
    for (const EdgeId& e : order) {
        const NodeId from = boost::source(e, ir.graph), to = boost::target(e, ir.graph);
        if (!keep || keep(from, to)) boost::add_edge(from, to, ir.graph[e], rebuilt);
    }
    for (const NewEdge& e : added) boost::add_edge(e.from, e.to, e.edge, rebuilt);
    ir.graph = std::move(rebuilt);
}

}  // namespace xdml::ir
