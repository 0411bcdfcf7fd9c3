// CutReduction.cpp — see CutReduction.h. The cut is read as an energy over x_v (1: source
// side, 0: sink side): each node pays onSource or onSink, each arc a -> b its capacity when
// x_a = 1 and x_b = 0. Eliminating a node by minimizing over it leaves a submodular function
// of its neighbours, which is again such terms when it has at most two; a node whose own costs
// outweigh all its arcs takes its side whatever its neighbours do. Both keep the set of
// minimum cuts, so the smallest source side survives if every choice prefers the sink on a tie.
#include "passes/CutReduction.h"

#include <algorithm>
#include <cassert>
#include <unordered_map>

namespace xdml::passes::cut {

namespace {

constexpr std::size_t kNone = SIZE_MAX;

/// The arcs between a node and one neighbour: `out` paid when the node is on the source side
/// and the neighbour on the sink side, `in` the other way round. Parallel arcs add up here.
struct Between {
    Capacity out = 0, in = 0;
};

/// One eliminated node: its side for each sides of (u, w), indexed by x_u * 2 + x_w (a missing
/// neighbour counts as 0).
struct Elimination {
    std::size_t v, u, w;
    unsigned sourceSideWhen;  // bit (x_u * 2 + x_w) set: v on the source side
};

class Reducer {
public:
    explicit Reducer(const ScaledNetwork& net)
        : adjacent_(net.n), onSink_(net.onSink), onSource_(net.onSource), sumOut_(net.n, 0), sumIn_(net.n, 0),
          eliminated_(net.n, false) {
        for (const Arc& arc : net.arcs) addArc(arc.a, arc.b, arc.capacity);
        for (std::size_t v = 0; v < net.n; ++v) normalize(v);
    }

    /// Eliminates until no node is forced or has fewer than three neighbours.
    void run() {
        std::vector<std::size_t> work(adjacent_.size());
        for (std::size_t v = 0; v < work.size(); ++v) work[v] = work.size() - 1 - v;
        while (!work.empty()) {
            const std::size_t v = work.back();
            work.pop_back();
            if (eliminated_[v]) continue;
            if (onSource_[v] + sumOut_[v] < onSink_[v]) fix(v, true, work);
            else if (onSink_[v] + sumIn_[v] <= onSource_[v]) fix(v, false, work);
            else if (adjacent_[v].size() <= 2) marginalize(v, work);
        }
    }

    /// Cuts the core with max flow, then gives each eliminated node its side, latest first.
    Capacity finish(std::vector<bool>& sourceSide, std::size_t& coreNodes) {
        const std::size_t n = adjacent_.size();
        std::vector<std::size_t> coreIndex(n, kNone), core;
        for (std::size_t v = 0; v < n; ++v)
            if (!eliminated_[v]) {
                coreIndex[v] = core.size();
                core.push_back(v);
            }
        coreNodes = core.size();
        sourceSide.assign(n, false);
        Capacity total = constant_;
        if (!core.empty()) {
            ScaledNetwork rest;
            rest.n = core.size();
            for (std::size_t v : core) {
                rest.onSink.push_back(onSink_[v]);
                rest.onSource.push_back(onSource_[v]);
                for (const auto& [u, between] : adjacent_[v]) {
                    if (u < v) continue;  // each pair once
                    if (between.out > 0) rest.arcs.push_back({coreIndex[v], coreIndex[u], between.out});
                    if (between.in > 0) rest.arcs.push_back({coreIndex[u], coreIndex[v], between.in});
                }
            }
            std::vector<bool> coreSide;
            total += maxFlowCut(rest, coreSide);
            for (std::size_t i = 0; i < core.size(); ++i) sourceSide[core[i]] = coreSide[i];
        }
        for (auto step = steps_.rbegin(); step != steps_.rend(); ++step) {
            const unsigned xu = step->u == kNone ? 0 : sourceSide[step->u];
            const unsigned xw = step->w == kNone ? 0 : sourceSide[step->w];
            sourceSide[step->v] = (step->sourceSideWhen >> (xu * 2 + xw)) & 1;
        }
        return total;
    }

private:
    void addArc(std::size_t a, std::size_t b, Capacity capacity) {
        if (a == b || capacity <= 0) return;
        adjacent_[a][b].out += capacity;
        adjacent_[b][a].in += capacity;
        sumOut_[a] += capacity;
        sumIn_[b] += capacity;
    }

