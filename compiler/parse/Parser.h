// Parser.h — source text to AST. The only interface to ANTLR: nothing else sees its types.
#pragma once

#include "ast/Ast.h"
#include "diag/Diagnostics.h"

#include <memory>

namespace xdml::parse {

/// Parses one loaded file. Syntax errors go to `diags`; the module holds what could be read
/// (never null). Prediction runs in SLL mode first and falls back to full LL only on failure.
std::unique_ptr<ast::Module> parseModule(const SourceManager& sources, FileId file,
                                         Diagnostics& diags);

/// Parses a file that holds one expression (what the REPL evaluates). Syntax errors go to
/// `diags`; null when nothing could be read.
ast::ExprPtr parseExpression(const SourceManager& sources, FileId file, Diagnostics& diags);

}  // namespace xdml::parse
