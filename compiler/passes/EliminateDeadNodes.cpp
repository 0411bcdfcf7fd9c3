// EliminateDeadNodes.cpp — see EliminateDeadNodes.h.
#include "passes/EliminateDeadNodes.h"

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
    bool changed = false;
    std::vector<ir::NodeId> work;
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) work.push_back(id);
    while (!work.empty()) {
        ir::NodeId id = work.back();
        work.pop_back();
        ir::Node& n = ir.node(id);
        if (n.removed || !removable(n) || boost::out_degree(id, ir.graph) > 0) continue;
        // Also a region's body: a Region node counts as a use of nothing; body nodes of it
        // are removed like any other when unused.
        std::vector<ir::NodeId> inputs;
        for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e) inputs.push_back(boost::source(*e, ir.graph));
        ir.remove(id);
        changed = true;
        work.insert(work.end(), inputs.begin(), inputs.end());
    }
    return changed;
}

}  // namespace xdml::passes
