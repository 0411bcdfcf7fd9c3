// EliminateDeadNodes.cpp — see EliminateDeadNodes.h.
#include "passes/EliminateDeadNodes.h"

#include "ir/Rewire.h"

#include <vector>

namespace xdml::passes {

namespace {
bool removable(const ir::Node& n) {
    switch (n.kind) {
    case ir::NodeKind::Eval: case ir::NodeKind::Const: case ir::NodeKind::Call: case ir::NodeKind::Kernel:
        return n.pure;
    case ir::NodeKind::Fused: return n.pure;
    default: return false;
    }
}
}  // namespace

bool eliminateDeadNodes(ir::FlowIR& ir, Diagnostics&) {
    // What is dead does not depend on the order nodes are found in: a removable node whose
    // consumers are all dead. Count the consumers left, then remove every dead node at once.
    const std::size_t n = ir.nodeCount();
    std::vector<std::size_t> consumers(n);
    std::vector<bool> dead(n, false);
    std::vector<ir::NodeId> work;
    for (ir::NodeId id = 0; id < n; ++id) {
        consumers[id] = boost::out_degree(id, ir.graph);
        work.push_back(id);
    }
    bool changed = false;
    while (!work.empty()) {
        ir::NodeId id = work.back();
        work.pop_back();
        ir::Node& node = ir.node(id);
        if (dead[id] || node.removed || !removable(node) || consumers[id] > 0) continue;
        // Also a region's body: a Region node counts as a use of nothing; body nodes of it
        // are removed like any other when unused.
        dead[id] = true;
        node.removed = true;
        changed = true;
        for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e) {
            const ir::NodeId from = boost::source(*e, ir.graph);
            --consumers[from];
            work.push_back(from);
        }
    }
    if (changed) ir::rewireEdges(ir, [&](ir::NodeId from, ir::NodeId to) { return !dead[from] && !dead[to]; }, {});
    return changed;
}

}  // namespace xdml::passes
