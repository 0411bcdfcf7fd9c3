// Completion.h — what may be typed where the cursor is: the REPL's tab completion and the
// language server's completion both ask here, so they offer the same names.
#pragma once

#include "sema/Sema.h"

#include <string>
#include <string_view>
#include <vector>

namespace xdml::tooling {

enum class CandidateKind { Keyword, Type, Stream, Policy, Clause, Fn, Task, Model, Catalog, Site, Const, Flow, Builtin };

struct Candidate {
    std::string label;
    CandidateKind kind = CandidateKind::Keyword;
    std::string detail;  // "fn (f: Frame) -> float", "stream of Frame", a built-in's signature
};

/// The reserved words and the contextual words of LANGUAGE.md §1.
const std::vector<std::string>& reservedWords();
const std::vector<std::string>& contextualWords();

/// What fits at the end of `textBefore` (the text up to the cursor), filtered by the word being
/// typed there: after `of type` the program's types, after `in`/`end of`/`train M on`/`emit .. to`
/// its streams, after `@` and `with` its policies, inside a policy's braces the clause names,
/// after `record .. in` catalogs, after `at`/`transfer .. to` sites, after `train` models;
/// elsewhere keywords, global names and built-ins. `program` may be null (nothing checked yet).
std::vector<Candidate> complete(const sema::CheckedProgram* program, std::string_view textBefore);

/// Whether any name may stand at the end of `textBefore` (no narrower context such as
/// `of type` or `@`): where a caller that knows the locals in scope may offer them too.
bool expectsAnyName(std::string_view textBefore);

/// The identifier being typed at the end of `textBefore` ("" after a space).
std::string_view wordBefore(std::string_view textBefore);

/// "fn hit_score(f: Frame) -> float", "stream frames: Frame", "policy quick": one line that says
/// what a global is, for hover and completion details.
std::string describe(const sema::CheckedProgram& program, const ast::Decl& decl);

}  // namespace xdml::tooling
