// Printer.cpp — see Printer.h. Everything is printed in node-id order, so output is stable.
// Complexity: O(V + E + H) for H handlers (nodes grouped by handler and by site first).
#include "ir/Printer.h"

#include "sema/Types.h"

#include <cmath>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

namespace xdml::ir {

namespace {

std::string inputsOf(const FlowIR& ir, NodeId id) {
    std::string out;
    for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e) {
        out += out.empty() ? "" : ", ";
        out += "n" + std::to_string(boost::source(*e, ir.graph));
        if (ir.graph[*e].control()) out += "?";
    }
    return out;
}

std::string policyText(const ResolvedPolicy& p) {
    if (p.empty()) return "";
    std::string out = " {";
    bool first = true;
    for (const auto& [k, c] : p) {
        out += (first ? " " : ", ") + k + ": " + c.value;
        first = false;
    }
    return out + " }";
}

std::string rateText(double rate) {
    if (rate == 1) return "";
    if (rate == 0) return ", once";
    std::ostringstream out;
    out << ", 1/" << static_cast<int64_t>(std::llround(1 / rate)) << " per item";
    return out.str();
}

void printNode(std::ostream& out, const FlowIR& ir, NodeId id, const char* indent) {
    const Node& n = ir.node(id);
    out << indent << "n" << id << " = " << kindName(n.kind) << " " << n.label;
    std::string in = inputsOf(ir, id);
    if (!in.empty()) out << " <- " << in;
    if (n.type) out << " : " << sema::toString(n.type);
    out << " @" << n.site;
    if (n.kind == NodeKind::Transfer) out << " (" << n.fromSite << " -> " << n.toSite << ")";
    if (n.kind == NodeKind::Const) out << " = " << sema::constantText(n.constant);
    out << " [" << formatBytes(static_cast<double>(n.bytes)) << rateText(n.rate) << (n.persist ? ", persist" : "")
        << (n.region != kNoNode ? ", in n" + std::to_string(n.region) : "") << "]";
    out << policyText(n.policy);
    if (!n.members.empty()) {
        out << " fuses [";
        for (std::size_t i = 0; i < n.members.size(); ++i) out << (i ? ", " : "") << n.members[i];
        out << "]";
    }
    out << "\n" << indent << "    placed: " << n.placement.reason;
    if (!n.placement.bytesMovedIfAt.empty()) {
        out << " (bytes moved if at";
        const char* sep = " ";
        for (const auto& [site, b] : n.placement.bytesMovedIfAt) {
            out << sep << site << ": " << formatBytes(b);
            sep = ", ";
        }
        out << ")";
    }
    out << "\n";
}

std::string handlerTitle(const Handler& h) {
    switch (h.kind) {
    case Handler::Kind::Start: return "flow " + h.flow + ": start";
    case Handler::Kind::End: return "flow " + h.flow + ": on end of " + h.stream;
    case Handler::Kind::Stop: return "flow " + h.flow + ": on stop";
    case Handler::Kind::Data: break;
    }
    return "flow " + h.flow + ": on new data of type " + h.type + " in " + h.stream +
           (h.every > 1 ? " every " + std::to_string(h.every) : "");
}

}  // namespace

void printIR(std::ostream& out, const FlowIR& ir) {
    out << "ir " << ir.file << " -O" << ir.optLevel << "\n";
    for (const Site& s : ir.sites)
        out << "site " << s.name << " { cores: " << (s.cores > 0 ? std::to_string(s.cores) : std::string("all")) << ", gpus: " << s.gpus << ", memory: " << formatBytes(s.memory)
            << ", storage: " << formatBytes(s.storage) << " }" << (s.implicit ? " (implicit)" : "") << "\n";
    for (const Link& l : ir.links)
        out << "link " << l.from << (l.bidirectional ? " <-> " : " -> ") << l.to << " { " << formatBytes(l.bandwidth)
            << "/s, " << l.latency * 1000 << " ms }\n";
    // Nodes grouped by handler first: one pass over the nodes, not one per handler.
    std::vector<std::vector<NodeId>> byHandler(ir.handlers.size() + 1);  // [0]: shared
    for (NodeId id = 0; id < ir.nodeCount(); ++id) {
        const Node& n = ir.node(id);
        if (!n.removed && n.handler < static_cast<int>(ir.handlers.size()))
            byHandler[static_cast<std::size_t>(n.handler < 0 ? 0 : n.handler + 1)].push_back(id);
    }
    out << "shared:\n";
    for (NodeId id : byHandler[0]) printNode(out, ir, id, "  ");
    for (std::size_t h = 0; h < ir.handlers.size(); ++h) {
        out << "handler h" << h << ": " << handlerTitle(ir.handlers[h]) << "\n";
        for (NodeId id : byHandler[h + 1]) printNode(out, ir, id, "  ");
    }
}

void printDot(std::ostream& out, const FlowIR& ir) {
    planformat::DotGraph graph;
    for (const Site& site : ir.sites) graph.sites.push_back(site.name);
    for (NodeId id = 0; id < ir.nodeCount(); ++id) {
        const Node& n = ir.node(id);
        if (n.removed) continue;
        graph.nodes.push_back({static_cast<int64_t>(id), n.site, kindName(n.kind), n.label, n.persist});
        for (auto [e, end] = boost::out_edges(id, ir.graph); e != end; ++e) {
            const Edge& edge = ir.graph[*e];
            const NodeId to = boost::target(*e, ir.graph);
            // Bytes per triggering item: the handler side's rate (shared nodes have none).
            const double rate = ir.node(ir.node(to).handler >= 0 ? to : id).rate;
            graph.edges.push_back({static_cast<int64_t>(id), static_cast<int64_t>(to), static_cast<double>(edge.bytes),
                                   edge.control(), rate});
        }
    }
    planformat::printDot(out, graph);
}

}  // namespace xdml::ir
