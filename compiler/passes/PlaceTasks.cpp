// PlaceTasks.cpp — see PlaceTasks.h.
#include "passes/PlaceTasks.h"

#include "passes/PlacementProblem.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace xdml::passes {

namespace {

/// What the swap moves share: each site's nodes (in index order), each node's edges (in edge
/// order, so that costs add up in the order they always did), and a scratch index.
struct SwapState {
    std::vector<std::vector<std::size_t>> bySite;
    std::vector<std::vector<std::size_t>> incident;
    std::vector<std::size_t> index;  // node -> its place among the members; SIZE_MAX outside
};

/// One swap move: the nodes now at `a` or `b` choose between the two, exactly, paying each
/// edge's bytes where its ends differ and `infeasible` where no link joins them. Touches only
/// those nodes and their edges.
bool swapMove(const PlacementProblem& p, std::vector<int>& labels, SwapState& state, int a, int b,
              double infeasible) {
    const auto& atA = state.bySite[static_cast<std::size_t>(a)];
    const auto& atB = state.bySite[static_cast<std::size_t>(b)];
    std::vector<std::size_t> members;
    members.reserve(atA.size() + atB.size());
    std::merge(atA.begin(), atA.end(), atB.begin(), atB.end(), std::back_inserter(members));
    if (members.empty()) return false;
    std::vector<std::size_t>& index = state.index;
    for (std::size_t m = 0; m < members.size(); ++m) index[members[m]] = m;
    const std::size_t n = members.size();
    // The source side of the cut is site a, the sink side site b.
    std::vector<double> onSink(n, 0), onSource(n, 0);
    std::vector<CutEdge> arcs;
    for (std::size_t m = 0; m < n; ++m) {
        if (!p.allowed[members[m]][static_cast<std::size_t>(b)]) onSink[m] = infeasible;
        if (!p.allowed[members[m]][static_cast<std::size_t>(a)]) onSource[m] = infeasible;
    }
    for (std::size_t m = 0; m < n; ++m)
        for (std::size_t i : state.incident[members[m]]) {
            const CutEdge& e = p.edges[i];
            const bool fromIn = index[e.a] != SIZE_MAX, toIn = index[e.b] != SIZE_MAX;
            if (fromIn && toIn) {
                if (members[m] != e.a) continue;  // taken once, from its producer
                // producer at a, consumer at b: the arc producer -> consumer is cut; and the reverse.
                arcs.push_back({index[e.a], index[e.b], p.crossing(a, b, e.weight, infeasible)});
                arcs.push_back({index[e.b], index[e.a], p.crossing(b, a, e.weight, infeasible)});
            } else {
                const int other = labels[fromIn ? e.b : e.a];
                auto cost = [&](int here) {
                    return fromIn ? p.crossing(here, other, e.weight, infeasible) : p.crossing(other, here, e.weight, infeasible);
                };
                onSource[m] += cost(a);  // paid when m stays on the source side, at a
                onSink[m] += cost(b);    // paid when m goes to the sink side, at b
            }
        }
    std::vector<bool> side;
    minCut(n, arcs, onSink, onSource, side);
    // Kept only if it lowers the cost (the cut is in rounded integers); only the edges of nodes
    // that would move change it.
    std::vector<std::size_t> moved;
    for (std::size_t m = 0; m < n; ++m)
        if (labels[members[m]] != (side[m] ? a : b)) moved.push_back(members[m]);
    for (std::size_t v : members) index[v] = SIZE_MAX;
    if (moved.empty()) return false;
    std::vector<std::size_t> touched;
    for (std::size_t v : moved) touched.insert(touched.end(), state.incident[v].begin(), state.incident[v].end());
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    auto cost = [&] {
        double total = 0;
        for (std::size_t i : touched) {
            const CutEdge& e = p.edges[i];
            total += p.crossing(labels[e.a], labels[e.b], e.weight, infeasible);
        }
        return total;
    };
    auto swapSites = [&] {
        for (std::size_t v : moved) labels[v] = labels[v] == a ? b : a;
    };
    const double before = cost();
    swapSites();
    if (!(cost() + 1e-9 < before)) {
        swapSites();  // back
        return false;
    }
    auto& newA = state.bySite[static_cast<std::size_t>(a)];
    auto& newB = state.bySite[static_cast<std::size_t>(b)];
    newA.clear();
    newB.clear();
    for (std::size_t m = 0; m < n; ++m) (side[m] ? newA : newB).push_back(members[m]);
    return true;
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
    // Larger than all bytes together: a placement that needs a missing link never wins.
    double infeasible = 1;
    for (const CutEdge& e : p.edges) infeasible += e.weight;
    infeasible *= 4;
    const int k = static_cast<int>(p.siteCount);
    SwapState state;
    state.bySite.resize(p.siteCount);
    for (std::size_t v = 0; v < labels.size(); ++v) state.bySite[static_cast<std::size_t>(labels[v])].push_back(v);
    state.incident.resize(p.nodes.size());
    for (std::size_t i = 0; i < p.edges.size(); ++i) {
        state.incident[p.edges[i].a].push_back(i);
        if (p.edges[i].b != p.edges[i].a) state.incident[p.edges[i].b].push_back(i);
    }
    state.index.assign(p.nodes.size(), SIZE_MAX);
    for (int round = 0; round < 8; ++round) {
        bool improved = false;
        for (int a = 0; a < k; ++a)
            for (int b = a + 1; b < k; ++b) improved = swapMove(p, labels, state, a, b, infeasible) || improved;
        if (!improved) break;
    }

    // Per-node costs at each candidate, with every other node where it ended up.
    struct Neighbour {
        std::size_t node;
        double weight;
        bool produces;  // the neighbour feeds this node
    };
    std::vector<std::vector<Neighbour>> incident(p.nodes.size());
    for (const CutEdge& e : p.edges) {
        incident[e.a].push_back({e.b, e.weight, false});
        incident[e.b].push_back({e.a, e.weight, true});
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
            // A site that would need a missing link is no candidate.
            const int here = static_cast<int>(s);
            double cost = 0;
            for (const Neighbour& w : incident[v])
                cost += w.produces ? p.crossing(labels[w.node], here, w.weight, infeasible)
                                   : p.crossing(here, labels[w.node], w.weight, infeasible);
            if (cost >= infeasible) continue;
            // Edges of once-per-run handlers weigh a token amount: they move nothing per item.
            n.placement.bytesMovedIfAt[ir.sites[s].name] = std::round(cost * 1000) / 1000;
        }
        if (candidates < 2) n.placement.bytesMovedIfAt.clear();
        std::string base = n.placement.reason;
        if (base == "its handler's stream's site") base = "no locality";
        n.placement.reason = base + ": the site that moves least";
    }
    return changed;
}

}  // namespace xdml::passes
