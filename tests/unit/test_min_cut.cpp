// test_min_cut.cpp — the minimum cut with its reductions against plain push-relabel and against
// brute force: the same cost and the same (smallest) source side on hundreds of random small
// networks, with and without irreducible cores; chains, trees and fan-out ladders reduce fully.
#include "passes/MinCut.h"

#include <catch2/catch.hpp>

#include <random>

using namespace xdml;
using passes::CutEdge;

namespace {

struct Network {
    std::size_t n = 0;
    std::vector<CutEdge> edges;
    std::vector<double> onSink, onSource;
};

/// Compares minCut with minCutByMaxFlow; returns the core minCut left.
std::size_t checkAgainstMaxFlow(const Network& g) {
    std::vector<bool> reduced, reference;
    std::size_t core = 0;
    const double cost = passes::minCut(g.n, g.edges, g.onSink, g.onSource, reduced, &core);
    const double referenceCost = passes::minCutByMaxFlow(g.n, g.edges, g.onSink, g.onSource, reference);
    CHECK(cost == referenceCost);
    CHECK(reduced == reference);
    return core;
}

double costOf(const Network& g, const std::vector<bool>& source) {
    double c = 0;
    for (const CutEdge& e : g.edges)
        if (source[e.a] && !source[e.b]) c += e.weight;
    for (std::size_t v = 0; v < g.n; ++v) c += source[v] ? g.onSource[v] : g.onSink[v];
    return c;
}

/// Every labelling: the least cost, and the source side shared by every labelling that costs it.
void checkAgainstBruteForce(const Network& g) {
    double best = 1e300;
    std::vector<bool> common(g.n, true);
    for (unsigned mask = 0; mask < (1u << g.n); ++mask) {
        std::vector<bool> source(g.n);
        for (std::size_t v = 0; v < g.n; ++v) source[v] = (mask >> v) & 1;
        const double c = costOf(g, source);
        if (c < best) {
            best = c;
            common = source;
        } else if (c == best) {
            for (std::size_t v = 0; v < g.n; ++v) common[v] = common[v] && source[v];
        }
    }
    std::vector<bool> side;
    CHECK(passes::minCut(g.n, g.edges, g.onSink, g.onSource, side) == best);
    CHECK(side == common);
}

/// Weights are multiples of 1/2 so that every cost is exact and ties are frequent.
Network randomNetwork(std::mt19937& rng, std::size_t n, double arcChance, bool fixedEnds) {
    Network g;
    g.n = n;
    std::uniform_real_distribution<double> chance(0, 1);
    std::uniform_int_distribution<int> halves(1, 8);
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = 0; b < n; ++b)
            if (a != b && chance(rng) < arcChance) g.edges.push_back({a, b, halves(rng) / 2.0});
    if (n > 2 && chance(rng) < 0.3) g.edges.push_back(g.edges.empty() ? CutEdge{0, 1, 1} : g.edges.front());  // parallel
    for (std::size_t v = 0; v < n; ++v) {
        const double roll = chance(rng);
        g.onSink.push_back(roll < 0.25 ? halves(rng) / 2.0 : 0);
        g.onSource.push_back(roll > 0.7 ? halves(rng) / 2.0 : 0);
    }
    if (fixedEnds && n >= 2) {
        g.onSink[0] = 1e4;  // a fixed node: huge on the other side
        g.onSource[n - 1] = 1e4;
    }
    return g;
}

}  // namespace

TEST_CASE("a minimum cut with reductions equals plain max flow and brute force on random networks") {
    std::mt19937 rng(20261205);
    std::size_t withCore = 0, withoutCore = 0;
    for (int round = 0; round < 600; ++round) {
        INFO("round " << round);
        const std::size_t n = 1 + static_cast<std::size_t>(round % 12);
        const double density = round % 3 == 0 ? 0.15 : round % 3 == 1 ? 0.35 : 0.7;
        Network g = randomNetwork(rng, n, density, round % 2 == 0);
        (checkAgainstMaxFlow(g) > 0 ? withCore : withoutCore) += 1;
        checkAgainstBruteForce(g);
    }
    // Both paths ran many times: the reductions alone, and max flow on a core they left.
    CHECK(withCore >= 100);
    CHECK(withoutCore >= 100);
}

