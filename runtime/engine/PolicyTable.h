// PolicyTable.h — policies as the run enforces them: a node's or handler's merged clauses
// evaluated once into an EffectivePolicy and kept for the run.
#pragma once

#include "runtime/engine/PlanModel.h"
#include "runtime/interp/CompiledCode.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace xdml::runtime {

/// A policy's clauses as the run enforces them.
struct EffectivePolicy {
    int priority = 0;
    double deadline = 0;     // seconds; 0: none
    double startWithin = 0;  // seconds; 0: none
    int retry = 0;
    int maxConcurrent = 0;
    uint64_t memoryCap = 0;
    std::string limitKey;    // the policy a limit came from
    std::string locality;    // a site, data, source, accelerator; "" none
    std::string json;        // the clauses, for provenance
};

class PolicyTable {
public:
    /// `compiled`: the JIT's code for `program`, or nullptr.
    PolicyTable(const Program& program, const CompiledCode* compiled);

    /// The policy of `clauses` (a plan's node or handler), evaluated on first use. Clauses
    /// that do not evaluate (a models clause such as `until: accuracy ...`) are left out.
    const EffectivePolicy& of(const ClauseMap& clauses);

private:
    /// `of` under the table's lock: the policy made or found.
    const EffectivePolicy& lookup(const ClauseMap& clauses);

    const Program& program_;
    const CompiledCode* compiled_;
    const uint64_t serial_;  // this table among the process's (a REPL makes one per run)
    std::mutex mutex_;
    std::map<const ClauseMap*, EffectivePolicy> policies_;  // by the clauses' address: they live in the plan
};

}  // namespace xdml::runtime
