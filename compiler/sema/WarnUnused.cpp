// WarnUnused.cpp — warnings for declarations of the main file that nothing uses. Imported files
// are libraries: what they declare may be meant for other importers.
#include "sema/SemaContext.h"

namespace xdml::sema {

using namespace ast;

void warnUnused(SemaContext& ctx) {
    if (ctx.program.modules.empty()) return;
    for (auto& d : ctx.program.modules.front()->decls) {
        switch (d->kind) {
        case DeclKind::Const: case DeclKind::Fn: case DeclKind::TypeDecl: case DeclKind::Task:
        case DeclKind::Policy: case DeclKind::Model: case DeclKind::Catalog:
            break;
        default: continue;
        }
        const std::string& name = d->name.text;
        if (name.empty() || name[0] == '_') continue;
        auto it = ctx.program.globals.find(name);
        if (it == ctx.program.globals.end() || it->second != d.get()) continue;  // a duplicate
        if (ctx.uses[d.get()] == 0)
            ctx.diags.warning(d->name.range, std::string(keyword(*d)) + " '" + name + "' is never used");
    }
}

}  // namespace xdml::sema
