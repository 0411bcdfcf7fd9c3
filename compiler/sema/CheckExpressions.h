// CheckExpressions.h — types every expression (LANGUAGE.md §§2, 6): names and scopes, operator
// rules for numbers, quantities and tensors, slices and shapes, calls of fns, tasks, models
// and the standard library, and purity where only pure expressions are allowed.
#pragma once

#include "sema/SemaContext.h"

#include <map>
#include <string>
#include <vector>

namespace xdml::sema {

struct Local {
    const Type* type = nullptr;
    SourceRange range;
    bool isItem = false;  // a stream item or a parameter given one: `seq(x)` applies
    bool used = false;
};

class ExprChecker {
public:
    explicit ExprChecker(SemaContext& ctx) : ctx_(ctx) { pushScope(); }

    /// Non-empty while checking an expression that must be pure: "fn 'f'".
    std::string pureContext;
    /// Bound while checking a refinement predicate.
    const Type* itType = nullptr;
    /// While checking `until`: `accuracy`, `loss` and `epoch` are bound.
    bool trainMetrics = false;

    void pushScope();
    /// Pops a scope; `warnUnused` reports its unused `let`s.
    void popScope(bool warnUnusedLets = false);
    /// Declares a local; a second one of the same name in one scope is an error.
    void declare(const ast::Name& name, const Type* type, bool isItem, bool isLet = false);
    /// Declares a fn's or task's parameters, typed by its signature `fn`. A repeated name was
    /// reported with the signature, so it is skipped here.
    void declareParams(const std::vector<ast::Param>& params, const Type* fn);

    /// The expression's type (also stored in e->type). Never null; Error when it has none.
    const Type* check(ast::Expr* e);
    /// Checks `e` and that its value fits `expected`; reports a mismatch at `e`.
    bool checkAssignable(ast::Expr* e, const Type* expected, const std::string& context);
    /// Reports that a value of `from` does not fit `to`.
    void reportMismatch(const SourceRange& at, const Type* from, const Type* to,
                        const std::string& context);

private:
    const Type* checkKind(ast::Expr* e);
    const Type* checkIdent(ast::Expr* e, bool asCallee);
    const Type* checkBinary(ast::Expr* e);
    const Type* checkUnary(ast::Expr* e);
    const Type* checkTernary(ast::Expr* e);
    const Type* checkCall(ast::Expr* e);
    const Type* checkBuiltinCall(ast::Expr* e, const stdlib::Entry& entry);
    const Type* checkUserCall(ast::Expr* e, const ast::Decl* decl);
    const Type* checkModelCall(ast::Expr* e, const ast::Decl* decl);
    const Type* checkField(ast::Expr* e);
    const Type* checkIndex(ast::Expr* e);
    const Type* checkList(ast::Expr* e);
    const Type* checkRecord(ast::Expr* e);
    const Type* checkString(ast::Expr* e);
    /// An interpolation's format: it reads, and fits the type of what it formats.
    void checkFormat(const ast::Name& format, const Type* t);

    /// A type argument (`noise(Frame, i)`): the named type, or null after reporting.
    const Type* typeArgument(ast::Expr* e, const std::string& callee);
    /// Reports an impure use when only pure expressions are allowed.
    void requirePure(const SourceRange& at, const std::string& what, const std::string& why,
                     const std::string& hint = "use a task");

    Local* findLocal(const std::string& name);
    std::vector<std::string> visibleNames() const;

    SemaContext& ctx_;
    struct Scope {
        std::map<std::string, Local> locals;
        std::vector<std::string> lets;
    };
    std::vector<Scope> scopes_;
    int depth_ = 0;  // of the expression being checked, for planformat::kMaxExprDepth
    bool reportedTooDeep_ = false;
};

}  // namespace xdml::sema
