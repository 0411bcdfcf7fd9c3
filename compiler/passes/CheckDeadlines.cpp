// CheckDeadlines.cpp — see CheckDeadlines.h.
#include "passes/CheckDeadlines.h"

#include "ast/Ast.h"
#include "sema/Sema.h"
#include "ir/Printer.h"

#include <functional>
#include <iomanip>
#include <set>
#include <sstream>
#include <unordered_map>

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
    // The slowest way data take to a node: its slowest input's, then its own move. Kept as a
    // link to that input, so that no text is copied along long chains; said only on an error.
    std::vector<NodeId> slowest(n, ir::kNoNode);
    std::vector<std::string> move(n);  // a Transfer's own move, in words
    std::function<double(NodeId)> finish = [&](NodeId id) -> double {
        if (done[id] >= 0) return done[id];
        done[id] = 0;  // cycles (through streams) count once
        const Node& node = ir.node(id);
        double start = 0;
        if (node.handler >= 0)
            for (auto [e, end] = boost::in_edges(id, ir.graph); e != end; ++e) {
                NodeId from = boost::source(*e, ir.graph);
                if (ir.node(from).handler != node.handler) continue;
                double t = finish(from);
                if (t > start) {
                    start = t;
                    slowest[id] = from;
                }
            }
        double cost = 0;
        if (node.kind == ir::NodeKind::Transfer && node.fromSite != node.toSite) {
            if (const ir::Link* link = ir.link(node.fromSite, node.toSite)) {
                cost = link->latency + (link->bandwidth > 0 ? static_cast<double>(node.bytes) / link->bandwidth : 0);
                move[id] = "moving " + ir::formatBytes(static_cast<double>(node.bytes)) + " from '" + node.fromSite +
                           "' to '" + node.toSite + "' takes " + seconds(cost);
            }
        }
        ready[id] = start;
        return done[id] = start + cost;
    };
    // The moves on the slowest way to `id`, first to last.
    auto why = [&](NodeId id) {
        std::vector<const std::string*> moves;
        for (NodeId at = id; at != ir::kNoNode; at = slowest[at])
            if (!move[at].empty()) moves.push_back(&move[at]);
        std::string text;
        for (auto it = moves.rbegin(); it != moves.rend(); ++it) text += (text.empty() ? "" : ", then ") + **it;
        return text;
    };
    std::unordered_map<const ast::Expr*, double> limits;  // many nodes share one clause
    std::set<std::pair<FileId, uint32_t>> reported;  // one error per clause, in any file
    auto check = [&](const Node& node, NodeId id, const char* clause, double atLeast) {
        auto it = node.policy.find(clause);
        if (it == node.policy.end()) return;
        auto known = limits.find(it->second.expr);
        if (known == limits.end()) known = limits.emplace(it->second.expr, clauseSeconds(ir, it->second)).first;
        const double limit = known->second;
        if (limit < 0 || atLeast <= limit || !reported.insert({it->second.where.begin.file, it->second.where.begin.offset}).second) return;
        const std::string because = why(id);
        std::string total = because.find(", then ") != std::string::npos ? ": " + seconds(atLeast) + " in all" : "";
        diags.error(it->second.where, std::string("'") + clause + "' of " + it->second.value + " (" + it->second.origin +
                                          ") cannot be met: " + because + total);
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
