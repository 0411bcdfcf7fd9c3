// FoldConstants.cpp — see FoldConstants.h.
#include "passes/FoldConstants.h"

#include "ast/Ast.h"
#include "sema/Sema.h"

#include <utility>

namespace xdml::passes {

bool foldConstants(ir::FlowIR& ir, Diagnostics&) {
    bool changed = false;
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) {
        ir::Node& n = ir.node(id);
        if (n.removed || n.kind != ir::NodeKind::Eval || !n.expr || boost::in_degree(id, ir.graph) > 0) continue;
        sema::ConstValue v = sema::evaluateConstant(*ir.program, n.expr);
        if (!v.known()) continue;
        n.kind = ir::NodeKind::Const;
        n.constant = std::move(v);  // the plan writes it as a literal (plan/PassDecisions)
        changed = true;
    }
    return changed;
}

}  // namespace xdml::passes
