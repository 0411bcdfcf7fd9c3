// NodeKinds.h — the dataflow IR's node kinds. They are the plan's node kinds (each node is
// written to the plan with its kind), so they are listed once, with what each is, in the
// plan's vocabulary: XDML_PLAN_NODE_KINDS in planformat/PlanVocabulary.h.
#pragma once

#include "planformat/PlanVocabulary.h"

namespace xdml::ir {

using NodeKind = planformat::NodeKind;

}  // namespace xdml::ir
