// PlanModel.h — the parts of a plan the scheduler needs besides its code: sites, links,
// streams, handlers and the placed nodes, with the join from the code's source positions
// ("at") to the node that runs them. Read once when a run starts; immutable afterwards.
#pragma once

#include "runtime/interp/Program.h"

#include <map>
#include <string>
#include <vector>

namespace xdml::runtime {

struct SiteInfo {
    std::string name;
    int64_t cores = 0;  // 0: the whole machine
    int64_t gpus = 0;
    double memory = 0, storage = 0;
};

struct LinkInfo {
    std::string from, to;
    double bandwidth = 0, latency = 0;
};

/// A policy clause after merging, with its expression (evaluated by the run).
struct ClauseInfo {
    std::string value, from;
    std::optional<Expr> expr;
};
using ClauseMap = std::map<std::string, ClauseInfo>;

struct NodeInfo {
    int64_t id = -1;
    planformat::NodeKind kind = planformat::NodeKind::Eval;
    std::string label, site;
    std::string reason;  // why it runs at its site
    int handler = -1;
    bool persist = false, fixed = false;
    uint64_t bytes = 0;
    double rate = 1;
    int line = 0;
    ClauseMap policy;
};

struct HandlerInfo {
    int id = -1;
    planformat::HandlerKind kind = planformat::HandlerKind::Data;  // read once, through the vocabulary
    std::string flow, stream, type, site, at;
    int64_t every = 1;
    ClauseMap policy;
};

struct StreamInfo {
    std::string name, site;
    uint64_t bytesPerItem = 0;
};

class PlanModel {
public:
    /// Reads a plan (docs/plan.md). Throws PlanError naming the place on a malformed one.
    static PlanModel fromPlan(const nlohmann::json& plan);

    int optLevel = 2;
    std::string file, homeSite;
    std::vector<SiteInfo> sites;
    std::vector<LinkInfo> links;
    std::map<std::string, StreamInfo> streams;
    std::vector<HandlerInfo> handlers;
    double plannedMovedPerItem = 0, plannedWrittenPerItem = 0;

    /// The node of handler `handler` that runs the construct at `at` (a transfer never: the
    /// runtime moves values where they are needed), or nullptr.
    const NodeInfo* nodeAt(int handler, const std::string& at) const;
    const NodeInfo* node(int64_t id) const;
    const std::map<int64_t, NodeInfo>& nodes() const { return nodes_; }
    const SiteInfo* site(const std::string& name) const;
    const LinkInfo* link(const std::string& a, const std::string& b) const;

private:
    std::map<int64_t, NodeInfo> nodes_;
    std::map<std::pair<int, std::string>, int64_t> byPosition_;
};

}  // namespace xdml::runtime
