// Program.h — the pure code of a plan (its "code" section: types, consts, fns; docs/plan.md)
// converted from JSON into small structs the interpreter walks. The runtime reads only the
// plan, never the compiler's AST.
#pragma once

#include "planformat/TextFormat.h"
#include "runtime/values/Value.h"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdml::runtime {

/// A plan that does not have the shape docs/plan.md describes. The message names the place,
/// as a path into the code section: `fns.detector.body.args[1]: no "op"`.
class PlanError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct FieldType;

/// A type as the plan gives it. Scalars are just their kind.
struct TypeDesc {
    enum class Kind { Unknown, None, Bool, Int, Float, F32, String, Path, Quantity, Tensor, Record, List, Optional, Named, Other };
    Kind kind = Kind::Unknown;
    QuantityKind quantity = QuantityKind::Duration;  // Quantity
    ElemType elem = ElemType::F32;                   // Tensor
    std::vector<int64_t> dims;                       // Tensor: -1 for `?`
    std::vector<FieldType> fields;                   // Record
    std::shared_ptr<TypeDesc> element;               // List, Optional
    std::string name;                                // Named: the type; Other: the plan's kind
};

struct FieldType {
    std::string name;
    TypeDesc type;
};

/// A binary operator, as the plan spells it (planformat/PlanVocabulary.h).
using BinaryOperator = planformat::BinaryOperator;

/// How a name was resolved by the compiler. A Word is a bare word in a property value
/// (`select: reservoir`, `optimizer: adam`); it evaluates to its spelling.
enum class NameBinding { Local, Const, Fn, Builtin, Type, It, Metric, OtherGlobal, Word };

/// What a global name declares (task, model, catalog, ...), as the plan spells it
/// (planformat/PlanVocabulary.h); read once, when the plan is loaded.
using DeclKind = planformat::DeclKind;

struct Expr {
    enum class Op { Literal, String, Name, Negate, Not, Binary, Ternary, Call, Field, Index, List, Record };
    struct StringPart {
        std::string text;
        int arg = -1;  // >= 0: the part is args[arg], interpolated
        std::optional<planformat::TextFormat> format;  // an interpolation's `{x:03}`
    };
    struct Slice {
        bool range = false;
        int lo = -1, hi = -1;  // indexes into args, -1 when left out
    };

    Op op = Op::Literal;
    int line = 0;
    std::string at;                 // "file:offset": joins the plan's nodes (their "at")
    bool kernel = false;            // in a kernel or fused node of the plan: the JIT may compile it
    TypeDesc type;
    Value literal;                  // Literal
    std::string name;               // Name, Call (the callee), Field (the field)
    NameBinding binding = NameBinding::Local;  // Name, Call
    std::optional<DeclKind> declares;  // a global's (Const, Fn, OtherGlobal): what it is
    BinaryOperator binary = BinaryOperator::Add;
    std::vector<Expr> args;         // operands; Call: arguments; Index: the base, then bounds
    std::vector<std::string> names; // Call: argument names ("" positional); Record: field names
    std::vector<StringPart> parts;  // String
    std::vector<Slice> slices;      // Index
};

struct TypeDecl {
    TypeDesc is;
    std::optional<Expr> where;      // refinement predicate over `it`
    std::string classifierModel, classifierClass;
};

struct ConstDecl {
    TypeDesc type;
    Expr value;
};

struct Param {
    std::string name;
    TypeDesc type;
};

struct FnDecl {
    std::string name;
    std::vector<Param> params;
    TypeDesc result;
    Expr body;
};

/// A policy attached with `@`: a named policy or inline clauses.
struct PolicyRef {
    std::string name;
    std::map<std::string, Expr> clauses;  // inline
};