    /// Adds c·x_v (c may be negative: c·x = c + (-c)·(1 - x)).
    void addLinear(std::size_t v, Capacity c) {
        if (c >= 0) {
            onSource_[v] += c;
        } else {
            onSink_[v] -= c;
            constant_ += c;
        }
        normalize(v);
    }

    /// Moves the cost v pays on both sides into the constant, so that the forced tests see
    /// the difference alone.
    void normalize(std::size_t v) {
        const Capacity both = std::min(onSink_[v], onSource_[v]);
        onSink_[v] -= both;
        onSource_[v] -= both;
        constant_ += both;
    }

    /// Removes v and its arcs; its neighbours go back on the work list.
    void detach(std::size_t v, std::vector<std::size_t>& work) {
        for (const auto& [u, between] : adjacent_[v]) {
            sumOut_[u] -= between.in;
            sumIn_[u] -= between.out;
            adjacent_[u].erase(v);
            work.push_back(u);
        }
        adjacent_[v].clear();
        eliminated_[v] = true;
    }

    /// v's side does not depend on its neighbours: its arcs become their own costs.
    void fix(std::size_t v, bool source, std::vector<std::size_t>& work) {
        constant_ += source ? onSource_[v] : onSink_[v];
        for (const auto& [u, between] : adjacent_[v]) {
            if (source) onSink_[u] += between.out;  // u on the sink side cuts v -> u
            else onSource_[u] += between.in;        // u on the source side cuts u -> v
        }
        std::vector<std::size_t> neighbours;
        for (const auto& entry : adjacent_[v]) neighbours.push_back(entry.first);
        detach(v, work);
        for (std::size_t u : neighbours) normalize(u);
        steps_.push_back({v, kNone, kNone, source ? 0xFu : 0u});
    }

    /// v has one or two neighbours: the least of its two sides' costs, as a function of
    /// theirs, replaces it (a unary cost for one neighbour; unary costs and one arc for two).
    void marginalize(std::size_t v, std::vector<std::size_t>& work) {
        std::size_t ids[2] = {kNone, kNone};
        Between arcs[2];
        std::size_t k = 0;
        for (const auto& [u, between] : adjacent_[v]) {
            ids[k] = u;
            arcs[k++] = between;
        }
        // What v pays at side xv with its neighbours at x0, x1.
        auto local = [&](unsigned xv, unsigned x0, unsigned x1) {
            Capacity c = xv ? onSource_[v] : onSink_[v];
            const unsigned x[2] = {x0, x1};
            for (std::size_t i = 0; i < k; ++i) {
                if (xv && !x[i]) c += arcs[i].out;
                if (!xv && x[i]) c += arcs[i].in;
            }
            return c;
        };
        Capacity h[2][2] = {};
        unsigned choice = 0;
        for (unsigned x0 = 0; x0 < 2; ++x0)
            for (unsigned x1 = 0; x1 < (k == 2 ? 2u : 1u); ++x1) {
                const Capacity atSink = local(0, x0, x1), atSource = local(1, x0, x1);
                h[x0][x1] = std::min(atSink, atSource);
                if (atSource < atSink) choice |= 1u << (x0 * 2 + x1);  // a tie goes to the sink
            }
        detach(v, work);
        steps_.push_back({v, ids[0], ids[1], choice});
        constant_ += h[0][0];
        if (k == 1) {
            addLinear(ids[0], h[1][0] - h[0][0]);
            return;
        }
        // h = h00 + (h11 - h01)·x0 + (h01 - h00)·x1 + q·x0·(1 - x1), q = h10 + h01 - h11 - h00,
        // and q >= 0 because minimizing a submodular function over v keeps it submodular.
        const Capacity q = h[1][0] + h[0][1] - h[1][1] - h[0][0];
        assert(q >= 0);
        addLinear(ids[0], h[1][1] - h[0][1]);
        addLinear(ids[1], h[0][1] - h[0][0]);
        addArc(ids[0], ids[1], q);
    }

    std::vector<std::unordered_map<std::size_t, Between>> adjacent_;
    std::vector<Capacity> onSink_, onSource_;
    std::vector<Capacity> sumOut_, sumIn_;  // per node, its arcs' `out` and `in` added up
    std::vector<bool> eliminated_;
    std::vector<Elimination> steps_;
    Capacity constant_ = 0;
};

}  // namespace

Capacity reduceThenCut(const ScaledNetwork& network, std::vector<bool>& sourceSide, std::size_t& coreNodes) {
    Reducer reducer(network);
    reducer.run();
    return reducer.finish(sourceSide, coreNodes);
}

}  // namespace xdml::passes::cut
