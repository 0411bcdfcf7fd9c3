// Graph.h — the typed dataflow IR: a flow as a Boost.Graph graph over sites and links. Nodes
// and edges are plain data; passes (compiler/passes/) transform them, the verifier checks
// them, the printers show them, and the plan (compiler/plan/) serializes them.
#pragma once

#include "diag/SourceManager.h"
#include "ir/NodeKinds.h"
#include "sema/ConstValue.h"

#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xdml::sema {
struct SiteGrant;
}

namespace xdml::ast {
struct Decl;
struct Expr;
}  // namespace xdml::ast
namespace xdml::sema {
class Type;
struct CheckedProgram;
}  // namespace xdml::sema

namespace xdml::ir {

/// "source", "trigger", ...: the kind's spelling in the plan.
inline const char* kindName(NodeKind kind) { return planformat::spelling(kind); }

using NodeId = std::size_t;
constexpr NodeId kNoNode = static_cast<NodeId>(-1);

/// A policy clause after merging (flow < handler < task declaration < statement), with the
/// place it was written and the policy it came from.
struct Clause {
    std::string value;   // as written: "2s", "edge", "{ cores: 512 }"
    SourceRange where;   // the value
    std::string origin;  // "policy 'quick'", "inline policy"
    const ast::Expr* expr = nullptr;  // the value's expression (compiler-side only)
};
using ResolvedPolicy = std::map<std::string, Clause>;

/// Why a node runs where it runs: the clause that fixed it, or the costs that decided.
struct Placement {
    std::string reason;
    std::map<std::string, double> bytesMovedIfAt;  // candidate site -> bytes moved per firing
};

struct Node {
    NodeKind kind = NodeKind::Eval;
    std::string label;           // the fn, task, stream, catalog or model name; else a short text
    SourceRange where;           // the construct it comes from
    const sema::Type* type = nullptr;  // the value it produces; null: none
    uint64_t bytes = 0;          // bytes of that value per firing
    int handler = -1;            // index in FlowIR::handlers; -1: shared (source, catalog, model)
    double rate = 1;             // firings per item that triggers its handler (0: once per run)
    NodeId region = kNoNode;     // the Region node whose body it is in
    std::string site;            // where it runs; set by lowering, refined by place-tasks
    bool siteFixed = false;      // a declaration or a policy clause fixes the site
    bool followsStream = false;  // fixed by `locality: source`: wherever its handler's stream is
    std::vector<std::string> allowed;  // sites a policy allows (accelerator, limits); empty: any
    Placement placement;
    ResolvedPolicy policy;
    bool pure = false;           // no effects: may be folded, fused, or removed when unused
    bool persist = false;        // its value is written to its site's storage
    std::vector<std::string> members;  // Fused, Kernel: what was fused, in order
    std::vector<SourceRange> fusedFrom;  // Fused, Kernel: where the merged members came from
    const ast::Expr* expr = nullptr;   // Eval, Call, Task, Infer, Log, Region: the source expression
    const ast::Decl* decl = nullptr;   // the fn, task, stream, catalog, model or type
    sema::ConstValue constant;   // Const: the value fold-constants computed
    std::string fromSite, toSite;  // Transfer
    bool removed = false;        // removed by a pass: no edges, skipped everywhere
    NodeId fusedInto = kNoNode;  // removed by fuse-chains: the fused or kernel node it is part of
                                 // now (kNoNode: not merged; a dead node removed has none)
};

struct Edge {
    uint64_t bytes = 0;                // bytes per firing of the consumer
    const sema::Type* type = nullptr;  // the value carried; null: an ordering (control) edge
    bool control() const { return type == nullptr; }
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Node, Edge>;
using EdgeId = Graph::edge_descriptor;

struct Site {
    std::string name;
    int64_t cores = 0;
    int64_t gpus = 0;
    double memory = 0;
    double storage = 0;
    bool implicit = false;  // the `local` site of a file without sites
    const sema::SiteGrant* grant = nullptr;  // its deployment binding, when compiled with one
};

struct Link {
    std::string from, to;
    double bandwidth = 0;  // bytes per second
    double latency = 0;    // seconds
    bool bidirectional = true;
};

struct Handler {
    using Kind = planformat::HandlerKind;  // the plan's handler kinds
    Kind kind = Kind::Data;
    std::string flow;
    std::string stream;      // Data, End
    std::string type;        // Data: D
    int64_t every = 1;
    NodeId trigger = kNoNode;
    SourceRange where;
    SourceRange statement;   // Data, End: the `on` statement (the plan's "at" for it)
    ResolvedPolicy policy;   // flow < handler
};

/// A lowered program: the graph, and the sites, links and handlers it refers to.
struct FlowIR {
    Graph graph;
    std::vector<Site> sites;
    std::vector<Link> links;
    std::vector<Handler> handlers;
    std::map<std::string, NodeId> streams, catalogs, models;
    std::string homeSite;    // the first declared site: where catalogs live
    double minMovedBytesPerItem = 0;  // the placement lower bound, computed on the lowered IR
    std::string file;
    int optLevel = 0;
    const sema::CheckedProgram* program = nullptr;

    Node& node(NodeId id) { return graph[id]; }
    const Node& node(NodeId id) const { return graph[id]; }
    std::size_t nodeCount() const { return boost::num_vertices(graph); }
    NodeId add(Node n) { return boost::add_vertex(std::move(n), graph); }
    void connect(NodeId from, NodeId to, uint64_t bytes, const sema::Type* type) {
        boost::add_edge(from, to, Edge{bytes, type}, graph);
    }
    /// Removes a node and its edges (its id stays, marked removed).
    void remove(NodeId id) {
        boost::clear_vertex(id, graph);
        graph[id].removed = true;
    }
    const Site* site(const std::string& name) const;
    const Link* link(const std::string& a, const std::string& b) const;
};

}  // namespace xdml::ir
