// Printer.h — the dataflow IR as deterministic text (`xdmlc build --emit=ir`) and as Graphviz
// (`--emit=dot`: one cluster per site, edges labelled with bytes per firing).
#pragma once

#include "ir/Graph.h"
#include "planformat/DotGraph.h"

#include <iosfwd>
#include <string>

namespace xdml::ir {

void printIR(std::ostream& out, const FlowIR& ir);
void printDot(std::ostream& out, const FlowIR& ir);
/// "16 KiB", "24 B": bytes as a person reads them.
using planformat::formatBytes;

}  // namespace xdml::ir
