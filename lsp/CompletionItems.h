// CompletionItems.h — completion: the shared tooling's candidates for the text before the
// cursor, plus the locals in scope where any name fits, as LSP CompletionItems.
#pragma once

#include "lsp/Analysis.h"

#include <string_view>

namespace xdml::lsp {

/// `CompletionItem[]`. `checked` is the document's last analysis that checked (it may be
/// older than the text while the text has syntax errors); null when none has yet.
Json completionItems(const Analysis* checked, std::string_view textBefore);

}  // namespace xdml::lsp
