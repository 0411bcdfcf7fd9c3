// FoldConstants.h — fold-constants: an expression node that reads no value and whose result
// is known at compile time becomes a Const node.
//   before: n7 = eval (* 2 THRESHOLD) : float
//   after:  n7 = const (* 2 THRESHOLD) : float = 1
// Requires: a lowered IR. Guarantees: no Eval node without inputs has a known value.
// Complexity: O(V + the size of the folded expressions).
#pragma once

#include "diag/Diagnostics.h"
#include "ir/Graph.h"

namespace xdml::passes {
bool foldConstants(ir::FlowIR& ir, Diagnostics& diags);
}
