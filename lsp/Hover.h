// Hover.h — what the editor shows over a name: a global's one-line description, its `///` doc
// and, for a policy, its clauses after `with` inheritance; a local's or expression's type; a
// built-in's signature.
#pragma once

#include "lsp/Analysis.h"

#include <optional>

namespace xdml::lsp {

/// The `Hover` result (markdown contents and the range hovered), or nothing to show.
std::optional<Json> hover(const Analysis& analysis, uint32_t offset, PositionEncoding encoding);

}  // namespace xdml::lsp
