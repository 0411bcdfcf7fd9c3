// MinCut.cpp — see MinCut.h; the reductions are in CutReduction.cpp.
#include "passes/MinCut.h"

#include "passes/CutReduction.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>

#include <algorithm>
#include <cmath>
#include <deque>

namespace xdml::passes {

namespace cut {
namespace {
using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
// Integer capacities: push-relabel with doubles can end with rounding residue that Boost's own
// flow check (an assert in debug builds) rejects; scaled integers make the cut exact, and let
// the reductions compare costs without rounding.
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<boost::edge_capacity_t, Capacity,
                    boost::property<boost::edge_residual_capacity_t, Capacity,
                                    boost::property<boost::edge_reverse_t, Traits::edge_descriptor>>>>;

void addArc(FlowGraph& g, std::size_t a, std::size_t b, Capacity capAB, Capacity capBA) {
    auto cap = boost::get(boost::edge_capacity, g);
    auto rev = boost::get(boost::edge_reverse, g);
    auto e1 = boost::add_edge(a, b, g).first;
    auto e2 = boost::add_edge(b, a, g).first;
    cap[e1] = capAB;
    cap[e2] = capBA;
    rev[e1] = e2;
    rev[e2] = e1;
}
}  // namespace

Capacity maxFlowCut(const ScaledNetwork& network, std::vector<bool>& sourceSide) {
    const std::size_t n = network.n, s = n, t = n + 1;
    FlowGraph g(n + 2);
    for (const Arc& arc : network.arcs)
        if (arc.a != arc.b && arc.capacity > 0) addArc(g, arc.a, arc.b, arc.capacity, 0);
    for (std::size_t v = 0; v < n; ++v) {
        if (network.onSink[v] > 0) addArc(g, s, v, network.onSink[v], 0);
        if (network.onSource[v] > 0) addArc(g, v, t, network.onSource[v], 0);
    }
    const Capacity flow = boost::push_relabel_max_flow(g, s, t);
    // The source side: what the source still reaches through unsaturated arcs.
    auto residual = boost::get(boost::edge_residual_capacity, g);
    std::vector<bool> seen(n + 2, false);
    std::deque<std::size_t> queue{s};
    seen[s] = true;
    while (!queue.empty()) {
        std::size_t v = queue.front();
        queue.pop_front();
        for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
            std::size_t w = boost::target(*e, g);
            if (!seen[w] && residual[*e] > 0) {
                seen[w] = true;
                queue.push_back(w);
            }
        }
    }
    sourceSide.assign(seen.begin(), seen.begin() + static_cast<std::ptrdiff_t>(n));
    return flow;
}

}  // namespace cut

namespace {

/// The network in integers. Bytes per item are fractional under `every N`: scale by up to
/// 2^20, keeping the sum of all capacities below 2^60 so no flow can overflow.
cut::ScaledNetwork scaled(std::size_t n, const std::vector<CutEdge>& edges, const std::vector<double>& costOnSink,
                          const std::vector<double>& costOnSource, double& scale) {
    double total = 1;
    for (const CutEdge& e : edges) total += e.weight;
    for (std::size_t v = 0; v < n; ++v) total += costOnSink[v] + costOnSource[v];
    scale = std::min(double(1 << 20), std::ldexp(1.0, 60) / total);
    auto capacity = [&](double w) { return w > 0 ? std::max<cut::Capacity>(1, std::llround(w * scale)) : 0; };
    cut::ScaledNetwork network;
    network.n = n;
    for (const CutEdge& e : edges)
        if (e.a != e.b && e.weight > 0) network.arcs.push_back({e.a, e.b, capacity(e.weight)});
    for (std::size_t v = 0; v < n; ++v) {
        network.onSink.push_back(capacity(costOnSink[v]));
        network.onSource.push_back(capacity(costOnSource[v]));
    }
    return network;
}

}  // namespace

double minCut(std::size_t n, const std::vector<CutEdge>& edges, const std::vector<double>& costOnSink,
              const std::vector<double>& costOnSource, std::vector<bool>& sourceSide, std::size_t* coreNodes) {
    double scale = 1;
    const cut::ScaledNetwork network = scaled(n, edges, costOnSink, costOnSource, scale);
    std::size_t core = 0;
    const double cost = static_cast<double>(cut::reduceThenCut(network, sourceSide, core)) / scale;
    if (coreNodes) *coreNodes = core;
    return cost;
}

double minCutByMaxFlow(std::size_t n, const std::vector<CutEdge>& edges, const std::vector<double>& costOnSink,
                       const std::vector<double>& costOnSource, std::vector<bool>& sourceSide) {
    double scale = 1;
    return static_cast<double>(cut::maxFlowCut(scaled(n, edges, costOnSink, costOnSource, scale), sourceSide)) / scale;
}

}  // namespace xdml::passes
