// FuseChains.cpp — see FuseChains.h.
#include "passes/FuseChains.h"

#include "ast/Ast.h"
#include "sema/Types.h"

#include <algorithm>

namespace xdml::passes {

using ir::Node;
using ir::NodeId;
using ir::NodeKind;

namespace {

bool fusible(const Node& n) {
    switch (n.kind) {
    case NodeKind::Call: case NodeKind::Eval: case NodeKind::Const: case NodeKind::Task:
    case NodeKind::Kernel: case NodeKind::Fused:
        return true;
    default: return false;
    }
}

/// Whether two policies can govern one activity: no clause set to two different values.
bool compatible(const ir::ResolvedPolicy& a, const ir::ResolvedPolicy& b) {
    for (const auto& [key, clause] : a) {
        auto it = b.find(key);
        if (it != b.end() && it->second.value != clause.value) return false;
    }
    return true;
}

/// The only data consumer of `id`, or kNoNode.
NodeId onlyConsumer(const ir::FlowIR& ir, NodeId id) {
    NodeId only = ir::kNoNode;
    for (auto [e, end] = boost::out_edges(id, ir.graph); e != end; ++e) {
        if (only != ir::kNoNode) return ir::kNoNode;
        only = boost::target(*e, ir.graph);
    }
    return only;
}

bool isTensor(const sema::Type* t) {
    t = sema::structure(t);
    return t && t->kind == sema::TypeKind::Tensor;
}

/// The elementwise tensor operations and reductions of an expression, fn bodies inlined, in
/// evaluation order; false when something else (a task, a model, an effect) is in it.
bool kernelOps(const ast::Expr* e, std::vector<std::string>& ops, bool inlineFns, int depth = 0) {
    if (!e || depth > 32) return false;
    using ast::ExprKind;
    switch (e->kind) {
    case ExprKind::IntLit: case ExprKind::FloatLit: case ExprKind::BoolLit: case ExprKind::Ident:
        return true;
    case ExprKind::Unary: case ExprKind::Binary: case ExprKind::Ternary:
        for (const auto& op : e->operands)
            if (!kernelOps(op.get(), ops, inlineFns, depth + 1)) return false;
        if (isTensor(e->type))
            ops.push_back(e->kind == ExprKind::Binary ? ast::spelling(e->binaryOp)
                          : e->kind == ExprKind::Unary ? ast::spelling(e->unaryOp)
                                                       : "?:");
        return true;
    case ExprKind::Index:
        if (!kernelOps(e->callee.get(), ops, inlineFns, depth + 1)) return false;
        if (isTensor(e->type)) ops.push_back("slice");
        return true;
    case ExprKind::Call: {
        const ast::Expr* callee = e->callee.get();
        for (const ast::Arg& a : e->args)
            if (!kernelOps(a.value.get(), ops, inlineFns, depth + 1)) return false;
        // A fn's body is inlined into the kernel of its own call; elsewhere a fn call is its
        // own node, so an expression that contains one is not a kernel.
        if (callee->binding == ast::Binding::Global && callee->decl && callee->decl->kind == ast::DeclKind::Fn)
            return inlineFns && kernelOps(callee->decl->value.get(), ops, true, depth + 1);
        if (callee->binding != ast::Binding::Builtin) return false;
        static const char* kernelBuiltins[] = {"sum", "mean", "max", "min", "count", "argmax", "abs", "sqrt",
                                               "exp", "log", "clamp", "noise", "zeros"};
        if (std::find(std::begin(kernelBuiltins), std::end(kernelBuiltins), callee->text) == std::end(kernelBuiltins))
            return false;
        bool onTensor = !e->args.empty() && isTensor(e->args[0].value->type);
        if (onTensor || isTensor(e->type)) ops.push_back(callee->text);
        return true;
    }
    default: return false;
    }
}

/// Turns a call or expression node into a Kernel node when it is a tensor loop.
bool makeKernel(Node& n) {
    if ((n.kind != NodeKind::Call && n.kind != NodeKind::Eval) || !n.expr) return false;
    std::vector<std::string> ops;
    if (!kernelOps(n.expr, ops, n.kind == NodeKind::Call) || ops.empty()) return false;
    n.members.clear();
    if (n.kind == NodeKind::Call) n.members.push_back("fn " + n.label);
    for (const std::string& op : ops) n.members.push_back(op);
    n.kind = NodeKind::Kernel;
    return true;
}

/// Merges `from` into its only consumer `into`: `into` takes `from`'s inputs.
void mergeInto(ir::FlowIR& ir, NodeId from, NodeId into) {
    Node& a = ir.node(from);
    Node& b = ir.node(into);
    std::vector<std::string> members = a.members.empty() ? std::vector<std::string>{std::string(ir::kindName(a.kind)) + " " + a.label} : a.members;
    std::vector<std::string> tail = b.members.empty() ? std::vector<std::string>{std::string(ir::kindName(b.kind)) + " " + b.label} : b.members;
    members.insert(members.end(), tail.begin(), tail.end());
    bool allKernels = (a.kind == NodeKind::Kernel || a.kind == NodeKind::Const) && b.kind == NodeKind::Kernel;
    b.members = members;
    b.fusedFrom.push_back(a.where);
    b.fusedFrom.insert(b.fusedFrom.end(), a.fusedFrom.begin(), a.fusedFrom.end());
    b.pure = a.pure && b.pure;
    b.policy.insert(a.policy.begin(), a.policy.end());  // compatible: adds what b lacks
    b.label = a.label + " + " + b.label;
    b.kind = allKernels ? NodeKind::Kernel : NodeKind::Fused;
    std::vector<std::pair<NodeId, ir::Edge>> inputs;
    for (auto [e, end] = boost::in_edges(from, ir.graph); e != end; ++e)
        inputs.push_back({boost::source(*e, ir.graph), ir.graph[*e]});
    ir.remove(from);
    for (const auto& [source, edge] : inputs) ir.connect(source, into, edge.bytes, edge.type);
}

}  // namespace

bool fuseChains(ir::FlowIR& ir, Diagnostics&) {
    bool changed = false;
    for (NodeId id = 0; id < ir.nodeCount(); ++id)
        if (!ir.node(id).removed) changed = makeKernel(ir.node(id)) || changed;
    // Chains: repeat until no producer can merge into its only consumer.
    for (bool merged = true; merged;) {
        merged = false;
        for (NodeId id = 0; id < ir.nodeCount(); ++id) {
            const Node& n = ir.node(id);
            if (n.removed || !fusible(n) || n.handler < 0) continue;
            NodeId next = onlyConsumer(ir, id);
            if (next == ir::kNoNode) continue;
            const Node& m = ir.node(next);
            if (!fusible(m) || m.handler != n.handler || m.site != n.site || m.region != n.region) continue;
            // One activity has one policy: nodes whose clauses disagree stay apart.
            if (!compatible(n.policy, m.policy)) continue;
            mergeInto(ir, id, next);
            merged = changed = true;
        }
    }
    for (NodeId id = 0; id < ir.nodeCount(); ++id) {
        Node& n = ir.node(id);
        if (!n.removed && n.persist && n.kind != NodeKind::Record) {
            n.persist = false;
            changed = true;
        }
    }
    return changed;
}

}  // namespace xdml::passes
