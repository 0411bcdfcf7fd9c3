// Program.h — the pure code of a plan (its "code" section: types, consts, fns; docs/plan.md)
// converted from JSON into small structs the interpreter walks. The runtime reads only the
// plan, never the compiler's AST.
#pragma once

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

enum class BinaryOperator { Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, And, Or };
const char* spelling(BinaryOperator op);

/// How a name was resolved by the compiler.
enum class NameBinding { Local, Const, Fn, Builtin, Type, It, Metric, OtherGlobal };

struct Expr {
    enum class Op { Literal, String, Name, Negate, Not, Binary, Ternary, Call, Field, Index, List, Record };
    struct StringPart {
        std::string text;
        int arg = -1;  // >= 0: the part is args[arg], interpolated
    };
    struct Slice {
        bool range = false;
        int lo = -1, hi = -1;  // indexes into args, -1 when left out
    };

    Op op = Op::Literal;
    int line = 0;
    TypeDesc type;
    Value literal;                  // Literal
    std::string name;               // Name, Call (the callee), Field (the field)
    NameBinding binding = NameBinding::Local;  // Name, Call
    std::string declares;           // OtherGlobal: what the global is (task, model, catalog, ...)
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

class Program {
public:
    /// Reads a "code" section. Throws PlanError on anything malformed.
    static Program fromCode(const nlohmann::json& code);
    /// Reads a whole plan (its "code" member).
    static Program fromPlan(const nlohmann::json& plan);

    const FnDecl* fn(const std::string& name) const;
    const ConstDecl* constant(const std::string& name) const;
    const TypeDecl* type(const std::string& name) const;
    /// The structure of a type: named types followed to what they are. Throws PlanError for an
    /// unknown or cyclic name.
    const TypeDesc& structure(const TypeDesc& t) const;

    const std::map<std::string, TypeDecl>& types() const { return types_; }
    const std::map<std::string, FnDecl>& fns() const { return fns_; }
    /// Tasks and flows stay JSON until the statement interpreter arrives.
    const nlohmann::json& tasks() const { return tasks_; }
    const nlohmann::json& flows() const { return flows_; }

private:
    std::map<std::string, TypeDecl> types_;
    std::map<std::string, ConstDecl> consts_;
    std::map<std::string, FnDecl> fns_;
    nlohmann::json tasks_ = nlohmann::json::object(), flows_ = nlohmann::json::object();
};

}  // namespace xdml::runtime
