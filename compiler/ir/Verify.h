// Verify.h — checks every invariant of the dataflow IR (docs/ir.md). Run after lowering and,
// with --verify-each, after every pass; the test suite runs it after every pass.
#pragma once

#include "ir/Graph.h"

#include <string>
#include <vector>

namespace xdml::ir {

/// The broken invariants, one line each; empty when the IR is well formed. `placed`: every
/// cross-site data edge must already go through a Transfer node.
std::vector<std::string> verifyIR(const FlowIR& ir, bool placed);

}  // namespace xdml::ir
