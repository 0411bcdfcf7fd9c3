// AstPrinter.h — a deterministic text form of the AST (`xdmlc build --emit=ast`): one line per
// declaration, statement and handler, expressions as fully parenthesized prefix forms, so that
// golden tests read well in a diff and show exactly how a flow was parsed.
#pragma once

#include "ast/Ast.h"

#include <iosfwd>
#include <string>

namespace xdml::ast {

void printModule(std::ostream& out, const Module& module);
std::string printExpr(const Expr& e);
std::string printType(const TypeExpr* t);

}  // namespace xdml::ast
