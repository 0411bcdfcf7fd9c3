// Definition.h — go to definition: where the global or local under the cursor is declared,
// in this file or an imported one.
#pragma once

#include "lsp/Analysis.h"

#include <optional>

namespace xdml::lsp {

/// The `Location` of the declaration named at `offset`, or nothing (a built-in, a literal).
std::optional<Json> definition(const Analysis& analysis, uint32_t offset, PositionEncoding encoding,
                               const std::function<std::string(FileId)>& uriOf);

}  // namespace xdml::lsp
