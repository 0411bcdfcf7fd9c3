// SourceIndex.h — what is at a position of a checked program: the name or expression under the
// cursor, the declaration it refers to, and the local names in scope there. The language
// server's hover, go-to-definition and completion ask here; the REPL may too.
#pragma once

#include "sema/Sema.h"
#include "stdlib/StdLib.h"

#include <string>
#include <vector>

namespace xdml::tooling {

/// A name bound inside a fn, task or flow: a parameter, `let`, `for` or `on ... as x`.
struct LocalSymbol {
    std::string name;
    SourceRange definition;            // the name where it is bound
    const sema::Type* type = nullptr;  // null when checking did not decide it
};

enum class SymbolKind {
    None,        // nothing known at the position
    Global,      // a declaration's name or a reference to one (`global`)
    Local,       // a local's binding or a use of it (`local`)
    Builtin,     // a standard-library name (`builtin`)
    Expression,  // another expression (a field, a call, a literal): only its type is known
};

struct SymbolAt {
    SymbolKind kind = SymbolKind::None;
    SourceRange range;                      // the name or expression under the position
    std::string name;                       // the name as written ("" for an expression)
    const ast::Decl* global = nullptr;      // Global
    LocalSymbol local;                      // Local
    const stdlib::Entry* builtin = nullptr; // Builtin
    const ast::Expr* expr = nullptr;        // the innermost expression there, when there is one
    SourceRange field;                      // on `x.name`: where x's record type declares `name`
};

/// The name or expression of `file` at byte `offset` (a cursor touching either end of a name
/// counts). Names in every position are found: expressions, type names, `in STREAM`,
/// `train M on S`, `record x in C`, `@ policy`, `with base`, `at SITE`, link ends,
/// `classified by M`, clause values and declarations' own names.
SymbolAt symbolAt(const sema::CheckedProgram& program, FileId file, uint32_t offset);

/// The locals visible at byte `offset` of `file`, innermost last (a later one shadows).
std::vector<LocalSymbol> localsAt(const sema::CheckedProgram& program, FileId file, uint32_t offset);

}  // namespace xdml::tooling
