// Plan.cpp — serializes the IR after the pass pipeline.
#include "plan/Plan.h"

#include "ast/AstPrinter.h"
#include "plan/Code.h"
#include "sema/Types.h"

namespace xdml::plan {

using nlohmann::json;

MovementStats movementStats(const ir::FlowIR& ir) {
    MovementStats s;
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) {
        const ir::Node& n = ir.node(id);
        if (n.removed || n.handler < 0) continue;
        double perItem = static_cast<double>(n.bytes) * n.rate;
        if (n.kind == ir::NodeKind::Transfer && n.fromSite != n.toSite) s.movedBytesPerItem += perItem;
        if (n.persist || n.kind == ir::NodeKind::Record) s.writtenBytesPerItem += perItem;
    }
    s.minMovedBytesPerItem = ir.minMovedBytesPerItem;
    return s;
}

namespace {

json policyJson(const ir::ResolvedPolicy& p) {
    json out = json::object();
    for (const auto& [k, c] : p) {
        out[k] = {{"value", c.value}, {"from", c.origin}};
        if (c.expr) out[k]["expr"] = exprJson(c.expr);  // so the runtime evaluates it (consts too)
    }
    return out;
}

std::string typeText(const sema::Type* t) { return t ? sema::toString(t) : ""; }

json nodeJson(const ir::FlowIR& ir, ir::NodeId id) {
    const ir::Node& n = ir.node(id);
    json inputs = json::array();
    for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e) {
        const ir::Edge& edge = ir.graph[*e];
        inputs.push_back({{"node", boost::source(*e, ir.graph)}, {"bytes", edge.bytes}, {"control", edge.control()}});
    }
    json j = {
        {"id", id},
        {"kind", ir::kindName(n.kind)},
        {"label", n.label},
        {"site", n.site},
        {"handler", n.handler},
        {"rate", n.rate},
        {"type", typeText(n.type)},
        {"bytes", n.bytes},
        {"persist", n.persist},
        {"pure", n.pure},
        {"inputs", inputs},
        {"policy", policyJson(n.policy)},
        {"placement", {{"reason", n.placement.reason}, {"fixed", n.siteFixed}}},
        {"line", n.where.begin.line},
    };
    json at = json::array({plan::positionKey(n.where.begin)});
    for (const SourceRange& r : n.fusedFrom) at.push_back(plan::positionKey(r.begin));
    j["at"] = at;
    if (!n.placement.bytesMovedIfAt.empty()) {
        json costs = json::object();
        for (const auto& [site, b] : n.placement.bytesMovedIfAt) costs[site] = b;
        j["placement"]["bytes_moved_if_at"] = costs;
    }
    if (!n.members.empty()) j["fused"] = n.members;
    if (n.region != ir::kNoNode) j["region"] = n.region;
    if (n.kind == ir::NodeKind::Const) j["value"] = sema::constantText(n.constant);
    if (n.kind == ir::NodeKind::Transfer) j["transfer"] = {{"from", n.fromSite}, {"to", n.toSite}};
    if (n.expr) j["expr"] = ast::printExpr(*n.expr);
    return j;
}

}  // namespace

json planJson(const ir::FlowIR& ir) {
    json sites = json::array();
    for (const ir::Site& s : ir.sites)
        sites.push_back({{"name", s.name}, {"cores", s.cores}, {"gpus", s.gpus}, {"memory", s.memory},
                         {"storage", s.storage}, {"implicit", s.implicit}});
    json links = json::array();
    for (const ir::Link& l : ir.links)
        links.push_back({{"from", l.from}, {"to", l.to}, {"bandwidth", l.bandwidth}, {"latency", l.latency},
                         {"bidirectional", l.bidirectional}});
    json streams = json::array();
    for (const auto& [name, id] : ir.streams) {
        const ir::Node& n = ir.node(id);
        json s = {{"name", name}, {"node", id}, {"type", typeText(n.type)}, {"site", n.site}, {"bytes_per_item", n.bytes}};
        if (n.decl && n.decl->value) s["source"] = ast::printExpr(*n.decl->value);
        streams.push_back(s);
    }
    json handlers = json::array();
    for (std::size_t h = 0; h < ir.handlers.size(); ++h) {
        const ir::Handler& hd = ir.handlers[h];
        json j = {{"id", h}, {"kind", planformat::spelling(hd.kind)}, {"flow", hd.flow}, {"trigger", hd.trigger}, {"policy", policyJson(hd.policy)}};
        if (!hd.stream.empty()) j["stream"] = hd.stream;
        if (!hd.type.empty()) j["type"] = hd.type;
        if (hd.kind == ir::Handler::Kind::Data) j["every"] = hd.every;
        if (hd.statement.valid()) j["at"] = positionKey(hd.statement.begin);
        if (hd.trigger != ir::kNoNode) j["site"] = ir.node(hd.trigger).site;
        handlers.push_back(j);
    }
    json nodes = json::array();
    json transfers = json::array();
    for (ir::NodeId id = 0; id < ir.nodeCount(); ++id) {
        const ir::Node& n = ir.node(id);
        if (n.removed) continue;
        nodes.push_back(nodeJson(ir, id));
        if (n.kind == ir::NodeKind::Transfer)
            transfers.push_back({{"node", id}, {"from", n.fromSite}, {"to", n.toSite}, {"bytes_per_item", static_cast<double>(n.bytes) * n.rate},
                                 {"handler", n.handler}});
    }
    MovementStats m = movementStats(ir);
    const PassDecisions decisions(ir);
    json plan = {
        {"xdml_plan", kPlanVersion},
        {"file", ir.file},
        {"opt_level", ir.optLevel},
        {"home_site", ir.homeSite},
        {"sites", sites},
        {"links", links},
        {"streams", streams},
        {"handlers", handlers},
        {"nodes", nodes},
        {"transfers", transfers},
        {"code", ir.program ? codeJson(*ir.program, &decisions) : json::object()},
        {"stats",
         {{"moved_bytes_per_item", m.movedBytesPerItem},
          {"written_bytes_per_item", m.writtenBytesPerItem},
          {"min_moved_bytes_per_item", m.minMovedBytesPerItem}}},
    };
    // The values this run gives its params, for provenance (runs.plan) and --help-params.
    if (json params = ir.program ? paramsJson(*ir.program) : json::array(); !params.empty()) plan["params"] = params;
    return plan;
}

}  // namespace xdml::plan
