// PlaceTasks.cpp — see PlaceTasks.h.
#include "passes/PlaceTasks.h"

#include "passes/PlacementProblem.h"

namespace xdml::passes {

namespace {

/// One swap move: the nodes now at `a` or `b` choose between the two, exactly.
bool swapMove(const PlacementProblem& p, std::vector<int>& labels, int a, int b) {
    std::vector<std::size_t> members;
    std::vector<std::size_t> index(p.nodes.size(), SIZE_MAX);
    for (std::size_t v = 0; v < p.nodes.size(); ++v)
        if (labels[v] == a || labels[v] == b) {
            index[v] = members.size();
            members.push_back(v);
        }
    if (members.empty()) return false;
    double huge = 1;
    for (const CutEdge& e : p.edges) huge += e.weight;
    huge *= 4;
    const std::size_t n = members.size();
    std::vector<double> onSink(n, 0), onSource(n, 0);  // source side = a, sink side = b
    std::vector<CutEdge> inner;
    for (std::size_t m = 0; m < n; ++m) {
        if (!p.allowed[members[m]][static_cast<std::size_t>(b)]) onSink[m] = huge;
        if (!p.allowed[members[m]][static_cast<std::size_t>(a)]) onSource[m] = huge;
    }
    for (const CutEdge& e : p.edges) {
        bool inA = index[e.a] != SIZE_MAX, inB = index[e.b] != SIZE_MAX;
        if (inA && inB) {
            inner.push_back({index[e.a], index[e.b], e.weight});
        } else if (inA || inB) {
            std::size_t m = inA ? index[e.a] : index[e.b];
            int other = labels[inA ? e.b : e.a];
            if (other == a) onSink[m] += e.weight;    // moving to b would cut it
            if (other == b) onSource[m] += e.weight;  // staying at a would cut it
        }
    }
    std::vector<bool> side;
    minCut(n, inner, onSink, onSource, side);
    std::vector<int> next = labels;
    for (std::size_t m = 0; m < n; ++m) next[members[m]] = side[m] ? a : b;
    if (movedBytes(p, next) + 1e-9 < movedBytes(p, labels)) {
        labels = next;
        return true;
    }
    return false;
}

}  // namespace

bool placeTasks(ir::FlowIR& ir, Diagnostics&) {
    if (ir.sites.size() < 2) return false;
    PlacementProblem p = formulatePlacement(ir, 1e-6);
    std::vector<int> labels = p.current;
    // Start from a labelling that the constraints allow.
    for (std::size_t v = 0; v < labels.size(); ++v)
        if (!p.allowed[v][static_cast<std::size_t>(labels[v])])
            for (std::size_t s = 0; s < p.siteCount; ++s)
                if (p.allowed[v][s]) {
                    labels[v] = static_cast<int>(s);
                    break;
                }
    const int k = static_cast<int>(p.siteCount);
    for (int round = 0; round < 8; ++round) {
        bool improved = false;
        for (int a = 0; a < k; ++a)
            for (int b = a + 1; b < k; ++b) improved = swapMove(p, labels, a, b) || improved;
        if (!improved) break;
    }

    // Per-node costs at each candidate, with every other node where it ended up.
    std::vector<std::vector<std::pair<std::size_t, double>>> incident(p.nodes.size());
    for (const CutEdge& e : p.edges) {
        incident[e.a].push_back({e.b, e.weight});
        incident[e.b].push_back({e.a, e.weight});
    }
    bool changed = false;
    for (std::size_t v = 0; v < p.nodes.size(); ++v) {
        ir::Node& n = ir.node(p.nodes[v]);
        if (n.siteFixed) continue;
        const std::string site = ir.sites[static_cast<std::size_t>(labels[v])].name;
        changed = changed || site != n.site;
        n.site = site;
        std::size_t candidates = 0;
        for (std::size_t s = 0; s < p.siteCount; ++s) {
            if (!p.allowed[v][s]) continue;
            ++candidates;
            double moved = 0;
            for (auto [w, weight] : incident[v])
                if (labels[w] != static_cast<int>(s)) moved += weight;
            n.placement.bytesMovedIfAt[ir.sites[s].name] = moved;
        }
        if (candidates < 2) n.placement.bytesMovedIfAt.clear();
        std::string base = n.placement.reason;
        if (base == "its handler's stream's site") base = "no locality";
        n.placement.reason = base + ": the site that moves least";
    }
    return changed;
}

}  // namespace xdml::passes
