// FuseChains.cpp — see FuseChains.h.
#include "passes/FuseChains.h"

#include "ast/Ast.h"
#include "ir/Rewire.h"
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

/// The chains, merged without copying: a merge of a producer into its consumer is O(1) here
/// (linked lists of merged nodes, of source ranges and of input edges), and the fused members,
/// labels, ranges and edges are written once at the end. Merges happen in the order, and with
/// the results, of merging one node at a time in node-id order, moving the producer's inputs
/// to its consumer: what the plan and the printers show depends on it.
class ChainFusion {
public:
    explicit ChainFusion(ir::FlowIR& ir);

    /// One sweep in node-id order merges every fusible producer into its only consumer. A
    /// node that cannot merge when its turn comes never can: out-degrees stay, a consumer that
    /// is not fusible or lives elsewhere stays so, and policies only gain clauses.
    bool run() {
        for (NodeId id = 0; id < n_; ++id) {
            Node& n = ir_.node(id);
            if (n.removed || !fusible(n) || n.handler < 0 || outSlot_[id] == kNone) continue;
            const NodeId next = survivor(slots_[outSlot_[id]].to);
            if (next == id) continue;
            Node& m = ir_.node(next);
            if (!fusible(m) || m.handler != n.handler || m.site != n.site || m.region != n.region) continue;
            // One activity has one policy: nodes whose clauses disagree stay apart.
            if (!compatible(n.policy, m.policy)) continue;
            merge(id, next);
        }
        if (merged_.empty()) return false;
        writeFusedNodes();
        writeEdges();
        return true;
    }

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

    /// An input edge, as it was when the pass began; it moves from list to list as its
    /// consumer merges.
    struct Slot {
        NodeId from, to;  // `to`: the consumer it had when the pass began
        ir::Edge edge;
        std::size_t prev = kNone, next = kNone;
    };
    struct List {
        std::size_t head = kNone, tail = kNone;
    };

    /// Chunk 2*id stands for the node's own fusedFrom, chunk 2*id+1 for its own range.
    static std::size_t ownRanges(NodeId id) { return 2 * id; }
    static std::size_t ownWhere(NodeId id) { return 2 * id + 1; }

    NodeId survivor(NodeId id) {
        NodeId root = id;
        while (root_[root] != ir::kNoNode) root = root_[root];
        while (root_[id] != ir::kNoNode) {
            const NodeId up = root_[id];
            root_[id] = root;
            id = up;
        }
        return root;
    }

    void unlink(List& list, std::size_t s) {
        Slot& slot = slots_[s];
        (slot.prev == kNone ? list.head : slots_[slot.prev].next) = slot.next;
        (slot.next == kNone ? list.tail : slots_[slot.next].prev) = slot.prev;
        slot.prev = slot.next = kNone;
    }

    void append(List& list, List& more) {
        if (more.head == kNone) return;
        if (list.head == kNone) list.head = more.head;
        else {
            slots_[list.tail].next = more.head;
            slots_[more.head].prev = list.tail;
        }
        list.tail = more.tail;
        more = List{};
    }

    void merge(NodeId from, NodeId into);
    void writeFusedNodes();
    void writeEdges();

    ir::FlowIR& ir_;
    const std::size_t n_;
    std::vector<NodeId> root_;           // union-find towards the survivor
    std::vector<NodeId> mergedInto_;     // the node it merged into; kNoNode: not merged
    std::vector<NodeId> merged_;         // merged nodes, in merge order
    std::vector<std::size_t> step_;      // a merged node's place in merged_
    std::vector<bool> receivedMerge_;
    std::vector<NodeKind> kind_;         // before any merge
    std::vector<NodeId> leafNext_, leafHead_, leafTail_;  // merged nodes, in member order
    std::vector<std::size_t> chunkNext_, chunkHead_, chunkTail_;  // source ranges, in order
    std::vector<Slot> slots_;
    std::vector<List> inputs_;           // a node's input slots, in input order
    std::vector<std::size_t> outSlot_;   // the slot of a node's only output edge
};

ChainFusion::ChainFusion(ir::FlowIR& ir)
    : ir_(ir), n_(ir.nodeCount()), root_(n_, ir::kNoNode), mergedInto_(n_, ir::kNoNode), step_(n_, 0),
      receivedMerge_(n_, false), kind_(n_), leafNext_(n_, ir::kNoNode), leafHead_(n_), leafTail_(n_),
      chunkNext_(2 * n_, kNone), chunkHead_(n_), chunkTail_(n_), inputs_(n_), outSlot_(n_, kNone) {
    for (NodeId id = 0; id < n_; ++id) {
        kind_[id] = ir.node(id).kind;
        leafHead_[id] = leafTail_[id] = id;
        chunkHead_[id] = chunkTail_[id] = ownRanges(id);
        for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e) {
            const NodeId from = boost::source(*e, ir.graph);
            slots_.push_back({from, id, ir.graph[*e]});
            const std::size_t s = slots_.size() - 1;
            List one{s, s};
            append(inputs_[id], one);
            if (boost::out_degree(from, ir.graph) == 1) outSlot_[from] = s;
        }
    }
}

