// LowerStatements.cpp — lowering of statements: lets, effects (emit, record, train, log,
// transfer) and structured statements (if, for, until) as Region nodes over their bodies.
#include "ir/Lowering.h"

#include "ir/Lower.h"
#include "sema/Types.h"

namespace xdml::ir {

using namespace ast;
using sema::Type;
using sema::TypeKind;

ResolvedPolicy Lowering::policyFor(const Stmt* st, const Decl* task) {
    ResolvedPolicy pol = flowPolicy_;
    if (task) policies_.addClauses(pol, task->policy ? &*task->policy : nullptr);
    if (st) policies_.addClauses(pol, st->policy ? &*st->policy : nullptr);
    return pol;
}

void Lowering::statement(const Stmt& st) {
    current_ = &st;
    switch (st.kind) {
    case StmtKind::Let: {
        NodeId v = value(st.value.get());
        env_.back()[st.name.text] = v;
        break;
    }
    case StmtKind::Emit: {
        NodeId v = value(st.value.get());
        auto target = ir_.streams.find(st.target.text);
        Node n = effect(NodeKind::Emit, st, st.target.text);
        n.persist = true;  // a naive pipeline writes every phase's output
        if (target != ir_.streams.end()) {
            n.type = ir_.node(target->second).type;
            n.bytes = ir_.node(target->second).bytes;
        }
        NodeId e = addNode(std::move(n));
        input(v, e);
        if (target != ir_.streams.end()) ir_.connect(e, target->second, ir_.node(e).bytes, ir_.node(e).type);
        break;
    }
    case StmtKind::Record: {
        NodeId v = value(st.value.get());
        auto cat = ir_.catalogs.find(st.target.text);
        Node n = effect(NodeKind::Record, st, st.target.text);
        if (cat != ir_.catalogs.end()) {
            n.type = ir_.node(cat->second).type;
            n.bytes = bytesOf(n.type);
        }
        NodeId r = addNode(std::move(n));
        input(v, r);
        if (cat != ir_.catalogs.end()) ir_.connect(r, cat->second, ir_.node(r).bytes, ir_.node(r).type);
        break;
    }
    case StmtKind::Train: {
        Node n = effect(NodeKind::Train, st, st.name.text + " on " + st.target.text);
        NodeId t = addNode(std::move(n));
        auto s = ir_.streams.find(st.target.text);
        if (s != ir_.streams.end()) {
            const Handler& h = ir_.handlers[static_cast<std::size_t>(handler_)];
            uint64_t items = h.kind == Handler::Kind::Data ? static_cast<uint64_t>(h.every) : 1;
            ir_.connect(s->second, t, items * ir_.node(s->second).bytes, ir_.node(s->second).type);
        }
        auto m = ir_.models.find(st.name.text);
        if (m != ir_.models.end()) ir_.connect(t, m->second, 0, nullptr);
        break;
    }
    case StmtKind::Log: {
        Node n = effect(NodeKind::Log, st, shortText(*st.value));
        n.expr = st.value.get();
        NodeId l = addNode(std::move(n));
        for (const StringPart& part : st.value->parts)
            if (part.expr) input(value(part.expr.get()), l);
        break;
    }
    case StmtKind::Transfer: {
        NodeId v = value(st.value.get());
        Node n = effect(NodeKind::Transfer, st, "to " + st.target.text);
        n.toSite = st.target.text;
        n.site = st.target.text;
        n.siteFixed = true;
        n.placement.reason = "an explicit transfer";
        if (v != kNoNode) {
            n.type = ir_.node(v).type;
            n.bytes = ir_.node(v).bytes;
        }
        NodeId t = addNode(std::move(n));
        input(v, t);
        break;
    }
    case StmtKind::If:
    case StmtKind::For:
    case StmtKind::Until: region(st); break;
    case StmtKind::ExprStmt: value(st.value.get()); break;
    case StmtKind::Return:
    case StmtKind::OnNewData:
    case StmtKind::OnEnd:
    case StmtKind::OnStop: break;
    }
}

Node Lowering::effect(NodeKind kind, const Stmt& st, std::string label) {
    Node n;
    n.kind = kind;
    n.label = std::move(label);
    n.where = st.range;
    policies_.place(n, policyFor(&st, nullptr), triggerSite_);
    return n;
}

void Lowering::region(const Stmt& st) {
    NodeId cond = value(st.value.get());
    Node r;
    r.kind = NodeKind::Region;
    r.label = st.kind == StmtKind::If ? "if" : st.kind == StmtKind::For ? "for " + st.name.text : "until";
    r.where = st.range;
    r.expr = st.value.get();
    r.pure = true;
    if (st.kind == StmtKind::For) {
        r.type = st.boundType;
        r.bytes = bytesOf(st.boundType);
    }
    policies_.place(r, policyFor(&st, nullptr), triggerSite_);
    NodeId id = addNode(std::move(r));
    input(cond, id);
    NodeId outer = region_;
    region_ = id;
    // A `for` body runs once per element: `every N` groups have N, other lists are
    // estimated at 16 (as their bytes are). An `until` body counts once.
    const double outerRate = rate_;
    if (st.kind == StmtKind::For) {
        const Handler& h = ir_.handlers[static_cast<std::size_t>(handler_)];
        double iterations = cond == trigger() && h.every > 1 ? static_cast<double>(h.every) : 16;
        rate_ = outerRate * iterations;
    }
    auto block = [&](const Block& b) {
        env_.emplace_back();
        if (st.kind == StmtKind::For) env_.back()[st.name.text] = id;
        for (const StmtPtr& s : b)
            if (s) statement(*s);
        env_.pop_back();
    };
    block(st.body);
    if (st.hasElse) block(st.elseBody);
    region_ = outer;
    rate_ = outerRate;
}

}  // namespace xdml::ir
