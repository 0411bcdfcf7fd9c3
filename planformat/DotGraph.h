// DotGraph.h — a flow's dataflow graph for Graphviz, one cluster per site, edges labelled with
// the bytes they carry per triggering item. Written from the compiler's IR (`--emit=dot`) and
// from a recorded run's plan (the run report): one drawing, whichever side has the graph.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace xdml::planformat {

struct DotGraph {
    struct Node {
        int64_t id = 0;
        std::string site, kind, label;  // kind as the plan spells it: source, task, catalog...
        bool persist = false;
    };
    struct Edge {
        int64_t from = 0, to = 0;
        double bytes = 0;
        bool control = false;
        double rate = 0;  // triggering items per firing of the edge's handler side; 0: once
    };
    std::vector<std::string> sites;  // in the order their clusters are drawn
    std::vector<Node> nodes;
    std::vector<Edge> edges;
};

/// "1.5 KiB", "16 KiB", "3 MiB": binary units, one decimal when not whole.
std::string formatBytes(double bytes);

void printDot(std::ostream& out, const DotGraph& graph);

}  // namespace xdml::planformat