/// `from` merges into `into`: its members and label go first, its source ranges after
/// `into`'s, its inputs after `into`'s (less the edge between them); kind, purity and policy
/// become those of one activity of both.
void ChainFusion::merge(NodeId from, NodeId into) {
    Node& a = ir_.node(from);
    Node& b = ir_.node(into);
    const bool allKernels = (a.kind == NodeKind::Kernel || a.kind == NodeKind::Const) && b.kind == NodeKind::Kernel;
    b.kind = allKernels ? NodeKind::Kernel : NodeKind::Fused;
    b.pure = a.pure && b.pure;
    b.policy.insert(a.policy.begin(), a.policy.end());  // compatible: adds what b lacks
    a.removed = true;
    root_[from] = mergedInto_[from] = into;
    step_[from] = merged_.size();
    merged_.push_back(from);
    receivedMerge_[into] = true;
    leafNext_[leafTail_[from]] = leafHead_[into];
    leafHead_[into] = leafHead_[from];
    chunkNext_[chunkTail_[into]] = ownWhere(from);
    chunkNext_[ownWhere(from)] = chunkHead_[from];
    chunkTail_[into] = chunkTail_[from];
    unlink(inputs_[into], outSlot_[from]);
    append(inputs_[into], inputs_[from]);
}

void ChainFusion::writeFusedNodes() {
    // A node's members before any merge into it: what it fused already, or itself.
    std::vector<std::vector<std::string>> ownMembers(n_);
    for (NodeId id = 0; id < n_; ++id) {
        if (mergedInto_[id] == ir::kNoNode && !receivedMerge_[id]) continue;
        const Node& n = ir_.node(id);
        ownMembers[id] = n.members.empty() ? std::vector<std::string>{std::string(ir::kindName(kind_[id])) + " " + n.label}
                                           : n.members;
    }
    // Each survivor's members, label and ranges, written once. A node merged away keeps its
    // own; fusedInto names the node it ended in.
    for (NodeId id = 0; id < n_; ++id) {
        if (mergedInto_[id] != ir::kNoNode) ir_.node(id).fusedInto = survivor(id);
        if (mergedInto_[id] != ir::kNoNode || !receivedMerge_[id]) continue;
        std::vector<std::string> members;
        std::string label;
        for (NodeId leaf = leafHead_[id]; leaf != ir::kNoNode; leaf = leafNext_[leaf]) {
            for (std::string& m : ownMembers[leaf]) members.push_back(std::move(m));
            label += (label.empty() ? "" : " + ") + ir_.node(leaf).label;
        }
        std::vector<SourceRange> ranges;
        for (std::size_t c = chunkHead_[id]; c != kNone; c = chunkNext_[c]) {
            const Node& owner = ir_.node(c / 2);
            if (c == ownWhere(c / 2)) ranges.push_back(owner.where);
            else ranges.insert(ranges.end(), owner.fusedFrom.begin(), owner.fusedFrom.end());
        }
        Node& n = ir_.node(id);
        n.members = std::move(members);
        n.fusedFrom = std::move(ranges);
        n.label = std::move(label);
    }
}

void ChainFusion::writeEdges() {
    // Merging one node at a time re-adds a merged node's inputs to its consumer: a redirected
    // edge comes after every edge kept, in the order of its last move (the merge of the node
    // just before its survivor), ties in the survivor's input order. Steps grow towards the
    // survivor, so the last move of a merged node's inputs is found from its consumer's.
    std::vector<std::size_t> lastMove(n_, 0);
    for (auto it = merged_.rbegin(); it != merged_.rend(); ++it) {
        const NodeId into = mergedInto_[*it];
        lastMove[*it] = mergedInto_[into] == ir::kNoNode ? step_[*it] : lastMove[into];
    }
    std::vector<std::size_t> position(slots_.size(), 0);
    for (NodeId id = 0; id < n_; ++id) {
        if (!receivedMerge_[id] || mergedInto_[id] != ir::kNoNode) continue;
        std::size_t at = 0;
        for (std::size_t s = inputs_[id].head; s != kNone; s = slots_[s].next) position[s] = at++;
    }
    std::vector<std::size_t> moved;
    for (std::size_t s = 0; s < slots_.size(); ++s)
        if (mergedInto_[slots_[s].to] != ir::kNoNode && mergedInto_[slots_[s].from] == ir::kNoNode) moved.push_back(s);
    std::sort(moved.begin(), moved.end(), [&](std::size_t x, std::size_t y) {
        const std::size_t mx = lastMove[slots_[x].to], my = lastMove[slots_[y].to];
        return mx != my ? mx < my : position[x] < position[y];
    });
    std::vector<ir::NewEdge> added;
    added.reserve(moved.size());
    for (std::size_t s : moved) added.push_back({slots_[s].from, survivor(slots_[s].to), slots_[s].edge});
    ir::rewireEdges(
        ir_, [&](NodeId from, NodeId to) { return mergedInto_[from] == ir::kNoNode && mergedInto_[to] == ir::kNoNode; },
        added);
}

}  // namespace

bool fuseChains(ir::FlowIR& ir, Diagnostics&) {
    bool changed = false;
    for (NodeId id = 0; id < ir.nodeCount(); ++id)
        if (!ir.node(id).removed) changed = makeKernel(ir.node(id)) || changed;
    changed = ChainFusion(ir).run() || changed;
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
