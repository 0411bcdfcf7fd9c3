// Code.h — the flow's code in the plan: types, consts, fns, tasks and every handler's body as
// typed, resolved trees (JSON), so that the runtime runs a plan without the parser or the
// AST. Names are resolved: each reference says whether it is a local, a global of some kind,
// a built-in, `it` or a training metric; each expression carries its type.
#pragma once

#include "plan/PassDecisions.h"
#include "sema/Sema.h"

#include <nlohmann/json.hpp>

namespace xdml::plan {

/// Where a construct starts, as "file:offset": the key that joins the code section's
/// expressions and statements to the plan's nodes ("at"), so the runtime finds each
/// evaluation's site, policy and persistence.
std::string positionKey(const SourceLoc& loc);

/// The program's params, in declaration order: each one's name, type, value for this run (as
/// constantText), default (as written), what set it ("--set n=5", or "" for the default) and doc.
nlohmann::json paramsJson(const sema::CheckedProgram& program);

/// A type as data: {"kind": "tensor", "elem": "f32", "dims": [64, 64]}, nominal types by name.
nlohmann::json typeJson(const sema::Type* t);
/// An expression as data, with "type" and "line".
nlohmann::json exprJson(const ast::Expr* e);
/// Statements (and handlers) as data.
nlohmann::json blockJson(const ast::Block& block);
/// The "code" section: "types" (nominal declarations), "consts", "fns", "tasks", "flows".
/// With the pass pipeline's `decisions`, the flows' handlers are written as the optimized
/// program runs them: unused statements left out, folded values as literals, a fused task
/// chain's consecutive statements as one `fused` block (docs/plan.md, "Code").
nlohmann::json codeJson(const sema::CheckedProgram& program, const PassDecisions* decisions = nullptr);

}  // namespace xdml::plan
