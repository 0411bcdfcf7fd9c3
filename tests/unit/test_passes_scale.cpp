// test_passes_scale.cpp — the linear passes against the one-merge-at-a-time, one-removal-at-a-
// time algorithms they replaced: the same IR (members, labels, ranges, edge order) on random
// graphs; fusedInto names each merged node's survivor; a long chain fuses into one node.
#include "TestSupport.h"
#include "driver/CompileToPlan.h"
#include "ir/Printer.h"
#include "passes/EliminateDeadNodes.h"
#include "passes/FuseChains.h"

#include <catch2/catch.hpp>

#include <random>
#include <sstream>

using namespace xdml;
using ir::NodeId;
using ir::NodeKind;

namespace {

bool fusible(const ir::Node& n) {
    switch (n.kind) {
    case NodeKind::Call: case NodeKind::Eval: case NodeKind::Const: case NodeKind::Task:
    case NodeKind::Kernel: case NodeKind::Fused:
        return true;
    default: return false;
    }
}

/// fuse-chains' merging as it was written first (quadratic): merge one producer into its only
/// consumer at a time, in node-id order, until none merges.
void referenceFusion(ir::FlowIR& ir) {
    auto compatible = [](const ir::ResolvedPolicy& a, const ir::ResolvedPolicy& b) {
        for (const auto& [key, clause] : a) {
            auto it = b.find(key);
            if (it != b.end() && it->second.value != clause.value) return false;
        }
        return true;
    };
    auto own = [](const ir::Node& n) {
        return n.members.empty() ? std::vector<std::string>{std::string(ir::kindName(n.kind)) + " " + n.label} : n.members;
    };
    for (bool merged = true; merged;) {
        merged = false;
        for (NodeId id = 0; id < ir.nodeCount(); ++id) {
            const ir::Node& n = ir.node(id);
            if (n.removed || !fusible(n) || n.handler < 0 || boost::out_degree(id, ir.graph) != 1) continue;
            NodeId next = boost::target(*boost::out_edges(id, ir.graph).first, ir.graph);
            ir::Node& m = ir.node(next);
            if (!fusible(m) || m.handler != n.handler || m.site != n.site || m.region != n.region || !compatible(n.policy, m.policy))
                continue;
            ir::Node& a = ir.node(id);
            std::vector<std::string> members = own(a), tail = own(m);
            members.insert(members.end(), tail.begin(), tail.end());
            const bool allKernels = (a.kind == NodeKind::Kernel || a.kind == NodeKind::Const) && m.kind == NodeKind::Kernel;
            m.members = members;
            m.fusedFrom.push_back(a.where);
            m.fusedFrom.insert(m.fusedFrom.end(), a.fusedFrom.begin(), a.fusedFrom.end());
            m.pure = a.pure && m.pure;
            m.policy.insert(a.policy.begin(), a.policy.end());
            m.label = a.label + " + " + m.label;
            m.kind = allKernels ? NodeKind::Kernel : NodeKind::Fused;
            std::vector<std::pair<NodeId, ir::Edge>> inputs;
            for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e)
                inputs.push_back({boost::source(*e, ir.graph), ir.graph[*e]});
            ir.remove(id);
            for (const auto& [source, edge] : inputs) ir.connect(source, next, edge.bytes, edge.type);
            merged = true;
        }
    }
}

/// A random IR: a few handlers, two sites, two regions, policies that sometimes disagree,
/// fusible and unfusible nodes, fan-in, fan-out and parallel edges, edges towards higher ids
/// mostly (as lowering makes them) and sometimes back to an unfusible node.
ir::FlowIR randomIR(std::mt19937& random, std::size_t nodes) {
    ir::FlowIR ir;
    ir.sites = {{"a", 1, 0, 0, 0, false}, {"b", 1, 0, 0, 0, false}};
    ir.handlers.resize(3);
    const NodeKind kinds[] = {NodeKind::Call, NodeKind::Eval, NodeKind::Task, NodeKind::Const, NodeKind::Kernel,
                              NodeKind::Emit, NodeKind::Log};
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    std::vector<NodeId> ids;
    for (std::size_t i = 0; i < nodes; ++i) {
        ir::Node n;
        n.kind = kinds[pick(7)];
        n.label = "n" + std::to_string(i);
        n.where.begin.line = static_cast<uint32_t>(i + 1);
        n.handler = pick(10) == 0 ? -1 : static_cast<int>(pick(2));
        n.site = pick(8) == 0 ? "b" : "a";
        n.pure = pick(3) != 0;
        if (n.kind == NodeKind::Kernel) n.members = {"op" + std::to_string(i)};
        if (n.kind == NodeKind::Const) {
            n.constant.kind = sema::ConstValue::Kind::Int;
            n.constant.i = 1;
        }
        if (pick(6) == 0) n.policy["deadline"] = ir::Clause{pick(2) ? "1s" : "2s", {}, "inline policy", nullptr};
        if (pick(6) == 0) n.policy["retries"] = ir::Clause{"2", {}, "inline policy", nullptr};
        ids.push_back(ir.add(std::move(n)));
    }
    for (std::size_t i = 0; i < nodes; ++i) {
        const std::size_t outs = pick(5) == 0 ? 2 + pick(3) : 1;
        for (std::size_t k = 0; k < outs && i + 1 < nodes; ++k) {
            const std::size_t to = pick(12) == 0 ? pick(nodes) : i + 1 + pick(std::min<std::size_t>(4, nodes - i - 1));
            // Lowering makes cycles only through shared nodes (streams): never of fusible nodes.
            if (to == i || (to < i && fusible(ir.node(to)))) continue;
            ir.connect(i, to, i + 10 * k, nullptr);
        }
    }
    return ir;
}

