// DeclarationProperties.h — what the declaration checks share (internal to sema/): the
// declarations of a kind, and the `{ key: value }` blocks of sites, links, models and
// streams: known keys, constant values, bare words and site names.
#pragma once

#include "sema/SemaContext.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xdml::sema {

/// Every named declaration of `kind`, module by module, in source order.
std::vector<const ast::Decl*> declsOf(SemaContext& ctx, ast::DeclKind kind);
/// Checks `{ key: value }` against the keys a declaration knows; returns each known key's
/// property. Unknown and repeated keys are reported.
std::map<std::string, const ast::Property*> knownProperties(SemaContext& ctx,
                                                             const std::optional<ast::PropertyBlock>& block,
                                                             const std::vector<std::string>& keys,
                                                             const std::string& owner);
/// A property's value, type-checked against `expected` and evaluated at compile time.
ConstValue constantProperty(SemaContext& ctx, const ast::Property* p, const Type* expected);
/// A bare word property (`select: reservoir`): the word, or "" after reporting.
std::string wordProperty(SemaContext& ctx, const ast::Property* p, const std::vector<std::string>& words);
/// The same for a value named `key` anywhere else (a named argument: `format: raw`).
std::string wordValue(SemaContext& ctx, const ast::Name& key, const ast::Expr* value, const std::vector<std::string>& words);
/// `at: SITE` / `at SITE`: reports anything but a declared site.
void checkSiteName(SemaContext& ctx, const ast::Name& name);

}  // namespace xdml::sema
