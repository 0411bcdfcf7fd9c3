// Lower.cpp — checked AST to dataflow IR: one node per stream, catalog and model; per handler
// a trigger, and a node per call, expression, effect and structured statement of its body.
#include "ir/Lower.h"

#include "ir/PolicyPlacement.h"

#include "ast/AstPrinter.h"
#include "sema/Types.h"

#include <algorithm>
#include <set>

namespace xdml::ir {

using namespace ast;
using sema::Type;
using sema::TypeKind;

namespace {

std::string shortText(const Expr& e) {
    std::string s = printExpr(e);
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

class Lowering {
public:
    Lowering(const sema::CheckedProgram& program, Diagnostics& diags)
        : p_(program), diags_(diags), policies_(program, ir_.sites, diags) {}

    FlowIR run(const std::string& flowName) {
        ir_.program = &p_;
        if (!p_.modules.empty()) ir_.file = p_.modules.front()->path;
        declareSites();
        declareShared();
        for (const Decl* flow : declsOf(DeclKind::Flow))
            if (flowName.empty() || flow->name.text == flowName) lowerFlow(*flow);
        placeEmitFedStreams();
        return std::move(ir_);
    }

private:
    std::vector<const Decl*> declsOf(DeclKind kind) const {
        std::vector<const Decl*> out;
        for (const auto& m : p_.modules)
            for (const auto& d : m->decls)
                if (d->kind == kind && !d->name.text.empty()) out.push_back(d.get());
        return out;
    }

    void declareSites() {
        for (const Decl* d : declsOf(DeclKind::Site)) {
            const sema::SiteInfo& info = p_.sites.at(d);
            ir_.sites.push_back({d->name.text, info.cores, info.gpus, info.memory, info.storage, false});
        }
        if (ir_.sites.empty()) {
            // cores 0: all of the machine the flow runs on (the plan must not depend on where it
            // was compiled).
            Site local{"local", 0, 0, 0, 0, true};
            ir_.sites.push_back(local);
        }
        ir_.homeSite = ir_.sites.front().name;
        for (const Decl* d : declsOf(DeclKind::Link)) {
            Link l{d->name.text, d->to.text, 0, 0, d->bidirectional};
            if (d->properties)
                for (const Property& prop : d->properties->properties) {
                    if (prop.key.text == "bandwidth") l.bandwidth = prop.value->floatValue;
                    if (prop.key.text == "latency") l.latency = prop.value->floatValue;
                }
            ir_.links.push_back(l);
        }
    }

    /// Streams, catalogs and models: one node each, shared by every handler.
    void declareShared() {
        for (const Decl* d : declsOf(DeclKind::Stream)) {
            const sema::StreamInfo& info = p_.streams.at(d);
            Node n;
            n.kind = NodeKind::Source;
            n.label = d->name.text;
            n.where = d->name.range;
            n.type = info.element;
            n.bytes = bytesOf(info.element);
            n.decl = d;
            if (d->site) {
                n.site = d->site->text;
                n.siteFixed = true;
                n.placement.reason = "declared 'at " + n.site + "'";
            } else if (info.source != sema::StreamSource::Emit) {
                n.site = ir_.homeSite;
                n.siteFixed = true;
                n.placement.reason = "its items arrive at the home site";
            }
            const std::string name = n.label;
            ir_.streams[name] = ir_.add(std::move(n));
        }
        for (const Decl* d : declsOf(DeclKind::Catalog)) {
            Node n = shared(NodeKind::Catalog, *d, d->resolved);
            n.placement.reason = "catalogs live in the run's work directory, at the home site";
            ir_.catalogs[d->name.text] = ir_.add(std::move(n));
        }
        for (const Decl* d : declsOf(DeclKind::Model)) {
            Node n = shared(NodeKind::Model, *d, nullptr);
            n.placement.reason = "the home site";
            if (d->properties)
                for (const Property& prop : d->properties->properties)
                    if (prop.key.text == "at" && prop.value->kind == ExprKind::Ident) {
                        n.site = prop.value->text;
                        n.placement.reason = "declared 'at: " + n.site + "'";
                    }
            ir_.models[d->name.text] = ir_.add(std::move(n));
        }
    }

    /// A node every handler shares, at the home site until told otherwise.
    Node shared(NodeKind kind, const Decl& d, const Type* type) const {
        Node n;
        n.kind = kind;
        n.label = d.name.text;
        n.where = d.name.range;
        n.type = type;
        n.decl = &d;
        n.site = ir_.homeSite;
        n.siteFixed = true;
        return n;
    }

    // ------------------------------------------------------------ flows and handlers

    NodeId addNode(Node n) {
        n.handler = handler_;
        n.rate = rate_;
        n.region = region_;
        if (n.site.empty()) n.site = triggerSite_;
        return ir_.add(std::move(n));
    }

    void lowerFlow(const Decl& flow) {
        // Flow-level statements run once, when the flow starts, at the home site.
        Handler start;
        start.kind = Handler::Kind::Start;
        start.flow = flow.name.text;
        start.where = flow.name.range;
        policies_.addClauses(start.policy, flow.policy ? &*flow.policy : nullptr);
        beginHandler(start, ir_.homeSite, 0);
        Node s;
        s.kind = NodeKind::Start;
        s.label = flow.name.text;
        s.where = flow.name.range;
        s.site = ir_.homeSite;
        s.siteFixed = true;
        s.placement.reason = "flows start at the home site";
        ir_.handlers.back().trigger = addNode(std::move(s));
        env_.assign(1, {});
        for (const StmtPtr& st : flow.body)
            if (st && st->kind != StmtKind::OnNewData && st->kind != StmtKind::OnEnd) statement(*st);
        for (const StmtPtr& st : flow.body) {
            if (!st) continue;
            if (st->kind == StmtKind::OnNewData) onNewData(flow, *st);
            if (st->kind == StmtKind::OnEnd) onEnd(flow, *st);
        }
    }

    void beginHandler(Handler h, const std::string& site, double rate) {
        ir_.handlers.push_back(std::move(h));
        handler_ = static_cast<int>(ir_.handlers.size() - 1);
        flowPolicy_ = ir_.handlers.back().policy;
        triggerSite_ = site;
        rate_ = rate;
        region_ = kNoNode;
    }

    void onNewData(const Decl& flow, const Stmt& st) {
        const Type* d = nullptr;
        auto it = p_.globals.find(st.name.text);
        if (it != p_.globals.end() && it->second->kind == DeclKind::TypeDecl) d = it->second->resolved;
        else d = p_.types.scalarNamed(st.name.text);
        if (streamDecls_.empty()) streamDecls_ = declsOf(DeclKind::Stream);
        std::vector<const Decl*> streams;
        for (const Decl* s : streamDecls_)
            if ((st.hasTarget && s->name.text == st.target.text) || (!st.hasTarget && d && sema::extends(d, s->resolved)))
                streams.push_back(s);
        int64_t every = 1;
        if (st.value && st.value->kind == ExprKind::IntLit) every = st.value->intValue;
        else if (st.value && st.value->kind == ExprKind::Ident) {
            auto c = p_.globals.find(st.value->text);
            if (c != p_.globals.end()) every = std::max<int64_t>(1, p_.constants.at(c->second).i);
        }
        for (const Decl* stream : streams) {
            Handler h;
            h.kind = Handler::Kind::Data;
            h.flow = flow.name.text;
            h.stream = stream->name.text;
            h.type = st.name.text;
            h.every = every;
            h.where = st.name.range;
            h.statement = st.range;
            policies_.addClauses(h.policy, flow.policy ? &*flow.policy : nullptr);
            policies_.addClauses(h.policy, st.policy ? &*st.policy : nullptr);
            NodeId source = ir_.streams.at(stream->name.text);
            const std::string sourceSite = ir_.node(source).site;
            beginHandler(h, sourceSite.empty() ? ir_.homeSite : sourceSite, 1.0 / static_cast<double>(every));
            NodeId from = source;
            if (d && d != stream->resolved) from = classify(*it->second, source);
            Node trig;
            trig.kind = NodeKind::Trigger;
            trig.label = stream->name.text + (st.as ? " as " + st.as->text : "");
            trig.where = st.name.range;
            trig.type = st.boundType;
            trig.bytes = bytesOf(d) * static_cast<uint64_t>(every);
            trig.pure = true;
            policies_.place(trig, ir_.handlers.back().policy, triggerSite_);
            NodeId t = addNode(std::move(trig));
            ir_.handlers.back().trigger = t;
            ir_.connect(from, t, bytesOf(d) * static_cast<uint64_t>(every), d);
            env_.assign(1, {});
            if (st.as) env_.back()[st.as->text] = t;
            for (const StmtPtr& s : st.body)
                if (s) statement(*s);
        }
    }

    /// The run-time type test of a subtype: a refinement predicate or a model's class.
    NodeId classify(const Decl& type, NodeId source) {
        // Copies: adding a node may move the graph's storage.
        const uint64_t bytes = ir_.node(source).bytes;
        const Type* itemType = ir_.node(source).type;
        Node c;
        c.kind = NodeKind::Classify;
        c.label = type.name.text;
        c.where = type.name.range;
        c.decl = &type;
        c.type = type.resolved;
        c.bytes = bytes;
        c.pure = !type.classifier;
        c.placement.reason = "where its stream's items are";
        NodeId id = addNode(std::move(c));
        ir_.node(id).rate = 1;  // every item is classified, not only the handler's firings
        ir_.connect(source, id, bytes, itemType);
        if (type.classifier) {
            auto m = ir_.models.find(type.classifier->text);
            if (m != ir_.models.end()) ir_.connect(m->second, id, 0, nullptr);
        }
        return id;
    }

    void onEnd(const Decl& flow, const Stmt& st) {
        Handler h;
        h.kind = Handler::Kind::End;
        h.flow = flow.name.text;
        h.stream = st.name.text;
        h.where = st.name.range;
        h.statement = st.range;
        policies_.addClauses(h.policy, flow.policy ? &*flow.policy : nullptr);
        auto source = ir_.streams.find(st.name.text);
        if (source == ir_.streams.end()) return;
        const std::string site = ir_.node(source->second).site;
        beginHandler(h, site.empty() ? ir_.homeSite : site, 0);
        Node trig;
        trig.kind = NodeKind::EndTrigger;
        trig.label = st.name.text;
        trig.where = st.name.range;
        policies_.place(trig, ir_.handlers.back().policy, triggerSite_);
        NodeId t = addNode(std::move(trig));
        ir_.handlers.back().trigger = t;
        ir_.connect(source->second, t, 0, nullptr);
        env_.assign(1, {});
        for (const StmtPtr& s : st.body)
            if (s) statement(*s);
    }

    // ------------------------------------------------------------ statements

    ResolvedPolicy policyFor(const Stmt* st, const Decl* task) {
        ResolvedPolicy pol = flowPolicy_;
        if (task) policies_.addClauses(pol, task->policy ? &*task->policy : nullptr);
        if (st) policies_.addClauses(pol, st->policy ? &*st->policy : nullptr);
        return pol;
    }

    NodeId trigger() const { return ir_.handlers[static_cast<std::size_t>(handler_)].trigger; }

    void statement(const Stmt& st) {
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
        case StmtKind::OnEnd: break;
        }
    }

    Node effect(NodeKind kind, const Stmt& st, std::string label) {
        Node n;
        n.kind = kind;
        n.label = std::move(label);
        n.where = st.range;
        policies_.place(n, policyFor(&st, nullptr), triggerSite_);
        return n;
    }

    void region(const Stmt& st) {
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

    // ------------------------------------------------------------ expressions

    /// A data edge from -> to; a value read twice by one node is one edge (it moves once).
    void input(NodeId from, NodeId to) {
        if (from == kNoNode || to == kNoNode || boost::edge(from, to, ir_.graph).second) return;
        const Node& f = ir_.node(from);
        ir_.connect(from, to, f.bytes, f.type);
    }

    NodeId lookup(const std::string& name) const {
        for (auto s = env_.rbegin(); s != env_.rend(); ++s) {
            auto it = s->find(name);
            if (it != s->end()) return it->second;
        }
        return kNoNode;
    }

    /// The node whose output is the value of `e`: a call node, an expression node over the
    /// values it reads, or the node that bound a name.
    NodeId value(const Expr* e) {
        if (!e) return kNoNode;
        if (e->kind == ExprKind::Ident && e->binding == Binding::Local) return lookup(e->text);
        if (e->kind == ExprKind::Call) {
            const Expr* callee = e->callee.get();
            const Decl* d = callee->decl;
            if (callee->binding == Binding::Global && d) {
                if (d->kind == DeclKind::Fn || d->kind == DeclKind::Task) return call(e, d);
                if (d->kind == DeclKind::Model) return infer(e, d);
            }
            if (callee->binding == Binding::Builtin && callee->text == "probs" && e->args.size() == 2 &&
                e->args[0].value->decl)
                return infer(e, e->args[0].value->decl);
        }
        // An expression node over every value it reads.
        Node n = exprNode(NodeKind::Eval, shortText(*e), e, nullptr);
        n.pure = !hasEffects(e);
        policies_.place(n, policyFor(current_, nullptr), triggerSite_);
        NodeId id = addNode(std::move(n));
        reads(e, id);
        return id;
    }

    /// Whether an expression calls a standard function with side effects (sh, write).
    static bool hasEffects(const Expr* e) {
        if (!e) return false;
        if (e->kind == ExprKind::Call && e->callee->binding == Binding::Builtin &&
            stdlib::hasSideEffects(e->callee->text))
            return true;
        if (e->callee && hasEffects(e->callee.get())) return true;
        for (const auto& op : e->operands)
            if (hasEffects(op.get())) return true;
        for (const Arg& a : e->args)
            if (hasEffects(a.value.get())) return true;
        for (const FieldInit& f : e->fields)
            if (hasEffects(f.value.get())) return true;
        for (const StringPart& part : e->parts)
            if (hasEffects(part.expr.get())) return true;
        for (const SliceItem& sl : e->slices)
            if (hasEffects(sl.lo.get()) || hasEffects(sl.hi.get())) return true;
        return false;
    }

    /// Connects the values an expression reads (names, nested calls, catalogs) to `into`.
    void reads(const Expr* e, NodeId into) {
        if (!e) return;
        switch (e->kind) {
        case ExprKind::Ident:
            if (e->binding == Binding::Local) input(lookup(e->text), into);
            else if (e->binding == Binding::Global && e->decl) {
                if (auto c = ir_.catalogs.find(e->text); c != ir_.catalogs.end()) ir_.connect(c->second, into, 0, nullptr);
                if (auto m = ir_.models.find(e->text); m != ir_.models.end()) ir_.connect(m->second, into, 0, nullptr);
                if (auto s = ir_.streams.find(e->text); s != ir_.streams.end()) ir_.connect(s->second, into, 0, nullptr);
            }
            return;
        case ExprKind::Call:
            if ((e->callee->binding == Binding::Global && e->callee->decl &&
                 (e->callee->decl->kind == DeclKind::Fn || e->callee->decl->kind == DeclKind::Task ||
                  e->callee->decl->kind == DeclKind::Model)) ||
                (e->callee->binding == Binding::Builtin && e->callee->text == "probs")) {
                input(value(e), into);
                return;
            }
            for (const Arg& a : e->args) reads(a.value.get(), into);
            return;
        case ExprKind::String:
            for (const StringPart& part : e->parts) reads(part.expr.get(), into);
            return;
        case ExprKind::Field:
            reads(e->callee.get(), into);
            return;
        case ExprKind::Index:
            reads(e->callee.get(), into);
            for (const SliceItem& s : e->slices) {
                reads(s.lo.get(), into);
                reads(s.hi.get(), into);
            }
            return;
        case ExprKind::Record:
            for (const FieldInit& f : e->fields) reads(f.value.get(), into);
            return;
        default:
            for (const ExprPtr& op : e->operands) reads(op.get(), into);
            return;
        }
    }

    /// A node computing expression `e`, with its type and size.
    static Node exprNode(NodeKind kind, const std::string& label, const Expr* e, const Decl* decl) {
        Node n;
        n.kind = kind;
        n.label = label;
        n.where = e->range;
        n.expr = e;
        n.decl = decl;
        n.type = e->type;
        n.bytes = bytesOf(e->type);
        return n;
    }

    NodeId call(const Expr* e, const Decl* d) {
        std::vector<NodeId> args;
        for (const Arg& a : e->args) args.push_back(value(a.value.get()));
        Node n = exprNode(d->kind == DeclKind::Task ? NodeKind::Task : NodeKind::Call, d->name.text, e, d);
        n.pure = d->kind == DeclKind::Fn;
        n.persist = d->kind == DeclKind::Task;  // a naive pipeline writes every task's output
        policies_.place(n, policyFor(current_, d->kind == DeclKind::Task ? d : nullptr), triggerSite_);
        NodeId id = addNode(std::move(n));
        for (NodeId a : args) input(a, id);
        return id;
    }

    NodeId infer(const Expr* e, const Decl* model) {
        const Expr* x = e->args.size() == 2 ? e->args[1].value.get() : e->args.empty() ? nullptr : e->args[0].value.get();
        NodeId arg = value(x);
        Node n = exprNode(NodeKind::Infer, model->name.text, e, model);
        policies_.place(n, policyFor(current_, nullptr), triggerSite_);
        NodeId id = addNode(std::move(n));
        input(arg, id);
        if (auto m = ir_.models.find(model->name.text); m != ir_.models.end()) ir_.connect(m->second, id, 0, nullptr);
        return id;
    }

    /// An emit-fed stream without `at` lives, naively, where the first emit into it runs.
    void placeEmitFedStreams() {
        std::vector<std::vector<NodeId>> nodesOf(ir_.handlers.size());
        for (NodeId n = 0; n < ir_.nodeCount(); ++n)
            if (ir_.node(n).handler >= 0) nodesOf[static_cast<std::size_t>(ir_.node(n).handler)].push_back(n);
        std::vector<std::string> emitFed;
        for (auto& [name, id] : ir_.streams)
            if (ir_.node(id).site.empty()) emitFed.push_back(name);
        // A stream fed by a handler of another emit-fed stream depends on where that one is:
        // repeat until nothing moves (each round settles at least one more stream).
        for (std::size_t round = 0; round <= emitFed.size(); ++round) {
            bool moved = false;
            for (const std::string& name : emitFed) {
                NodeId id = ir_.streams.at(name);
                std::string site = ir_.homeSite;
                std::string reason = "no emits: the home site";
                for (auto [e, end] = boost::in_edges(id, ir_.graph); e != end; ++e) {
                    site = ir_.node(boost::source(*e, ir_.graph)).site;
                    reason = "where its first emit runs";
                    break;
                }
                Node& s = ir_.node(id);
                moved = moved || site != s.site;
                s.site = site;
                s.placement.reason = reason;
                // Its handlers were lowered before its site was known: their unfixed nodes,
                // and those fixed by `locality: source`, follow it.
                for (std::size_t h = 0; h < ir_.handlers.size(); ++h) {
                    if (ir_.handlers[h].stream != name || ir_.handlers[h].kind == Handler::Kind::Start) continue;
                    for (NodeId n : nodesOf[h]) {
                        Node& node = ir_.node(n);
                        if (node.siteFixed && !node.followsStream) continue;
                        if (!node.allowed.empty() &&
                            std::find(node.allowed.begin(), node.allowed.end(), site) == node.allowed.end())
                            continue;
                        node.site = site;
                    }
                }
            }
            if (!moved) break;
        }
    }

    const sema::CheckedProgram& p_;
    Diagnostics& diags_;
    FlowIR ir_;
    PolicyPlacement policies_;  // reads ir_.sites, declared before it
    int handler_ = -1;
    double rate_ = 1;
    NodeId region_ = kNoNode;
    std::string triggerSite_;
    ResolvedPolicy flowPolicy_;
    const Stmt* current_ = nullptr;
    std::vector<std::map<std::string, NodeId>> env_;
    std::vector<const Decl*> streamDecls_;
};

}  // namespace

FlowIR lowerToIR(const sema::CheckedProgram& program, Diagnostics& diags, const std::string& flowName) {
    return Lowering(program, diags).run(flowName);
}

}  // namespace xdml::ir
