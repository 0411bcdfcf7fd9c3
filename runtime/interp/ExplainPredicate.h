// ExplainPredicate.h — why a refinement type's `where` predicate holds or not for one item,
// in the words of its source and with the values that decided: "mean(it) = 0.4312 > 0.4",
// "max(it) = 3.2, not > 10.0". Recorded with the item's type decision, whichever way it went,
// so `xdmlc prov why-not` can say why an item was not handled (docs/provenance.md).
#pragma once

#include "runtime/interp/Evaluate.h"

#include <string>

namespace xdml::runtime {

/// The predicate as its source would read (infix, parenthesized only where needed).
std::string sourceText(const Expr& e);

/// The deciding part of `where` for `item`, evaluated again by the interpreter: for `a and b`
/// the operand that was false (or both when it held), for `a or b` the one that was true (or
/// both when it did not), for a comparison its operands' values, else the value itself.
/// `holds` is what the run decided. Never throws: an evaluation that fails is said instead.
std::string explainPredicate(Evaluator& evaluator, const Expr& where, const Value& item, bool holds);

}  // namespace xdml::runtime
