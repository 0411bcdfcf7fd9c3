// DocumentSymbols.h — the outline: every declaration of the document as a DocumentSymbol, a
// flow's handlers as its children ("on new data of type Hit in frames").
#pragma once

#include "lsp/Analysis.h"

namespace xdml::lsp {

/// `DocumentSymbol[]` for the main file (parsed even when it does not check).
Json documentSymbols(const Analysis& analysis, PositionEncoding encoding);

}  // namespace xdml::lsp
