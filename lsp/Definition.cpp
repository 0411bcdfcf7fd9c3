// Definition.cpp — the source index finds the name; the declaration's name range is the target.
#include "lsp/Definition.h"

#include "tooling/SourceIndex.h"

namespace xdml::lsp {

std::optional<Json> definition(const Analysis& a, uint32_t offset, PositionEncoding encoding,
                               const std::function<std::string(FileId)>& uriOf) {
    if (!a.program) return std::nullopt;
    tooling::SymbolAt s = tooling::symbolAt(*a.program, a.mainFile, offset);
    SourceRange target;
    if (s.kind == tooling::SymbolKind::Global) target = s.global->name.range;
    else if (s.kind == tooling::SymbolKind::Local) target = s.local.definition;
    if (!target.valid()) return std::nullopt;
    return Json{{"uri", uriOf(target.begin.file)}, {"range", toRange(a, target, encoding)}};
}

}  // namespace xdml::lsp
