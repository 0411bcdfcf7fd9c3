// PlacementProblem.cpp — see PlacementProblem.h.
#include "passes/PlacementProblem.h"

#include <algorithm>
#include <map>

namespace xdml::passes {

PlacementProblem formulatePlacement(const ir::FlowIR& ir, double rateFloor) {
    PlacementProblem p;
    p.siteCount = ir.sites.size();
    std::map<std::string, int> siteIndex;
    for (std::size_t i = 0; i < ir.sites.size(); ++i) siteIndex[ir.sites[i].name] = static_cast<int>(i);
    p.linked.assign(p.siteCount, std::vector<bool>(p.siteCount, false));
    for (const ir::Link& l : ir.links) {
        auto a = siteIndex.find(l.from), b = siteIndex.find(l.to);
        if (a == siteIndex.end() || b == siteIndex.end()) continue;
        p.linked[static_cast<std::size_t>(a->second)][static_cast<std::size_t>(b->second)] = true;
        if (l.bidirectional) p.linked[static_cast<std::size_t>(b->second)][static_cast<std::size_t>(a->second)] = true;
    }
    std::vector<std::size_t> variable(ir.nodeCount(), SIZE_MAX);
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) {
        const ir::Node& n = ir.node(id);
        if (n.removed) continue;
        variable[id] = p.nodes.size();
        p.nodes.push_back(id);
        std::vector<bool> ok(p.siteCount, !n.siteFixed);
        if (n.siteFixed) {
            auto it = siteIndex.find(n.site);
            if (it != siteIndex.end()) ok[static_cast<std::size_t>(it->second)] = true;
        } else if (!n.allowed.empty()) {
            ok.assign(p.siteCount, false);
            for (const std::string& a : n.allowed)
                if (siteIndex.count(a)) ok[static_cast<std::size_t>(siteIndex[a])] = true;
        }
        if (std::none_of(ok.begin(), ok.end(), [](bool b) { return b; })) ok.assign(p.siteCount, true);
        p.allowed.push_back(ok);
        auto cur = siteIndex.find(n.site);
        p.current.push_back(cur != siteIndex.end() ? cur->second : 0);
    }
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) {
        if (ir.node(id).removed) continue;
        for (auto [e, end] = boost::out_edges(id, ir.graph); e != end; ++e) {
            const ir::Edge& edge = ir.graph[*e];
            ir::NodeId to = boost::target(*e, ir.graph);
            if (edge.control()) continue;
            // The rate of the handler side of the edge: shared nodes have none of their own.
            const ir::Node& handlerSide = ir.node(ir.node(to).handler >= 0 ? to : id);
            double weight = std::max(static_cast<double>(edge.bytes) * handlerSide.rate, rateFloor);
            if (weight <= 0) continue;
            p.edges.push_back({variable[id], variable[to], weight});
        }
    }
    return p;
}

double movedBytes(const PlacementProblem& problem, const std::vector<int>& labels) {
    double total = 0;
    for (const CutEdge& e : problem.edges)
        if (labels[e.a] != labels[e.b]) total += e.weight;
    return total;
}

double movementLowerBound(const PlacementProblem& problem) {
    const std::size_t n = problem.nodes.size();
    if (problem.siteCount < 2 || n == 0) return 0;
    // Site i against all the others: nodes that can only be at i on the source side, nodes
    // that cannot be at i on the sink side.
    auto isolatingCut = [&](std::size_t site) {
        std::vector<double> onSink(n, 0), onSource(n, 0);
        double huge = 1;
        for (const CutEdge& e : problem.edges) huge += e.weight;
        huge *= 4;
        for (std::size_t v = 0; v < n; ++v) {
            const auto& ok = problem.allowed[v];
            std::size_t count = static_cast<std::size_t>(std::count(ok.begin(), ok.end(), true));
            if (ok[site] && count == 1) onSink[v] = huge;
            if (!ok[site]) onSource[v] = huge;
        }
        std::vector<CutEdge> arcs;  // the bound is over undirected edges: an arc each way
        for (const CutEdge& e : problem.edges) {
            arcs.push_back(e);
            arcs.push_back({e.b, e.a, e.weight});
        }
        std::vector<bool> side;
        return minCut(n, arcs, onSink, onSource, side);
    };
    if (problem.siteCount == 2) return isolatingCut(0);
    double sum = 0;
    for (std::size_t s = 0; s < problem.siteCount; ++s) sum += isolatingCut(s);
    return sum / 2;
}

}  // namespace xdml::passes