std::string describe(const ir::FlowIR& ir) {
    std::ostringstream out;
    ir::printIR(out, ir);
    for (NodeId id = 0; id < ir.nodeCount(); ++id) {
        const ir::Node& n = ir.node(id);
        if (n.removed) continue;
        out << "n" << id << " from";
        for (const SourceRange& r : n.fusedFrom) out << " " << r.begin.line;
        out << " outputs";
        for (auto [e, end] = boost::out_edges(id, ir.graph); e != end; ++e)
            out << " n" << boost::target(*e, ir.graph) << "/" << ir.graph[*e].bytes;
        out << "\n";
    }
    return out.str();
}

}  // namespace

TEST_CASE("fuse-chains gives the IR that merging one node at a time gives") {
    std::mt19937 random(16);
    for (int round = 0; round < 300; ++round) {
        ir::FlowIR fast = randomIR(random, 5 + static_cast<std::size_t>(round % 60));
        ir::FlowIR slow = fast;
        SourceManager sources;
        Diagnostics diags(sources);
        passes::fuseChains(fast, diags);
        referenceFusion(slow);
        for (NodeId id = 0; id < slow.nodeCount(); ++id)
            if (slow.node(id).persist && slow.node(id).kind != NodeKind::Record) slow.node(id).persist = false;
        INFO("round " << round);
        REQUIRE(describe(fast) == describe(slow));
        for (NodeId id = 0; id < fast.nodeCount(); ++id) {
            const ir::Node& n = fast.node(id);
            if (n.fusedInto == ir::kNoNode) continue;
            REQUIRE(n.removed);
            const ir::Node& survivor = fast.node(n.fusedInto);
            REQUIRE_FALSE(survivor.removed);
            REQUIRE((survivor.kind == NodeKind::Fused || survivor.kind == NodeKind::Kernel));
        }
    }
}

TEST_CASE("eliminate-dead-nodes removes what removing one node at a time removes") {
    std::mt19937 random(7);
    for (int round = 0; round < 200; ++round) {
        ir::FlowIR fast = randomIR(random, 5 + static_cast<std::size_t>(round % 50));
        ir::FlowIR slow = fast;
        SourceManager sources;
        Diagnostics diags(sources);
        passes::eliminateDeadNodes(fast, diags);
        // As first written: a work list, removing each dead node and its edges at once.
        std::vector<NodeId> work;
        for (NodeId id = 0; id < slow.nodeCount(); ++id) work.push_back(id);
        while (!work.empty()) {
            NodeId id = work.back();
            work.pop_back();
            const ir::Node& n = slow.node(id);
            const bool removable = (n.kind == NodeKind::Eval || n.kind == NodeKind::Const || n.kind == NodeKind::Call ||
                                    n.kind == NodeKind::Kernel || n.kind == NodeKind::Fused) && n.pure;
            if (n.removed || !removable || boost::out_degree(id, slow.graph) > 0) continue;
            for (auto [e, end] = boost::in_edges(id, slow.graph); e != end; ++e) work.push_back(boost::source(*e, slow.graph));
            slow.remove(id);
        }
        INFO("round " << round);
        REQUIRE(describe(fast) == describe(slow));
        for (NodeId id = 0; id < fast.nodeCount(); ++id) REQUIRE(fast.node(id).fusedInto == ir::kNoNode);
    }
}

TEST_CASE("a chain of 3000 dependent task calls fuses into one node that every merged call names") {
    std::string text = "fn reading(i: int) -> float = 0.5 * i;\n"
                       "stream readings: float from generate(reading, 10);\n"
                       "task step(x: float) -> float { return x + 1.0; }\n"
                       "flow chain {\n    on new data of type float in readings as r {\n        let v0 = step(r);\n";
    const int n = 3000;
    for (int i = 1; i < n; ++i) text += "        let v" + std::to_string(i) + " = step(v" + std::to_string(i - 1) + ");\n";
    text += "        log \"{v" + std::to_string(n - 1) + "}\";\n    }\n}\n";
    auto c = test::compileText(text);
    REQUIRE(c->errors().empty());
    driver::CompileOptions options;
    options.plan = false;
    driver::CompiledFlow compiled = driver::compileToPlan(*c->program, options, *c->diags);
    REQUIRE(compiled.ok());
    std::vector<NodeId> fused, merged;
    for (NodeId id = 0; id < compiled.ir.nodeCount(); ++id) {
        const ir::Node& node = compiled.ir.node(id);
        if (!node.removed && node.kind == NodeKind::Fused) fused.push_back(id);
        if (node.fusedInto != ir::kNoNode) merged.push_back(id);
    }
    REQUIRE(fused.size() == 1);
    const ir::Node& chain = compiled.ir.node(fused[0]);
    CHECK(chain.members.size() == n);
    CHECK(chain.members.front() == "task step");
    CHECK(chain.fusedFrom.size() == n - 1);
    CHECK(merged.size() == n - 1);
    for (NodeId id : merged) CHECK(compiled.ir.node(id).fusedInto == fused[0]);
}
