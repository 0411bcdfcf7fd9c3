// Ast.h — the syntax tree of an XDML file: plain data with source ranges. The parser bridge
// builds it; sema annotates expressions with their types; nothing here has behaviour.
#pragma once

#include "ast/NodeKinds.h"
#include "diag/SourceManager.h"
#include "planformat/PlanVocabulary.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xdml::sema {
class Type;
}

namespace xdml::ast {

struct Decl;

/// An identifier as written, with where it was written.
struct Name {
    std::string text;
    SourceRange range;
};

// ---------------------------------------------------------------- types as written

enum class TypeExprKind {
#define X(kind, doc) kind,
    XDML_TYPE_EXPR_KINDS(X)
#undef X
};

struct TypeExpr;
using TypeExprPtr = std::unique_ptr<TypeExpr>;

/// One tensor dimension: a number, a const's name, or `?`.
struct Dim {
    enum class Kind { Number, Name, Unknown } kind = Kind::Unknown;
    int64_t number = 0;
    Name name;
    SourceRange range;
};

struct FieldType {
    Name name;
    TypeExprPtr type;
};

struct TypeExpr {
    TypeExprKind kind;
    SourceRange range;
    Name name;                       // Named: the type's name; Tensor: the element type
    std::vector<Dim> dims;           // Tensor
    TypeExprPtr element;             // List, Stream, Catalog, Optional
    std::vector<FieldType> fields;   // Record
};

// ---------------------------------------------------------------- expressions

enum class ExprKind {
#define X(kind, doc) kind,
    XDML_EXPR_KINDS(X)
#undef X
};

// Operators and quantity kinds are written to the plan by their spellings: they are the plan
// vocabulary's (planformat/PlanVocabulary.h), which also spells them.
using QuantityKind = planformat::QuantityKind;
using UnaryOp = planformat::UnaryOperator;
using BinaryOp = planformat::BinaryOperator;
using planformat::spelling;

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// A piece of a string literal: text (escapes decoded) or an interpolated expression.
struct StringPart {
    std::string text;
    ExprPtr expr;  // set for an interpolation
    std::optional<Name> format;  // an interpolation's format after ':' (`03` in `{i:03}`), as written
};

struct Arg {
    std::optional<Name> name;  // named argument `hidden: [64]`
    ExprPtr value;
};

struct FieldInit {
    Name name;
    ExprPtr value;
};

/// One index or slice in `t[a, b:c, :d]`.
struct SliceItem {
    bool isRange = false;
    ExprPtr lo, hi;  // index: lo only; range: either may be missing
    SourceRange range;
};

/// What a name in an expression refers to; set by sema.
using Binding = planformat::Binding;  // the plan's "binding" of a name

struct Expr {
    ExprKind kind;
    SourceRange range;

    int64_t intValue = 0;                 // IntLit
    double floatValue = 0;                // FloatLit; Quantity: value in base units (s, B, B/s)
    bool boolValue = false;               // BoolLit
    QuantityKind quantity = QuantityKind::Duration;
    std::string text;                     // Ident; Quantity/number: as written; Field: field name
    SourceRange nameRange;                // Field: the field name
    UnaryOp unaryOp = UnaryOp::Neg;
    BinaryOp binaryOp = BinaryOp::Add;
    std::vector<ExprPtr> operands;        // Unary: 1; Binary: 2; Ternary: 3; List: items
    ExprPtr callee;                       // Call; Field and Index: the base
    std::vector<Arg> args;                // Call
    std::vector<SliceItem> slices;        // Index
    std::vector<FieldInit> fields;        // Record
    std::vector<StringPart> parts;        // String

