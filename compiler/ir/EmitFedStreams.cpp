// EmitFedStreams.cpp — see EmitFedStreams.h.
#include "ir/EmitFedStreams.h"

#include <algorithm>
#include <map>

namespace xdml::ir {

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

/// The order to settle streams in: a stream after the one whose handler runs its first emit,
/// so that in one round each sees where that emit settled (a cycle is cut anywhere).
std::vector<std::size_t> settleOrder(const std::vector<std::size_t>& dependsOn) {
    std::vector<int> state(dependsOn.size(), 0);  // 0 new, 1 on the current path, 2 ordered
    std::vector<std::size_t> order, path;
    for (std::size_t i = 0; i < dependsOn.size(); ++i) {
        for (std::size_t j = i; j != kNone && state[j] == 0; j = dependsOn[j]) {
            state[j] = 1;
            path.push_back(j);
        }
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            state[*it] = 2;
            order.push_back(*it);
        }
        path.clear();
    }
    return order;
}

}  // namespace

void placeEmitFedStreams(FlowIR& ir) {
    std::vector<std::string> emitFed;
    std::map<std::string, std::size_t> index;
    for (auto& [name, id] : ir.streams)
        if (ir.node(id).site.empty()) {
            index[name] = emitFed.size();
            emitFed.push_back(name);
        }
    if (emitFed.empty()) return;
    std::vector<std::vector<NodeId>> nodesOf(ir.handlers.size());
    for (NodeId n = 0; n < ir.nodeCount(); ++n)
        if (ir.node(n).handler >= 0) nodesOf[static_cast<std::size_t>(ir.node(n).handler)].push_back(n);
    std::vector<std::vector<std::size_t>> handlersOf(emitFed.size());
    for (std::size_t h = 0; h < ir.handlers.size(); ++h) {
        auto it = index.find(ir.handlers[h].stream);
        if (it != index.end() && ir.handlers[h].kind != Handler::Kind::Start) handlersOf[it->second].push_back(h);
    }
    // Each stream's first emit (the source of its first input edge), and the emit-fed stream
    // whose handler runs it.
    std::vector<NodeId> firstEmit(emitFed.size(), kNoNode);
    std::vector<std::size_t> dependsOn(emitFed.size(), kNone);
    for (std::size_t i = 0; i < emitFed.size(); ++i) {
        const NodeId id = ir.streams.at(emitFed[i]);
        auto [e, end] = boost::in_edges(id, ir.graph);
        if (e == end) continue;
        firstEmit[i] = boost::source(*e, ir.graph);
        const int h = ir.node(firstEmit[i]).handler;
        if (h < 0 || ir.handlers[static_cast<std::size_t>(h)].kind == Handler::Kind::Start) continue;
        auto it = index.find(ir.handlers[static_cast<std::size_t>(h)].stream);
        if (it != index.end() && it->second != i) dependsOn[i] = it->second;
    }
    const std::vector<std::size_t> order = settleOrder(dependsOn);
    // Repeat until nothing moves: a second round only confirms, unless streams form a cycle.
    for (std::size_t round = 0; round <= emitFed.size(); ++round) {
        bool moved = false;
        for (std::size_t i : order) {
            Node& s = ir.node(ir.streams.at(emitFed[i]));
            const std::string site = firstEmit[i] == kNoNode ? ir.homeSite : ir.node(firstEmit[i]).site;
            moved = moved || site != s.site;
            s.site = site;
            s.placement.reason = firstEmit[i] == kNoNode ? "no emits: the home site" : "where its first emit runs";
            for (std::size_t h : handlersOf[i])
                for (NodeId n : nodesOf[h]) {
                    Node& node = ir.node(n);
                    if (node.siteFixed && !node.followsStream) continue;
                    if (!node.allowed.empty() && std::find(node.allowed.begin(), node.allowed.end(), site) == node.allowed.end())
                        continue;
                    node.site = site;
                }
        }
        if (!moved) break;
    }
}

}  // namespace xdml::ir