TEST_CASE("larger random networks: reductions and plain max flow agree") {
    std::mt19937 rng(7);
    for (int round = 0; round < 60; ++round) {
        INFO("round " << round);
        Network g = randomNetwork(rng, 40 + static_cast<std::size_t>(round), round % 2 ? 0.03 : 0.08, true);
        checkAgainstMaxFlow(g);
    }
}

TEST_CASE("a chain between two fixed nodes reduces completely") {
    Network g;
    g.n = 10000;
    g.onSink.assign(g.n, 0);
    g.onSource.assign(g.n, 0);
    g.onSink[0] = 1e9;
    g.onSource[g.n - 1] = 1e9;
    for (std::size_t v = 0; v + 1 < g.n; ++v) {
        const double w = 1 + static_cast<double>((v * 7919) % 1000);
        g.edges.push_back({v, v + 1, w});
        g.edges.push_back({v + 1, v, w});
    }
    CHECK(checkAgainstMaxFlow(g) == 0);
    std::vector<bool> side;
    CHECK(passes::minCut(g.n, g.edges, g.onSink, g.onSource, side) == 1);  // the lightest link, once
}

TEST_CASE("trees and fan-out ladders with a fixed hub reduce completely") {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> halves(1, 40);
    for (int round = 0; round < 20; ++round) {
        Network tree;
        tree.n = 2000;
        tree.onSink.assign(tree.n, 0);
        tree.onSource.assign(tree.n, 0);
        for (std::size_t v = 1; v < tree.n; ++v) {
            const std::size_t parent = std::uniform_int_distribution<std::size_t>(0, v - 1)(rng);
            tree.edges.push_back({parent, v, halves(rng) / 2.0});
            tree.edges.push_back({v, parent, halves(rng) / 2.0});
            if (v % 5 == 0) (v % 2 ? tree.onSink : tree.onSource)[v] = halves(rng) / 2.0;
        }
        CHECK(checkAgainstMaxFlow(tree) == 0);
    }
    // The shape of bench_compile's placement flow: a source fixed on one side feeding k parts,
    // folded by a ladder of merges into a record fixed on the other side.
    const std::size_t k = 3000;
    Network ladder;
    ladder.n = 2 * k + 2;
    const std::size_t source = 2 * k, record = 2 * k + 1;
    ladder.onSink.assign(ladder.n, 0);
    ladder.onSource.assign(ladder.n, 0);
    ladder.onSink[source] = 1e9;
    ladder.onSource[record] = 1e9;
    for (std::size_t i = 0; i < k; ++i) {
        ladder.edges.push_back({source, i, 16384});      // the frame to part i
        ladder.edges.push_back({i, k + i, 4});           // part i to merge i
        if (i > 0) ladder.edges.push_back({k + i - 1, k + i, 4});
    }
    ladder.edges.push_back({2 * k - 1, record, 24});
    CHECK(checkAgainstMaxFlow(ladder) == 0);
}

TEST_CASE("a grid, which the reductions cannot take apart, still gets the max flow's cut") {
    Network grid;
    const std::size_t side = 30;
    grid.n = side * side;
    grid.onSink.assign(grid.n, 0);
    grid.onSource.assign(grid.n, 0);
    for (std::size_t r = 0; r < side; ++r) {
        grid.onSink[r * side] = 50;                // the left column leans to the source side
        grid.onSource[r * side + side - 1] = 50;   // the right column to the sink side
        for (std::size_t c = 0; c < side; ++c) {
            const std::size_t v = r * side + c;
            const double w = 1 + static_cast<double>((v * 31) % 7);
            if (c + 1 < side) grid.edges.push_back({v, v + 1, w}), grid.edges.push_back({v + 1, v, w});
            if (r + 1 < side) grid.edges.push_back({v, v + side, w}), grid.edges.push_back({v + side, v, w});
        }
    }
    CHECK(checkAgainstMaxFlow(grid) > 0);
}
