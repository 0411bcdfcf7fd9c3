// Types.cpp — interning, printing and the assignability rules.
#include "sema/Types.h"

#include "ast/Ast.h"

namespace xdml::sema {

namespace {
Type typeOf(TypeKind kind) {
    Type t;
    t.kind = kind;
    return t;
}
}  // namespace

const Field* Type::field(const std::string& n) const {
    for (const Field& f : fields)
        if (f.name == n) return &f;
    return nullptr;
}

Type* TypeContext::make(TypeKind kind) {
    storage_.push_back(typeOf(kind));
    return &storage_.back();
}

TypeContext::TypeContext() {
    error_ = make(TypeKind::Error);
    void_ = make(TypeKind::Void);
    none_ = make(TypeKind::None);
    bool_ = make(TypeKind::Bool);
    int_ = make(TypeKind::Int);
    float_ = make(TypeKind::Float);
    f32_ = make(TypeKind::F32);
    string_ = make(TypeKind::String);
    path_ = make(TypeKind::Path);
    duration_ = make(TypeKind::Duration);
    bytes_ = make(TypeKind::Bytes);
    bandwidth_ = make(TypeKind::Bandwidth);
    model_ = make(TypeKind::Model);
    site_ = make(TypeKind::Site);
}

const Type* TypeContext::scalarNamed(const std::string& name) const {
    if (name == "bool") return bool_;
    if (name == "int") return int_;
    if (name == "float") return float_;
    if (name == "f32") return f32_;
    if (name == "string") return string_;
    if (name == "path") return path_;
    if (name == "duration") return duration_;
    if (name == "bytes") return bytes_;
    if (name == "bandwidth") return bandwidth_;
    if (name == "model") return model_;
    return nullptr;
}

namespace {
/// A key that identifies a structural type by its parts (nominal parts by identity).
std::string key(const Type& t) {
    auto ref = [](const Type* p) { return std::to_string(reinterpret_cast<uintptr_t>(p)); };
    std::string k = std::to_string(static_cast<int>(t.kind)) + "|";
    switch (t.kind) {
    case TypeKind::Tensor:
        k += spelling(t.elem);
        for (int64_t d : t.dims) k += "," + std::to_string(d);
        break;
    case TypeKind::Record:
        for (const Field& f : t.fields) k += f.name + ":" + ref(f.type) + ",";
        break;
    case TypeKind::Function:
        for (const Type* p : t.params) k += ref(p) + ",";
        k += "->" + ref(t.element);
        break;
    default: k += ref(t.element); break;
    }
    return k;
}
}  // namespace

const Type* TypeContext::intern(Type t) {
    std::string k = key(t);
    auto it = interned_.find(k);
    if (it != interned_.end()) return it->second;
    storage_.push_back(std::move(t));
    interned_[k] = &storage_.back();
    return &storage_.back();
}

const Type* TypeContext::tensor(ElemType elem, std::vector<int64_t> dims) {
    Type t = typeOf(TypeKind::Tensor);
    t.elem = elem;
    t.dims = std::move(dims);
    return intern(std::move(t));
}
const Type* TypeContext::record(std::vector<Field> fields) {
    Type t = typeOf(TypeKind::Record);
    t.fields = std::move(fields);
    return intern(std::move(t));
}
const Type* TypeContext::list(const Type* element) {
    Type t = typeOf(TypeKind::List);
    t.element = element;
    return intern(std::move(t));
}
const Type* TypeContext::optional(const Type* element) {
    if (element->kind == TypeKind::Optional || element->kind == TypeKind::Error) return element;
    Type t = typeOf(TypeKind::Optional);
    t.element = element;
    return intern(std::move(t));
}
const Type* TypeContext::stream(const Type* element) {
    Type t = typeOf(TypeKind::Stream);
    t.element = element;
    return intern(std::move(t));
}
const Type* TypeContext::catalog(const Type* element) {
    Type t = typeOf(TypeKind::Catalog);
    t.element = element;
    return intern(std::move(t));
}
const Type* TypeContext::function(std::vector<const Type*> params, const Type* result) {
    Type t = typeOf(TypeKind::Function);
    t.params = std::move(params);
    t.element = result;
    return intern(std::move(t));
}
Type* TypeContext::nominal(const std::string& name, const ast::Decl* decl) {
    Type* t = make(TypeKind::Nominal);
    t->name = name;
    t->decl = decl;
    return t;
}

std::string toString(const Type* t) {
    if (!t) return "<unknown>";
    switch (t->kind) {
    case TypeKind::Error: return "<error>";
    case TypeKind::Void: return "nothing";
    case TypeKind::None: return "none";
    case TypeKind::Bool: return "bool";
    case TypeKind::Int: return "int";
    case TypeKind::Float: return "float";
    case TypeKind::F32: return "f32";
    case TypeKind::String: return "string";
    case TypeKind::Path: return "path";
    case TypeKind::Duration: return "duration";
    case TypeKind::Bytes: return "bytes";
    case TypeKind::Bandwidth: return "bandwidth";
    case TypeKind::Model: return "model";
    case TypeKind::Site: return "site";
    case TypeKind::Nominal: return t->name;
    case TypeKind::Tensor: {
        std::string out = std::string("tensor<") + spelling(t->elem) + ">[";
        for (std::size_t i = 0; i < t->dims.size(); ++i)
            out += (i ? ", " : "") + (t->dims[i] == kUnknownDim ? std::string("?") : std::to_string(t->dims[i]));
        return out + "]";
    }
    case TypeKind::Record: {
        std::string out = "{";
        for (std::size_t i = 0; i < t->fields.size(); ++i)
            out += (i ? ", " : " ") + t->fields[i].name + ": " + toString(t->fields[i].type);
        return out + (t->fields.empty() ? "}" : " }");
    }
    case TypeKind::List: return "list<" + toString(t->element) + ">";
    case TypeKind::Optional: return toString(t->element) + "?";
    case TypeKind::Stream: return "stream<" + toString(t->element) + ">";
    case TypeKind::Catalog: return "catalog<" + toString(t->element) + ">";
    case TypeKind::Function: {
        std::string out = "fn(";
        for (std::size_t i = 0; i < t->params.size(); ++i) out += (i ? ", " : "") + toString(t->params[i]);
        return out + ") -> " + toString(t->element);
    }
    }
    return "?";
}

const Type* structure(const Type* t) {
    for (int guard = 0; t && t->kind == TypeKind::Nominal && guard < 64; ++guard) t = t->element;
    return t;
}

bool isNumeric(const Type* t) {
    t = structure(t);
    return t && (t->kind == TypeKind::Int || t->kind == TypeKind::Float || t->kind == TypeKind::F32);
}
bool isQuantity(const Type* t) {
    t = structure(t);
    return t && (t->kind == TypeKind::Duration || t->kind == TypeKind::Bytes || t->kind == TypeKind::Bandwidth);
}
bool isScalar(const Type* t) {
    t = structure(t);
    if (!t) return false;
    switch (t->kind) {
    case TypeKind::Bool: case TypeKind::Int: case TypeKind::Float: case TypeKind::F32:
    case TypeKind::String: case TypeKind::Path: case TypeKind::Duration: case TypeKind::Bytes:
    case TypeKind::Bandwidth:
        return true;
    default: return false;
    }
}

bool extends(const Type* d, const Type* e) {
    for (int guard = 0; d && guard < 64; ++guard) {
        if (d == e) return true;
        if (d->kind != TypeKind::Nominal || !d->isSubtype) return false;
        d = d->element;
    }
    return false;
}

namespace {
bool isErrorish(const Type* t) { return !t || t->kind == TypeKind::Error; }

Mismatch structural(const Type* from, const Type* to) {
    if (from == to) return Mismatch::None;
    if (isErrorish(from) || isErrorish(to)) return Mismatch::None;
    // Numeric widening: int into float or f32; f32 and float into each other.
    if (isNumeric(from) && isNumeric(to) && from->kind != TypeKind::Nominal && to->kind != TypeKind::Nominal) {
        if (to->kind == TypeKind::Int) return from->kind == TypeKind::Int ? Mismatch::None : Mismatch::Type;
        return Mismatch::None;
    }
    if (from->kind == TypeKind::String && to->kind == TypeKind::Path) return Mismatch::None;
    if (to->kind == TypeKind::Optional) {
        if (from->kind == TypeKind::None) return Mismatch::None;
        if (from->kind == TypeKind::Optional) return assignable(from->element, to->element);
        return assignable(from, to->element);
    }
    if (from->kind != to->kind) return Mismatch::Type;
    switch (from->kind) {
    case TypeKind::Tensor: {
        if (from->elem != to->elem) return Mismatch::Type;
        if (from->dims.size() != to->dims.size()) return Mismatch::Shape;
        for (std::size_t i = 0; i < from->dims.size(); ++i)
            if (from->dims[i] != kUnknownDim && to->dims[i] != kUnknownDim && from->dims[i] != to->dims[i])
                return Mismatch::Shape;
        return Mismatch::None;
    }
    case TypeKind::Record: {
        if (from->fields.size() != to->fields.size()) return Mismatch::Type;
        Mismatch worst = Mismatch::None;
        for (std::size_t i = 0; i < from->fields.size(); ++i) {
            if (from->fields[i].name != to->fields[i].name) return Mismatch::Type;
            Mismatch m = assignable(from->fields[i].type, to->fields[i].type);
            if (m == Mismatch::Type) return m;
            if (m == Mismatch::Shape) worst = m;
        }
        return worst;
    }
    case TypeKind::List:
        // `[]` has element type error: it fits every list.
        return assignable(from->element, to->element);
    case TypeKind::Stream:
    case TypeKind::Catalog:
        return from->element == to->element ? Mismatch::None : Mismatch::Type;
    case TypeKind::Function:
        return Mismatch::Type;
    default:
        return Mismatch::None;  // same scalar kind
    }
}
}  // namespace

Mismatch assignable(const Type* from, const Type* to) {
    if (from == to || isErrorish(from) || isErrorish(to)) return Mismatch::None;
    if (from->kind == TypeKind::Nominal) {
        // A nominal value fits its own type, its supertypes, and the bare structure it has.
        if (extends(from, to)) return Mismatch::None;
        if (to->kind == TypeKind::Nominal) return Mismatch::Type;
        return structural(structure(from), to);
    }
    if (to->kind == TypeKind::Nominal) {
        // A structural value fits a nominal type of the same structure, unless that type is a
        // subtype decided per item at run time.
        if (to->isSubtype) return Mismatch::Type;
        return structural(from, structure(to));
    }
    return structural(from, to);
}

std::string withArticle(const Type* t) {
    std::string s = toString(t);
    if (s.empty()) return s;
    // Records and functions read as their spelling; `bytes` is a plural ("expects bytes").
    if (t->kind == TypeKind::Record || t->kind == TypeKind::Function || t->kind == TypeKind::Bytes) return s;
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    return (vowel ? "an " : "a ") + s;
}

}  // namespace xdml::sema
