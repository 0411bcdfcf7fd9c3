// Lower.h — lowers a checked program to the dataflow IR.
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"
#include "sema/Sema.h"

namespace xdml::ir {

/// Builds the dataflow graph of every flow in `program` (or only `flowName`, when given).
/// Requires a program that checked without errors. Guarantees a graph that passes verifyIR,
/// with every node on a site: the one a declaration or policy fixes, else its handler's
/// stream's site (the naive placement that -O0 keeps). Policy conflicts between levels
/// (flow < handler < task declaration < statement) are reported with both locations.
FlowIR lowerToIR(const sema::CheckedProgram& program, Diagnostics& diags, const std::string& flowName = "");

/// Estimated bytes of one value of type `t` (LANGUAGE.md §2 layouts; see docs/ir.md).
uint64_t bytesOf(const sema::Type* t);

}  // namespace xdml::ir
