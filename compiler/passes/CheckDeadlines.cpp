// CheckDeadlines.cpp — see CheckDeadlines.h.
#include "passes/CheckDeadlines.h"

#include "ast/Ast.h"
#include "sema/Sema.h"
#include "ir/Printer.h"

#include <functional>
#include <iomanip>
#include <set>
#include <sstream>

namespace xdml::passes {

using ir::Node;
using ir::NodeId;

namespace {
std::string seconds(double s) {
    std::ostringstream out;
    out << std::setprecision(3);
    if (s < 1) out << s * 1000 << " ms";
    else out << s << " s";
    return out.str();
}

/// The clause's duration in seconds (a literal, a const, arithmetic), or -1.
double clauseSeconds(const ir::FlowIR& ir, const ir::Clause& c) {
    if (!c.expr) return -1;
    sema::ConstValue v = sema::evaluateConstant(*ir.program, c.expr);
    return v.kind == sema::ConstValue::Kind::Quantity ? v.f : -1;
}
}  // namespace

bool checkDeadlines(ir::FlowIR& ir, Diagnostics& diags) {
    const std::size_t n = ir.nodeCount();
    std::vector<double> done(n, -1);   // the node's data ready at its end, seconds after its trigger
    std::vector<double> ready(n, 0);   // its inputs ready: when it can start
    std::vector<std::string> why(n);  // the slowest transfer on the way
    std::function<double(NodeId)> finish = [&](NodeId id) -> double {
        if (done[id] >= 0) return done[id];
        done[id] = 0;  // cycles (through streams) count once
        const Node& node = ir.node(id);
        double start = 0;
        std::string because;
        if (node.handler >= 0)
            for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e) {
                NodeId from = boost::source(*e, ir.graph);
                if (ir.node(from).handler != node.handler) continue;
                double t = finish(from);
                if (t > start) {
                    start = t;
                    because = why[from];
                }
            }
        double cost = 0;
        if (node.kind == ir::NodeKind::Transfer && node.fromSite != node.toSite) {
            if (const ir::Link* link = ir.link(node.fromSite, node.toSite)) {
                cost = link->latency + (link->bandwidth > 0 ? static_cast<double>(node.bytes) / link->bandwidth : 0);
                std::string mine = "moving " + ir::formatBytes(static_cast<double>(node.bytes)) + " from '" + node.fromSite +
                                   "' to '" + node.toSite + "' takes " + seconds(cost);
                because = because.empty() ? mine : because + ", then " + mine;
            }
        }
        why[id] = because;
        ready[id] = start;
        return done[id] = start + cost;
    };
    std::set<std::pair<FileId, uint32_t>> reported;  // one error per clause, in any file
    auto check = [&](const Node& node, NodeId id, const char* clause, double atLeast) {
        auto it = node.policy.find(clause);
        if (it == node.policy.end()) return;
        double limit = clauseSeconds(ir, it->second);
        if (limit < 0 || atLeast <= limit || !reported.insert({it->second.where.begin.file, it->second.where.begin.offset}).second) return;
        std::string total = why[id].find(", then ") != std::string::npos ? ": " + seconds(atLeast) + " in all" : "";
        diags.error(it->second.where, std::string("'") + clause + "' of " + it->second.value + " (" + it->second.origin +
                                          ") cannot be met: " + why[id] + total);
        diags.note(node.where, std::string("for this ") + ir::kindName(node.kind));
    };
    for (NodeId id = 0; id < n; ++id) {
        const Node& node = ir.node(id);
        if (node.removed || node.handler < 0) continue;
        check(node, id, "deadline", finish(id));
        check(node, id, "start_within", ready[id]);
    }
    return false;
}

}  // namespace xdml::passes
