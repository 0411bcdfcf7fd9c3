// PlanLimits.h — bounds the compiler and the plan's readers agree on, so that a flow that
// checks also loads.
#pragma once

namespace xdml::planformat {

/// How deep a plan's JSON may nest. Its readers recurse once per level of an expression, a
/// type or a block, so a deeper plan would overflow the stack: they refuse it before reading.
constexpr int kMaxPlanNesting = 2048;
/// How deep a checked expression may nest, so that its plan stays within kMaxPlanNesting: an
/// expression level takes two or three of the JSON's (an operator and its "args"; a record's
/// "fields", field and "value"), and the blocks around it, at most 256 deep by the parser's
/// bound, add the rest. Only chains of binary operators get this deep, a level per operand.
constexpr int kMaxExprDepth = 600;

}  // namespace xdml::planformat
