// Definition.cpp — the source index finds the name; the declaration's name range is the target.
// On an `import "file"` the target is the imported file.
#include "lsp/Definition.h"

#include "tooling/SourceIndex.h"

#include <filesystem>

namespace xdml::lsp {

namespace {

/// The file an `import "file";` of the main file at `offset` loaded, if it did.
std::optional<FileId> importedFileAt(const Analysis& a, uint32_t offset) {
    for (const auto& module : a.program->modules) {
        if (module->file != a.mainFile) continue;
        for (const ast::DeclPtr& d : module->decls) {
            if (d->kind != ast::DeclKind::Import || d->importFile.empty()) continue;
            if (offset < d->range.begin.offset || offset > d->range.endOffset) continue;
            // Resolved as the front end resolves it (Frontend.cpp).
            std::filesystem::path base = std::filesystem::path(a.sources->path(a.mainFile)).parent_path();
            std::string target = (base / d->importFile).lexically_normal().string();
            for (FileId f = 0; f < a.sources->fileCount(); ++f)
                if (f != a.mainFile && a.sources->path(f) == target) return f;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<Json> definition(const Analysis& a, uint32_t offset, PositionEncoding encoding,
                               const std::function<std::string(FileId)>& uriOf) {
    if (!a.program) return std::nullopt;
    if (std::optional<FileId> file = importedFileAt(a, offset)) {
        Json start{{"line", 0}, {"character", 0}};
        return Json{{"uri", uriOf(*file)}, {"range", {{"start", start}, {"end", start}}}};
    }
    tooling::SymbolAt s = tooling::symbolAt(*a.program, a.mainFile, offset);
    SourceRange target;
    if (s.kind == tooling::SymbolKind::Global) target = s.global->name.range;
    else if (s.kind == tooling::SymbolKind::Local) target = s.local.definition;
    else if (s.kind == tooling::SymbolKind::Expression) target = s.field;
    if (!target.valid()) return std::nullopt;
    return Json{{"uri", uriOf(target.begin.file)}, {"range", toRange(a, target, encoding)}};
}

}  // namespace xdml::lsp
