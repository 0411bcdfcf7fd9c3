// DotGraph.cpp — see DotGraph.h.
#include "planformat/DotGraph.h"

#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

namespace xdml::planformat {

std::string formatBytes(double bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        ++u;
    }
    std::ostringstream out;
    if (u == 0 || bytes == std::floor(bytes)) out << static_cast<uint64_t>(bytes) << " " << units[u];
    else out << std::fixed << std::setprecision(1) << bytes << " " << units[u];
    return out.str();
}

void printDot(std::ostream& out, const DotGraph& graph) {
    auto escape = [](const std::string& s) {
        std::string q;
        for (char c : s) q += c == '"' ? std::string("\\\"") : c == '\\' ? std::string("\\\\") : std::string(1, c);
        return q;
    };
    auto quote = [&](const std::string& s) { return "\"" + escape(s) + "\""; };
    out << "digraph xdml {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
        << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    std::map<std::string, std::vector<const DotGraph::Node*>> bySite;  // one pass over the nodes
    for (const DotGraph::Node& n : graph.nodes) bySite[n.site].push_back(&n);
    for (std::size_t s = 0; s < graph.sites.size(); ++s) {
        const std::string& site = graph.sites[s];
        out << "  subgraph cluster_" << s << " {\n    label=" << quote("site " + site) << ";\n    style=rounded;\n";
        for (const DotGraph::Node* n : bySite[site]) {
            const std::string shape = n->kind == "source" ? "cylinder"
                                      : n->kind == "catalog" ? "folder"
                                      : n->kind == "transfer" ? "cds"
                                      : n->kind == "trigger" || n->kind == "end-trigger" ? "oval"
                                                                                          : "box";
            out << "    n" << n->id << " [label=\"" << escape(n->kind) << "\\n" << escape(n->label) << "\", shape=" << shape
                << (n->persist ? ", style=bold" : "") << "];\n";
        }
        out << "  }\n";
    }
    for (const DotGraph::Edge& e : graph.edges) {
        out << "  n" << e.from << " -> n" << e.to;
        if (e.control) {
            out << " [style=dashed]";
        } else {
            const std::string label = e.rate > 0 ? formatBytes(e.bytes * e.rate) + "/item" : formatBytes(e.bytes) + " once";
            out << " [label=" << quote(label) << "]";
        }
        out << ";\n";
    }
    out << "}\n";
}

}  // namespace xdml::planformat
