// InsertTransfers.cpp — see InsertTransfers.h.
#include "passes/InsertTransfers.h"

#include "ir/Rewire.h"

#include <map>
#include <set>

namespace xdml::passes {

using ir::Node;
using ir::NodeId;
using ir::NodeKind;

bool insertTransfers(ir::FlowIR& ir, Diagnostics& diags) {
    bool changed = false;
    std::set<std::pair<std::string, std::string>> reported;
    auto checkLink = [&](const std::string& from, const std::string& to, const SourceRange& where) {
        if (from == to || ir.link(from, to)) return;
        if (reported.insert({from, to}).second)
            diags.error(where, "this needs data moved from site '" + from + "' to site '" + to + "', but no link joins them");
    };
    // Edge changes are collected and applied at the end: each node's loop reads only its own
    // output edges, which no earlier node's changes touch.
    std::set<std::pair<NodeId, NodeId>> dropped;  // every edge between the two goes
    std::vector<ir::NewEdge> added;
    const std::size_t before = ir.nodeCount();
    for (NodeId id = 0; id < before; ++id) {
        if (ir.node(id).removed) continue;
        if (ir.node(id).kind == NodeKind::Transfer && ir.node(id).fromSite.empty()) {
            // An explicit `transfer e to SITE`: from where its value is.
            Node& t = ir.node(id);
            t.fromSite = t.site;
            for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e)
                t.fromSite = ir.node(boost::source(*e, ir.graph)).site;
            checkLink(t.fromSite, t.toSite, t.where);
            continue;
        }
        // Group the crossing data edges by destination site: one transfer per value and site.
        // A shared node (a stream) sends to each handler separately: they fire on their own.
        std::map<std::pair<std::string, int>, std::vector<ir::EdgeId>> crossing;
        for (auto [e, end] = boost::out_edges(id, ir.graph); e != end; ++e) {
            const Node& to = ir.node(boost::target(*e, ir.graph));
            if (ir.graph[*e].control() || to.site == ir.node(id).site || to.kind == NodeKind::Transfer ||
                ir.node(id).kind == NodeKind::Transfer)
                continue;
            crossing[{to.site, ir.node(id).handler < 0 ? to.handler : ir.node(id).handler}].push_back(*e);
        }
        for (auto& [key, edges] : crossing) {
            const std::string& site = key.first;
            const Node& from = ir.node(id);
            const ir::Edge first = ir.graph[edges.front()];
            const Node& firstTarget = ir.node(boost::target(edges.front(), ir.graph));
            Node t;
            t.kind = NodeKind::Transfer;
            t.label = from.label + " -> " + site;
            t.where = firstTarget.where;
            t.type = first.type;
            t.bytes = first.bytes;
            // Edge bytes are per firing of the consumer, so the transfer moves them at its rate
            // (a shared consumer, a stream, takes the producer's). A value made outside a loop
            // and read inside it still moves once: at the producer's rate.
            const bool loopInvariant = from.handler >= 0 && from.kind != NodeKind::Region &&
                                       firstTarget.region != from.region;
            const Node& handlerSide = firstTarget.handler >= 0 && !loopInvariant ? firstTarget : from;
            t.handler = handlerSide.handler;
            t.rate = handlerSide.rate;
            t.region = from.kind == NodeKind::Region ? id : handlerSide.region;
            t.fromSite = from.site;
            t.toSite = site;
            t.site = site;
            t.siteFixed = true;
            t.placement.reason = "moves " + from.label + " from '" + from.site + "' to '" + site + "'";
            checkLink(from.site, site, firstTarget.where);
            std::vector<std::pair<NodeId, ir::Edge>> targets;
            for (ir::EdgeId e : edges) targets.push_back({boost::target(e, ir.graph), ir.graph[e]});
            NodeId tid = ir.add(std::move(t));
            for (const auto& [target, edge] : targets) {
                dropped.insert({id, target});
                added.push_back({tid, target, edge});
            }
            added.push_back({id, tid, first});
            changed = true;
        }
    }
    if (changed) ir::rewireEdges(ir, [&](NodeId from, NodeId to) { return !dropped.count({from, to}); }, added);
    return changed;
}

}  // namespace xdml::passes
