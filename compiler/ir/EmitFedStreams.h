// EmitFedStreams.h — the last step of lowering: where an emit-fed stream without `at` lives.
// Naively, where the first emit into it runs; its handlers were lowered before that was known,
// so their unfixed nodes, and those fixed by `locality: source`, follow it there.
// Complexity: O(V + E + S log S) for S emit-fed streams, unless streams feed each other in a
// cycle (then one more round over their handlers per stream the cycle moves).
#pragma once

#include "ir/Graph.h"

namespace xdml::ir {

void placeEmitFedStreams(FlowIR& ir);

}  // namespace xdml::ir
