// PassDecisions.h — what the pass pipeline decided about each source expression of a flow,
// read off the optimized IR: removed as unused, folded to a constant, or run inside a fused
// chain of tasks. The plan's code is written through it (Code.h), so the program the runtime
// runs is the one the passes produced, not the one the user wrote (docs/plan.md, "Code").
#pragma once

#include "ir/Graph.h"
#include "sema/Sema.h"

#include <unordered_map>

namespace xdml::plan {

class PassDecisions {
public:
    /// Indexes the IR's nodes by the expression each was lowered from. O(V).
    explicit PassDecisions(const ir::FlowIR& ir);

    /// The expression's node was removed by eliminate-dead-nodes: nothing uses its value.
    bool eliminated(const ast::Expr* e) const;
    /// The whole expression is unused: its node and every node lowered from a part of it
    /// were removed as unused (a statement computing it can go).
    bool unused(const ast::Expr* e) const;
    /// The value fold-constants gave the expression, when it folded one this code can hold
    /// as a literal; unknown otherwise.
    sema::ConstValue folded(const ast::Expr* e) const;
    /// The fused node that runs the expression's node as part of a chain with tasks in it
    /// (fuse-chains), or kNoNode.
    ir::NodeId taskChain(const ast::Expr* e) const;
    /// Whether the expression is a task or model call outside `chain` (a call that a job of
    /// `chain` must not wait for: the calls it would wait on would run on other workers).
    bool callsOutside(const ast::Expr* e, ir::NodeId chain) const;
    const ir::FlowIR& ir() const { return ir_; }

private:
    const ir::Node* nodeOf(const ast::Expr* e) const;
    ir::NodeId survivor(ir::NodeId id) const;
    /// A task node, or a fused node with a task among what it merged.
    bool hasTask(ir::NodeId id) const;

    const ir::FlowIR& ir_;
    std::unordered_map<const ast::Expr*, ir::NodeId> byExpr_;
    std::vector<bool> runsTask_;  // node -> it was lowered as a task call, or one merged into it
};

}  // namespace xdml::plan