/// A statement or handler of a task's or flow's body (LANGUAGE.md §4).
struct Stmt {
    using Op = planformat::StmtOp;  // the plan's statement ops (planformat/PlanVocabulary.h)
    Op op = Op::Call;
    int line = 0;
    std::string at;
    std::string name;    // Let, For: the bound name; Train: the model; OnNewData: the type; OnEnd: the stream
    std::string target;  // Emit, Train: the stream; Record: the catalog; Transfer, Fused: the site; OnNewData: `in`
    int64_t node = -1;   // Fused: the plan's fused node whose task chain the body runs
    std::string as;      // OnNewData: `as x`
    std::optional<Expr> value;  // the value, condition, list, message or `every`
    std::optional<Expr> bound;  // Until: `max N`
    TypeDesc type;              // Let: a declared type
    std::vector<Stmt> body, elseBody;  // Fused: the chain's consecutive statements
    std::optional<PolicyRef> policy;
    // Let: the next statement reads the bound name itself; Fused: a name one of its lets binds.
    // A task call (or chain) bound here is then waited for at once, with nothing of its firing
    // to overlap: it runs on the firing's thread when its site has room, rather than being
    // handed to a worker and waited for.
    bool readByNext = false;
};

/// A task whose body is a Python function (`= python "module:function"`, LANGUAGE.md §9).
struct PythonBody {
    std::string module, function;
    std::string file;  // the module's file where the compiler found it; "" when it did not
    std::string hash;  // the file's content hash when the plan was made
    std::vector<std::string> path;  // folders first on sys.path: the script's, --python-path's
};

struct TaskDecl {
    std::string name;
    std::vector<Param> params;
    TypeDesc result;
    std::optional<PolicyRef> policy;
    std::vector<Stmt> body;
    std::optional<PythonBody> python;  // set: the body is this Python function (`body` is empty)
};

struct FlowDecl {
    std::string name;
    std::optional<PolicyRef> policy;
    std::vector<Stmt> body;  // flow-level statements and handlers
};

struct StreamDecl {
    std::string name;
    TypeDesc type;
    std::optional<Expr> source;  // generate, files, watch, zmq; none: fed by emit
    std::string site;
    std::map<std::string, Expr> rehearse;
};

struct CatalogDecl {
    std::string name;
    TypeDesc type;
    Expr path;
};

class Program {
public:
    /// Reads a "code" section. Throws PlanError on anything malformed.
    static Program fromCode(const nlohmann::json& code);
    /// Reads a whole plan (its "code" member), and marks the expressions of its kernel and
    /// fused nodes (Expr::kernel).
    static Program fromPlan(const nlohmann::json& plan);

    const FnDecl* fn(const std::string& name) const;
    const ConstDecl* constant(const std::string& name) const;
    const TypeDecl* type(const std::string& name) const;
    /// The structure of a type: named types followed to what they are. Throws PlanError for an
    /// unknown or cyclic name.
    const TypeDesc& structure(const TypeDesc& t) const;

    const std::map<std::string, TypeDecl>& types() const { return types_; }
    const std::map<std::string, FnDecl>& fns() const { return fns_; }
    const TaskDecl* task(const std::string& name) const;
    const std::map<std::string, TaskDecl>& tasks() const { return tasks_; }
    const std::map<std::string, FlowDecl>& flows() const { return flows_; }
    const std::map<std::string, StreamDecl>& streams() const { return streams_; }
    const std::map<std::string, CatalogDecl>& catalogs() const { return catalogs_; }
    /// Models' declarations, as the plan gives them (the models issue reads them).
    const nlohmann::json& models() const { return models_; }
    /// A declared policy's clauses after `with`, or nullptr.
    const std::map<std::string, Expr>* policy(const std::string& name) const;

private:
    std::map<std::string, TypeDecl> types_;
    std::map<std::string, ConstDecl> consts_;
    std::map<std::string, FnDecl> fns_;
    std::map<std::string, TaskDecl> tasks_;
    std::map<std::string, FlowDecl> flows_;
    std::map<std::string, StreamDecl> streams_;
    std::map<std::string, CatalogDecl> catalogs_;
    nlohmann::json models_ = nlohmann::json::object();
    std::map<std::string, std::map<std::string, Expr>> policies_;
};

}  // namespace xdml::runtime
