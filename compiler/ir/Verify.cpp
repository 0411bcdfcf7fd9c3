// Verify.cpp — the IR's invariants, checked one by one.
// Complexity: O((V + E) log S + L·T) for S sites, L links, T transfers.
#include "ir/Verify.h"

#include <set>

namespace xdml::ir {

std::vector<std::string> verifyIR(const FlowIR& ir, bool placed) {
    std::vector<std::string> problems;
    auto bad = [&](NodeId id, const std::string& what) {
        problems.push_back("n" + std::to_string(id) + " (" + kindName(ir.node(id).kind) + " " + ir.node(id).label + "): " + what);
    };
    std::set<std::string> sites;
    for (const Site& s : ir.sites) {
        if (!sites.insert(s.name).second) problems.push_back("site '" + s.name + "' is listed twice");
    }
    for (const Link& l : ir.links)
        if (!sites.count(l.from) || !sites.count(l.to)) problems.push_back("link " + l.from + " - " + l.to + " names an unknown site");
    for (std::size_t h = 0; h < ir.handlers.size(); ++h) {
        NodeId t = ir.handlers[h].trigger;
        if (t == kNoNode || t >= ir.nodeCount() || ir.node(t).removed)
            problems.push_back("handler " + std::to_string(h) + " has no trigger");
    }
    for (NodeId id = 0; id < ir.nodeCount(); ++id) {
        const Node& n = ir.node(id);
        if (n.removed) {
            if (boost::in_degree(id, ir.graph) || boost::out_degree(id, ir.graph)) bad(id, "removed, but still has edges");
            continue;
        }
        if (!sites.count(n.site)) bad(id, "runs at unknown site '" + n.site + "'");
        if (!n.allowed.empty() && n.siteFixed == false) {
            bool ok = false;
            for (const std::string& a : n.allowed) ok = ok || a == n.site;
            if (!ok) bad(id, "runs at '" + n.site + "', which its policy does not allow");
        }
        bool shared = n.kind == NodeKind::Source || n.kind == NodeKind::Catalog || n.kind == NodeKind::Model;
        if (shared != (n.handler < 0)) bad(id, shared ? "a shared node belongs to a handler" : "belongs to no handler");
        if (n.handler >= static_cast<int>(ir.handlers.size())) bad(id, "belongs to an unknown handler");
        if (n.rate < 0) bad(id, "has a negative rate");
        if (n.region != kNoNode && (n.region >= ir.nodeCount() || ir.node(n.region).kind != NodeKind::Region))
            bad(id, "is in a region that is not a Region node");
        if (n.kind == NodeKind::Transfer) {
            if (n.toSite.empty()) bad(id, "a transfer without a destination");
            if (!n.fromSite.empty() && n.fromSite != n.toSite && !ir.link(n.fromSite, n.toSite))
                bad(id, "moves data between '" + n.fromSite + "' and '" + n.toSite + "', which no link joins");
        }
        if ((n.kind == NodeKind::Fused || n.kind == NodeKind::Kernel) && n.members.empty()) bad(id, "fused nothing");
        if (n.kind == NodeKind::Trigger && boost::in_degree(id, ir.graph) == 0) bad(id, "a trigger with no stream");
        if (n.kind == NodeKind::Const && !n.constant.known()) bad(id, "a const without a value");
        for (auto [e, end] = boost::out_edges(id, ir.graph); e != end; ++e) {
            NodeId to = boost::target(*e, ir.graph);
            const Node& t = ir.node(to);
            const Edge& edge = ir.graph[*e];
            if (t.removed) bad(id, "feeds removed node n" + std::to_string(to));
            if (!edge.control() && !n.type && n.kind != NodeKind::Emit && n.kind != NodeKind::Record)
                bad(id, "feeds a value to n" + std::to_string(to) + " but produces none");
            bool handlerEdge = !shared && t.handler >= 0 && t.handler != n.handler;
            if (handlerEdge) bad(id, "feeds n" + std::to_string(to) + " of another handler directly (only through a stream)");
            if (placed && !edge.control() && n.site != t.site && n.kind != NodeKind::Transfer &&
                t.kind != NodeKind::Transfer)
                bad(id, "sends " + std::to_string(edge.bytes) + " B from '" + n.site + "' to n" + std::to_string(to) +
                            " at '" + t.site + "' without a transfer");
        }
    }
    return problems;
}

}  // namespace xdml::ir
