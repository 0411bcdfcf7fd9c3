// DeclarationProperties.cpp — see DeclarationProperties.h.
#include "sema/DeclarationProperties.h"

#include "sema/CheckExpressions.h"

#include <algorithm>

namespace xdml::sema {

using namespace ast;

std::vector<const Decl*> declsOf(SemaContext& ctx, DeclKind kind) {
    std::vector<const Decl*> out;
    for (auto& m : ctx.program.modules)
        for (auto& d : m->decls)
            if (d->kind == kind && !d->name.text.empty()) out.push_back(d.get());
    return out;
}

std::map<std::string, const Property*> knownProperties(SemaContext& ctx, const std::optional<PropertyBlock>& block,
                                                        const std::vector<std::string>& keys,
                                                        const std::string& owner) {
    std::map<std::string, const Property*> out;
    if (!block) return out;
    for (const Property& p : block->properties) {
        if (std::find(keys.begin(), keys.end(), p.key.text) == keys.end()) {
            std::string list;
            for (const std::string& k : keys) list += (list.empty() ? "" : ", ") + k;
            ctx.diags.error(p.key.range, "unknown property '" + p.key.text + "' of " + owner +
                                             didYouMean(p.key.text, keys) + "; known: " + list);
            continue;
        }
        if (out.count(p.key.text)) {
            ctx.diags.error(p.key.range, "'" + p.key.text + "' is given twice");
            continue;
        }
        out[p.key.text] = &p;
    }
    return out;
}

ConstValue constantProperty(SemaContext& ctx, const Property* p, const Type* expected) {
    ExprChecker checker(ctx);
    checker.pureContext = "'" + p->key.text + "'";
    checker.check(p->value.get());
    if (!ctx.expectType(p->value.get(), expected, p->key.text)) return {};
    ConstValue v = ctx.evaluate(p->value.get());
    if (!v.known()) ctx.diags.error(p->value->range, "'" + p->key.text + "' must be a constant");
    return v;
}

std::string wordValue(SemaContext& ctx, const Name& key, const Expr* e, const std::vector<std::string>& words) {
    std::string list;
    for (const std::string& w : words) list += (list.empty() ? "" : ", ") + w;
    if (!e || e->kind != ExprKind::Ident || std::find(words.begin(), words.end(), e->text) == words.end()) {
        std::string got = e && e->kind == ExprKind::Ident ? "'" + e->text + "'" + didYouMean(e->text, words) : "this";
        ctx.diags.error(e ? e->range : key.range, "'" + key.text + "' must be one of " + list + ", not " + got);
        return "";
    }
    return e->text;
}

std::string wordProperty(SemaContext& ctx, const Property* p, const std::vector<std::string>& words) {
    return wordValue(ctx, p->key, p->value.get(), words);
}

void checkSiteName(SemaContext& ctx, const Name& name) {
    const Decl* s = ctx.lookup(name.text);
    if (s && s->kind == DeclKind::Site) return;
    if (!s && name.text == "local" && ctx.program.implicitLocalSite) return;
    std::vector<std::string> sites;
    for (const auto& [n, d] : ctx.program.globals)
        if (d->kind == DeclKind::Site) sites.push_back(n);
    if (s) ctx.diags.error(name.range, "'" + name.text + "' is a " + keyword(*s) + ", not a site");
    else ctx.diags.error(name.range, "unknown site '" + name.text + "'" + didYouMean(name.text, sites));
}

}  // namespace xdml::sema
