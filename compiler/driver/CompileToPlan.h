// CompileToPlan.h — the one sequence from a checked program to its plan: lowering, the pass
// pipeline, the plan's JSON. `xdmlc build`, `run` and `check`, the REPL and the language
// server all compile through it, so they cannot drift apart.
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"
#include "passes/Pass.h"
#include "sema/Sema.h"

#include <nlohmann/json.hpp>

#include <string>

namespace xdml::driver {

struct CompileOptions {
    std::string flow;                  // only this flow (the caller checks it exists); empty: all
    passes::PipelineOptions pipeline;  // -O level, disabled passes, --print-after, --verify-each
    bool plan = true;                  // also write the plan's JSON; false: the IR only (check)
};

struct CompiledFlow {
    enum class Status {
        Ok,
        InputErrors,  // placement found errors in the input (reported to the diagnostics)
        Malformed,    // the IR failed verification: an internal error (reported too)
    };
    Status status = Status::Ok;
    ir::FlowIR ir;        // after the pass pipeline
    nlohmann::json plan;  // plan::planJson(ir) when asked for and Ok; else null
    bool ok() const { return status == Status::Ok; }
};

/// Lowers `program` (which checked without errors), runs the pass pipeline and, when asked,
/// serializes the plan. Some errors show only once the flow is placed (a deadline below a
/// link's transfer time): they go to `diags`, and the status says so.
CompiledFlow compileToPlan(const sema::CheckedProgram& program, const CompileOptions& options, Diagnostics& diags);

}  // namespace xdml::driver
