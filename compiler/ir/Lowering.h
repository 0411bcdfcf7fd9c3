// Lowering.h — the state of lowering one checked program to the IR (Lower.h is the entry point):
// flows and handlers (Lower.cpp), statements (LowerStatements.cpp) and expressions
// (LowerExpressions.cpp) share it: the handler, loop rate, region and names in scope.
#pragma once

#include "ir/Graph.h"
#include "ir/PolicyPlacement.h"
#include "sema/Sema.h"

#include <map>
#include <string>
#include <vector>

namespace xdml::ir {

class Lowering {
public:
    Lowering(const sema::CheckedProgram& program, Diagnostics& diags)
        : p_(program), diags_(diags), policies_(program, ir_.sites, diags) {}

    FlowIR run(const std::string& flowName);

private:
    using Decl = ast::Decl;
    using DeclKind = ast::DeclKind;
    using Expr = ast::Expr;
    using Stmt = ast::Stmt;

    // ------------------------------------------------------------ flows and handlers (Lower.cpp)
    std::vector<const Decl*> declsOf(DeclKind kind) const;
    void declareSites();
    /// Streams, catalogs and models: one node each, shared by every handler.
    void declareShared();
    /// A node every handler shares, at the home site until told otherwise.
    Node shared(NodeKind kind, const Decl& d, const sema::Type* type) const;
    NodeId addNode(Node n);
    void lowerFlow(const Decl& flow);
    void beginHandler(Handler h, const std::string& site, double rate);
    void onNewData(const Decl& flow, const Stmt& st);
    /// The run-time type test of a subtype: a refinement predicate or a model's class.
    NodeId classify(const Decl& type, NodeId source);
    void onEnd(const Decl& flow, const Stmt& st);
    void onStop(const Decl& flow, const Stmt& st);
    /// A handler the run itself fires once (a flow's start, its `on stop`), at the home site.
    void beginRunHandler(const Decl& flow, Handler::Kind kind, SourceRange where, NodeKind node, const std::string& reason);

    // ------------------------------------------------------------ statements (LowerStatements.cpp)
    ResolvedPolicy policyFor(const Stmt* st, const Decl* task);
    void statement(const Stmt& st);
    Node effect(NodeKind kind, const Stmt& st, std::string label);
    void region(const Stmt& st);
    NodeId trigger() const { return ir_.handlers[static_cast<std::size_t>(handler_)].trigger; }

    // ------------------------------------------------------------ expressions (LowerExpressions.cpp)
    /// The expression's text, shortened for a label.
    static std::string shortText(const Expr& e);
    /// A data edge from -> to; a value read twice by one node is one edge (it moves once).
    void input(NodeId from, NodeId to);
    NodeId lookup(const std::string& name) const;
    /// The node whose output is the value of `e`: a call node, an expression node over the
    /// values it reads, or the node that bound a name.
    NodeId value(const Expr* e);
    /// Whether an expression calls a standard function with side effects (sh, write).
    static bool hasEffects(const Expr* e);
    /// Connects the values an expression reads (names, nested calls, catalogs) to `into`.
    void reads(const Expr* e, NodeId into);
    /// A node computing expression `e`, with its type and size.
    static Node exprNode(NodeKind kind, const std::string& label, const Expr* e, const Decl* decl);
    NodeId call(const Expr* e, const Decl* d);
    NodeId infer(const Expr* e, const Decl* model);

    const sema::CheckedProgram& p_;
    Diagnostics& diags_;
    FlowIR ir_;
    PolicyPlacement policies_;  // reads ir_.sites, declared before it
    int handler_ = -1;
    double rate_ = 1;
    NodeId region_ = kNoNode;
    std::string triggerSite_;
    ResolvedPolicy flowPolicy_;
    const Stmt* current_ = nullptr;
    std::vector<std::map<std::string, NodeId>> env_;
    std::vector<const Decl*> streamDecls_;
};

}  // namespace xdml::ir
