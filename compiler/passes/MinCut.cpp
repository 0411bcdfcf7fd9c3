// MinCut.cpp — see MinCut.h.
#include "passes/MinCut.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>

namespace xdml::passes {

namespace {
using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
// Integer capacities: push-relabel with doubles can end with rounding residue that Boost's own
// flow check (an assert in debug builds) rejects; scaled integers make the cut exact.
using Capacity = int64_t;
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

double minCut(std::size_t n, const std::vector<CutEdge>& edges, const std::vector<double>& costOnSink,
              const std::vector<double>& costOnSource, std::vector<bool>& sourceSide) {
    double total = 1;
    for (const CutEdge& e : edges) total += e.weight;
    for (std::size_t v = 0; v < n; ++v) total += costOnSink[v] + costOnSource[v];
    // Bytes per item are fractional under `every N`: scale by up to 2^20, keeping the sum of
    // all capacities below 2^60 so no flow can overflow.
    const double scale = std::min(double(1 << 20), std::ldexp(1.0, 60) / total);
    auto capacity = [&](double w) { return std::max<Capacity>(1, std::llround(w * scale)); };
    sourceSide.assign(n, true);
    const std::size_t s = n, t = n + 1;
    FlowGraph g(n + 2);
    for (const CutEdge& e : edges)
        if (e.a != e.b && e.weight > 0) addArc(g, e.a, e.b, capacity(e.weight), 0);
    for (std::size_t v = 0; v < n; ++v) {
        if (costOnSink[v] > 0) addArc(g, s, v, capacity(costOnSink[v]), 0);
        if (costOnSource[v] > 0) addArc(g, v, t, capacity(costOnSource[v]), 0);
    }
    const double flow = static_cast<double>(boost::push_relabel_max_flow(g, s, t)) / scale;
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
    for (std::size_t v = 0; v < n; ++v) sourceSide[v] = seen[v];
    return flow;
}

}  // namespace xdml::passes
