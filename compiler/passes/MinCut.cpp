// MinCut.cpp — see MinCut.h.
#include "passes/MinCut.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>

#include <deque>

namespace xdml::passes {

namespace {
using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<boost::edge_capacity_t, double,
                    boost::property<boost::edge_residual_capacity_t, double,
                                    boost::property<boost::edge_reverse_t, Traits::edge_descriptor>>>>;

void addArc(FlowGraph& g, std::size_t a, std::size_t b, double capAB, double capBA) {
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
    sourceSide.assign(n, true);
    const std::size_t s = n, t = n + 1;
    FlowGraph g(n + 2);
    for (const CutEdge& e : edges)
        if (e.a != e.b && e.weight > 0) addArc(g, e.a, e.b, e.weight, 0);
    for (std::size_t v = 0; v < n; ++v) {
        if (costOnSink[v] > 0) addArc(g, s, v, costOnSink[v], 0);
        if (costOnSource[v] > 0) addArc(g, v, t, costOnSource[v], 0);
    }
    double flow = boost::push_relabel_max_flow(g, s, t);
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
            if (!seen[w] && residual[*e] > 1e-9 * total) {
                seen[w] = true;
                queue.push_back(w);
            }
        }
    }
    for (std::size_t v = 0; v < n; ++v) sourceSide[v] = seen[v];
    return flow;
}

}  // namespace xdml::passes
