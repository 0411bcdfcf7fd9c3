// Pipeline.cpp — the pass pipeline, in one place. Why this order:
// - fold-constants first, so that later passes see constants, not expressions.
// - eliminate-dead-nodes before placement, so that unused values do not pull work to a site.
// - place-tasks before fusion: fusion merges only chains that run on one site.
// - fuse-chains after placement, and before transfers, so that transfers carry fused results.
// - insert-transfers (required) after every placement decision: it makes moves explicit.
// - check-deadlines (required) last: it times the transfers.
// Each pass's header gives its complexity: all are linear or n·log n in the IR (times the number
// of sites for place-tasks and the placement lower bound, one cut per site), but for the max flow
// their minimum cuts run on the core that the cuts' linear-time reductions cannot take apart.
#include "passes/Pass.h"

#include "ir/Printer.h"
#include "ir/Verify.h"
#include "passes/CheckDeadlines.h"
#include "passes/EliminateDeadNodes.h"
#include "passes/FoldConstants.h"
#include "passes/FuseChains.h"
#include "passes/InsertTransfers.h"
#include "passes/PlaceTasks.h"
#include "passes/PlacementProblem.h"

#include <ostream>

namespace xdml::passes {

const std::vector<Pass>& allPasses() {
    static const std::vector<Pass> passes = {
        {"fold-constants", "expression nodes with a compile-time value become Const nodes", false, foldConstants},
        {"eliminate-dead-nodes", "removes pure nodes whose value nothing uses", false, eliminateDeadNodes},
        {"place-tasks", "chooses sites for nodes their policy leaves open, moving the fewest bytes", false, placeTasks},
        {"fuse-chains", "fuses single-consumer chains and tensor loops; keeps values in memory", false, fuseChains},
        {"insert-transfers", "puts a Transfer node on every data edge between sites", true, insertTransfers},
        {"check-deadlines", "compares transfer times with deadlines and start_within", true, checkDeadlines},
    };
    return passes;
}

const Pass* findPass(const std::string& name) {
    for (const Pass& p : allPasses())
        if (name == p.name) return &p;
    return nullptr;
}

bool runPipeline(ir::FlowIR& ir, Diagnostics& diags, const PipelineOptions& options) {
    ir.optLevel = options.optLevel;
    auto verify = [&](const char* after) {
        auto problems = ir::verifyIR(ir, false);
        for (const std::string& p : problems)
            diags.error({}, std::string("internal error: the IR is malformed after ") + after + ": " + p);
        return problems.empty();
    };
    if (options.verifyEach && !verify("lowering")) return false;
    // The bound is taken on the IR as lowered: the placements the policies allow.
    ir.minMovedBytesPerItem = movementLowerBound(formulatePlacement(ir, 0));
    for (const Pass& pass : allPasses()) {
        if (!pass.required && (options.optLevel < 1 || options.disabled.count(pass.name))) continue;
        pass.run(ir, diags);
        if (options.printAfter.count(pass.name) && options.printTo) {
            *options.printTo << "; IR after " << pass.name << "\n";
            ir::printIR(*options.printTo, ir);
        }
        if (options.verifyEach && !diags.hasErrors() && !verify(pass.name)) return false;
    }
    // A user error (a move no link allows) leaves the IR as it is; it was reported already.
    if (diags.hasErrors()) return true;
    auto problems = ir::verifyIR(ir, true);
    for (const std::string& p : problems) diags.error({}, "internal error: the IR is malformed: " + p);
    return problems.empty();
}

}  // namespace xdml::passes
