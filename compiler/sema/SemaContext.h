// SemaContext.h — state shared by the checking stages (internal to sema/), and the stage
// entry points, in the order Sema.cpp runs them.
#pragma once

#include "sema/Sema.h"

namespace xdml::sema {

class SemaContext {
public:
    SemaContext(CheckedProgram& program, Diagnostics& diags) : program(program), diags(diags) {}

    CheckedProgram& program;
    Diagnostics& diags;
    TypeContext& types() { return program.types; }

    /// The global declaration named `name`, or null. Marks it used.
    const ast::Decl* lookup(const std::string& name);
    /// Every global name, for "did you mean".
    std::vector<std::string> globalNames() const;

    /// The type a type expression denotes; reports unknown names and bad shapes.
    const Type* resolveType(const ast::TypeExpr* t);
    /// A type by name (built-in scalar or declared type), or null when there is none.
    const Type* typeNamed(const std::string& name);
    /// The value of a const (evaluated on first use; cycles reported).
    ConstValue constValue(const ast::Decl* decl);
    /// The value of a constant expression, or Unknown (without reporting) when it is not one.
    ConstValue evaluate(const ast::Expr* e);

    /// "'priority' expects an int, got string" style check of a value's type.
    bool expectType(const ast::Expr* e, const Type* expected, const std::string& what);

    std::map<const ast::Decl*, int> uses;
    std::set<const ast::Decl*> evaluating;  // consts and types being resolved (cycle detection)
};

// The stages, in order.
void declareGlobals(SemaContext& ctx);     // Sema.cpp: names, duplicates, std imports
void checkDeclarations(SemaContext& ctx);  // CheckDeclarations.cpp: types, consts, sites,
                                           // links, streams, models, catalogs, signatures
void checkModels(SemaContext& ctx);        // CheckModels.cpp: models (run by checkDeclarations)
void checkPolicies(SemaContext& ctx);      // CheckPolicies.cpp: named policies
void checkBodies(SemaContext& ctx);        // CheckStatements.cpp: fns, tasks, flows
void warnUnused(SemaContext& ctx);         // WarnUnused.cpp

/// CheckParams.cpp: whether a param's type is one a run can set (else reported).
bool checkParamType(SemaContext& ctx, const ast::Decl* decl, const Type* type);
/// CheckParams.cpp: the value of param `decl` of `type` — what the run sets, read as a literal
/// of the type (a bad one reported, naming the flag), else `byDefault`.
ConstValue paramValue(SemaContext& ctx, const ast::Decl* decl, const Type* type, ConstValue byDefault);
/// CheckParams.cpp: settings that name no param of the program.
void checkParamSettings(SemaContext& ctx);

/// CheckPython.cpp: a Python task's `= python "module:function"`: the names, the types that
/// can cross to Python, and (a warning) a module file next to the script that lacks the function.
void checkPythonTask(SemaContext& ctx, const ast::Decl& task);

/// Checks an inline or named policy's clauses; `owner` names it in messages ("policy 'p'").
/// Returns the clauses by name (inherited ones included for a named policy).
PolicyClauses checkPolicyClauses(SemaContext& ctx, const ast::PropertyBlock& block,
                                 const std::string& owner, const PolicyClauses* base);
/// Checks a `@ policy` reference.
void checkPolicyRef(SemaContext& ctx, const ast::PolicyRef& ref);

/// Why `use` ('train' or 'accuracy') of `model` cannot read stream `stream` of `element`s
/// (LANGUAGE.md §5: a record `{ x: <the model's input>, y: int | string }`), or "" when it can.
/// CheckStatements.cpp.
std::string labeledStreamProblem(const std::string& use, const ast::Decl& model, const ModelInfo& info,
                                 const ast::Decl& stream);

}  // namespace xdml::sema
