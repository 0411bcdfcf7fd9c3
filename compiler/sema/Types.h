// Types.h — XDML's types (LANGUAGE.md §2) as interned, immutable values: two types are equal
// exactly when their pointers are. Nominal types are made once per `type` declaration.
#pragma once

#include "planformat/PlanVocabulary.h"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace xdml::ast {
struct Decl;
}

namespace xdml::sema {

enum class TypeKind {
    Error,      // a type that could not be decided; already reported, accepted everywhere
    Void,       // what a task without `->` and a statement give
    None,       // the type of `none`
    Bool, Int, Float, F32, String, Path, Duration, Bytes, Bandwidth,
    Tensor, Record, List, Optional, Stream, Catalog, Model,
    Site,       // a site's name used as a value
    Function,   // a fn or task used as a value (`generate(f, 10)`)
    Nominal,    // `type Name = T` (and its refinement and classified subtypes)
};

// A tensor's element types are the plan's (planformat/PlanVocabulary.h): one list, with its
// spellings, sizes and promotion order, for the checker, the interpreter and the JIT.
using ElemType = planformat::ElemType;
using planformat::isFloatElem;
using planformat::parseElemType;
using planformat::spelling;

constexpr int64_t kUnknownDim = -1;

class Type;

struct Field {
    std::string name;
    const Type* type;
};

class Type {
public:
    TypeKind kind = TypeKind::Error;
    // Tensor
    ElemType elem = ElemType::F32;
    std::vector<int64_t> dims;
    // Record
    std::vector<Field> fields;
    // List, Optional, Stream, Catalog: the element; Nominal: the type it names; Function: result
    const Type* element = nullptr;
    // Function
    std::vector<const Type*> params;
    // Nominal
    std::string name;
    const ast::Decl* decl = nullptr;
    bool isSubtype = false;  // refinement (`where`) or classified: a subtype of `element`

    const Field* field(const std::string& n) const;
    bool is(TypeKind k) const { return kind == k; }
};

/// Creates and interns types; owns them all.
class TypeContext {
public:
    TypeContext();

    const Type* error() const { return error_; }
    const Type* voidType() const { return void_; }
    const Type* none() const { return none_; }
    const Type* boolean() const { return bool_; }
    const Type* integer() const { return int_; }
    const Type* float64() const { return float_; }
    const Type* float32() const { return f32_; }
    const Type* string() const { return string_; }
    const Type* path() const { return path_; }
    const Type* duration() const { return duration_; }
    const Type* bytes() const { return bytes_; }
    const Type* bandwidth() const { return bandwidth_; }
    const Type* model() const { return model_; }
    const Type* site() const { return site_; }

    /// `int`, `float`, ... by the name a program writes; null for other names.
    const Type* scalarNamed(const std::string& name) const;

    const Type* tensor(ElemType elem, std::vector<int64_t> dims);
    const Type* record(std::vector<Field> fields);
    const Type* list(const Type* element);
    const Type* optional(const Type* element);
    const Type* stream(const Type* element);
    const Type* catalog(const Type* element);
    const Type* function(std::vector<const Type*> params, const Type* result);
    /// A new nominal type; its `element` is set later (declarations may refer to each other).
    Type* nominal(const std::string& name, const ast::Decl* decl);

private:
    const Type* intern(Type t);
    Type* make(TypeKind kind);

    std::deque<Type> storage_;
    std::map<std::string, const Type*> interned_;
    const Type *error_, *void_, *none_, *bool_, *int_, *float_, *f32_, *string_, *path_,
        *duration_, *bytes_, *bandwidth_, *model_, *site_;
};

/// How a type is written in messages: nominal types by name, others spelled out.
std::string toString(const Type* t);
/// The structure behind nominal names (a nominal's structure is its named type's structure).
const Type* structure(const Type* t);

bool isNumeric(const Type* t);    // int, float, f32 (after structure)
bool isQuantity(const Type* t);   // duration, bytes, bandwidth
bool isScalar(const Type* t);

/// Whether D extends E: D is E, or a refinement or classified subtype of something that does.
bool extends(const Type* d, const Type* e);

enum class Mismatch { None, Type, Shape };
/// Whether a value of type `from` may be used where `to` is expected (LANGUAGE.md §2 and
/// docs/language.md: nominal rules, numeric widening, optionals, covariant lists).
Mismatch assignable(const Type* from, const Type* to);

/// "an int", "a duration", "a Frame": for "'x' expects an int, got string" messages.
std::string withArticle(const Type* t);

}  // namespace xdml::sema
