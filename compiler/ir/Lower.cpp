// Lower.cpp — checked AST to dataflow IR: one node per stream, catalog and model; per handler
// a trigger, and a node per call, expression, effect and structured statement of its body.
// This file: sites, shared nodes, flows and handlers (Lowering.h lists the other parts).
#include "ir/Lower.h"

#include "ir/EmitFedStreams.h"
#include "ir/Lowering.h"

#include "sema/Types.h"

#include <algorithm>

namespace xdml::ir {

using namespace ast;
using sema::Type;
using sema::TypeKind;

FlowIR Lowering::run(const std::string& flowName) {
    ir_.program = &p_;
    if (!p_.modules.empty()) ir_.file = p_.modules.front()->path;
    declareSites();
    declareShared();
    for (const Decl* flow : declsOf(DeclKind::Flow))
        if (flowName.empty() || flow->name.text == flowName) lowerFlow(*flow);
    placeEmitFedStreams(ir_);
    return std::move(ir_);
}

std::vector<const Decl*> Lowering::declsOf(DeclKind kind) const {
    std::vector<const Decl*> out;
    for (const auto& m : p_.modules)
        for (const auto& d : m->decls)
            if (d->kind == kind && !d->name.text.empty()) out.push_back(d.get());
    return out;
}

void Lowering::declareSites() {
    for (const Decl* d : declsOf(DeclKind::Site)) {
        const sema::SiteInfo& info = p_.sites.at(d);
        ir_.sites.push_back({d->name.text, info.cores, info.gpus, info.memory, info.storage, false, info.grant});
    }
    if (ir_.sites.empty()) {
        // cores 0: all of the machine the flow runs on (the plan must not depend on where it
        // was compiled), unless a deployment binds `local` to fewer.
        Site local{"local", 0, 0, 0, 0, true};
        if (auto g = p_.grants.find("local"); g != p_.grants.end()) {
            local.grant = &g->second;
            local.cores = std::max<int64_t>(g->second.cores, 0);
            local.gpus = std::max<int64_t>(g->second.gpus, 0);
        }
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
void Lowering::declareShared() {
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
Node Lowering::shared(NodeKind kind, const Decl& d, const Type* type) const {
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

NodeId Lowering::addNode(Node n) {
    n.handler = handler_;
    n.rate = rate_;
    n.region = region_;
    if (n.site.empty()) n.site = triggerSite_;
    return ir_.add(std::move(n));
}

void Lowering::lowerFlow(const Decl& flow) {
    // Flow-level statements run once, when the flow starts, at the home site.
    beginRunHandler(flow, Handler::Kind::Start, flow.name.range, NodeKind::Start, "flows start at the home site");
    for (const StmtPtr& st : flow.body)
        if (st && st->kind != StmtKind::OnNewData && st->kind != StmtKind::OnEnd && st->kind != StmtKind::OnStop) statement(*st);
    for (const StmtPtr& st : flow.body) {
        if (!st) continue;
        if (st->kind == StmtKind::OnNewData) onNewData(flow, *st);
        if (st->kind == StmtKind::OnEnd) onEnd(flow, *st);
        if (st->kind == StmtKind::OnStop) onStop(flow, *st);
    }
}

void Lowering::beginHandler(Handler h, const std::string& site, double rate) {
    ir_.handlers.push_back(std::move(h));
    handler_ = static_cast<int>(ir_.handlers.size() - 1);
    flowPolicy_ = ir_.handlers.back().policy;
    triggerSite_ = site;
    rate_ = rate;
    region_ = kNoNode;
}

void Lowering::onNewData(const Decl& flow, const Stmt& st) {
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
NodeId Lowering::classify(const Decl& type, NodeId source) {
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

void Lowering::onEnd(const Decl& flow, const Stmt& st) {
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

void Lowering::onStop(const Decl& flow, const Stmt& st) {
    beginRunHandler(flow, Handler::Kind::Stop, st.range, NodeKind::Stop, "the run ends at the home site");
    ir_.handlers.back().statement = st.range;
    for (const StmtPtr& s : st.body)
        if (s) statement(*s);
}

void Lowering::beginRunHandler(const Decl& flow, Handler::Kind kind, SourceRange where, NodeKind node,
                               const std::string& reason) {
    Handler h;
    h.kind = kind;
    h.flow = flow.name.text;
    h.where = where;
    policies_.addClauses(h.policy, flow.policy ? &*flow.policy : nullptr);
    beginHandler(h, ir_.homeSite, 0);
    Node n;
    n.kind = node;
    n.label = flow.name.text;
    n.where = where;
    n.site = ir_.homeSite;
    n.siteFixed = true;
    n.placement.reason = reason;
    ir_.handlers.back().trigger = addNode(std::move(n));
    env_.assign(1, {});
}

FlowIR lowerToIR(const sema::CheckedProgram& program, Diagnostics& diags, const std::string& flowName) {
    return Lowering(program, diags).run(flowName);
}

}  // namespace xdml::ir