    // Filled by sema.
    const sema::Type* type = nullptr;
    Binding binding = Binding::Unresolved;
    const Decl* decl = nullptr;           // Global: the declaration named
};

// ---------------------------------------------------------------- properties and policies

/// `key: value` inside `{ ... }` of a site, model, policy, rehearse or inline policy.
struct Property {
    Name key;
    ExprPtr value;
};

struct PropertyBlock {
    std::vector<Property> properties;
    SourceRange range;
};

/// `@ name` or `@ { clauses }`.
struct PolicyRef {
    std::optional<Name> name;
    std::optional<PropertyBlock> inlineClauses;
    SourceRange range;
};

// ---------------------------------------------------------------- statements and handlers

enum class StmtKind {
#define X(kind, doc) kind,
    XDML_STMT_KINDS(X)
#undef X
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

struct Stmt {
    StmtKind kind;
    SourceRange range;
    std::optional<PolicyRef> policy;

    Name name;              // Let: the variable; For: the loop variable; Train: the model;
                            // OnNewData: the type D; OnEnd: the stream
    Name target;            // Emit/Train/OnNewData(in): stream; Record: catalog; Transfer: site
    std::optional<Name> as; // OnNewData: `as x`
    TypeExprPtr declaredType;  // Let
    ExprPtr value;          // Let/Emit/Record/Transfer/Return/Expr: the value; If/Until: the
                            // condition; For: the list; OnNewData: `every N`; Log: the string
    ExprPtr bound;          // Until: `max N`
    Block body;             // If (then), For, Until, handlers
    Block elseBody;         // If
    bool hasElse = false;
    bool hasTarget = false; // OnNewData: `in STREAM` given

    const sema::Type* boundType = nullptr;  // Let/For/OnNewData(as): the type of the binding
};

// ---------------------------------------------------------------- declarations

// A declaration's kind is what the plan says a global name "declares"
// (XDML_PLAN_DECL_KINDS in planformat/PlanVocabulary.h), spelled as its keyword.
using DeclKind = planformat::DeclKind;
/// The keyword that declares it: `fn`, `task`, `type`, ...
inline const char* keyword(DeclKind kind) { return planformat::spelling(kind); }

struct Param {
    Name name;
    TypeExprPtr type;
};

struct Decl {
    DeclKind kind;
    SourceRange range;
    Name name;               // every declaration but Import
    std::string doc;         // `///` comment standing right before it
    FileId file = 0;
    /// Const: declared with `param` — its value is the default unless the run sets it
    /// (`--set`, `--params`; LANGUAGE.md §9); used wherever a const may be, but for shapes
    /// and `every N`.
    bool param = false;

    // Import
    std::vector<std::string> modulePath;  // `std.ml`
    std::string importFile;               // `"common.xdml"`
    // Const, Fn, Task, Stream, Catalog, TypeDecl: the declared or underlying type
    TypeExprPtr type;
    ExprPtr value;           // Const, Fn: the body; Stream: the source; Catalog: the path
    // TypeDecl refinements
    ExprPtr where;           // `where EXPR`
    std::optional<Name> classifier;  // `classified by MODEL`
    std::optional<Name> className;   // `as "class"` (range: the literal)
    // Link
    Name to;
    bool bidirectional = true;
    // Fn, Task
    std::vector<Param> params;
    // Task, Flow: the body; Flow: statements and handlers
    Block body;
    /// Task: `= python "module:function"` (LANGUAGE.md §9) instead of a body: the literal's
    /// text, split and checked by sema.
    std::optional<Name> python;
    std::optional<PolicyRef> policy;  // Task, Flow
    // Site, Link, Model, Policy: `{ ... }`; Stream: rehearse
    std::optional<PropertyBlock> properties;
    std::optional<Name> site;         // Stream: `at SITE`
    std::optional<Name> basePolicy;   // Policy: `= base with {...}`

    const sema::Type* resolved = nullptr;  // set by sema: the declared thing's type
};

/// The keyword that declared it: as keyword(kind), but `param` for a param.
inline const char* keyword(const Decl& d) { return d.param ? "param" : keyword(d.kind); }

using DeclPtr = std::unique_ptr<Decl>;

/// One parsed source file.
struct Module {
    FileId file = 0;
    std::string path;
    std::vector<DeclPtr> decls;
};

}  // namespace xdml::ast
