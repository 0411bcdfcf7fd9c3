// PolicyPlacement.h — a node's policy (flow < handler < task declaration < statement, the
// later clause winning) and the site it naively runs at: the one a `locality` names, else
// its handler's stream's site, within the sites its limits allow. What lowering needs of
// policies, and the errors that only the merged policy of a node can show.
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"
#include "sema/Sema.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace xdml::ir {

class PolicyPlacement {
public:
    /// `sites` is read when nodes are placed, so it may be filled after construction.
    PolicyPlacement(const sema::CheckedProgram& program, const std::vector<Site>& sites, Diagnostics& diags);

    /// Adds the clauses of a named or inline policy to `out`; the clauses added later win.
    void addClauses(ResolvedPolicy& out, const ast::PolicyRef* ref) const;
    /// Gives `n` its merged policy and its naive site; reports limits no site meets, and a
    /// fixed site its limits rule out (with a note at the locality).
    void place(Node& n, const ResolvedPolicy& policy, const std::string& triggerSite);

private:
    /// The limit of `key` in a merged policy, with its expression, or 0.
    static int64_t limitOf(const ResolvedPolicy& policy, const std::string& key, const ast::Expr** at);
    static std::vector<std::string> intersect(const std::vector<std::string>& a, const std::vector<std::string>& b);
    bool reportOnce(const SourceRange& at, const std::string& message);
    const Site* siteNamed(const std::string& name) const;

    const sema::CheckedProgram& program_;
    const std::vector<Site>& sites_;
    Diagnostics& diags_;
    std::set<std::pair<FileId, uint32_t>> reported_;  // many nodes share one policy
};

}  // namespace xdml::ir
