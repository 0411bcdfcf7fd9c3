// ColumnTypes.cpp — see ColumnTypes.h.
#include "runtime/catalog/ColumnTypes.h"

#include "runtime/catalog/CatalogError.h"

#include <cctype>

namespace xdml::runtime::catalog {

namespace {

using K = TypeDesc::Kind;

// Deep enough for any real record; a deeper one is a type that refers to itself.
constexpr int kMaxDepth = 64;

TypeDesc resolveAt(const TypeDesc& t, const TypeResolver& structure, int depth) {
    if (depth > kMaxDepth) throw CatalogError("a type nested more than 64 deep (does it contain itself?)");
    if (t.kind == K::Named) {
        if (!structure) throw CatalogError("type " + t.name + " is a named type and no resolver was given");
        return resolveAt(structure(t), structure, depth + 1);
    }
    TypeDesc out = t;
    switch (t.kind) {
    case K::Record:
        for (FieldType& f : out.fields) f.type = resolveAt(f.type, structure, depth + 1);
        break;
    case K::List:
    case K::Optional:
        if (!t.element) throw CatalogError("a list or optional type without an element type");
        out.element = std::make_shared<TypeDesc>(resolveAt(*t.element, structure, depth + 1));
        break;
    case K::Unknown: throw CatalogError("a field of unknown type");
    case K::None: throw CatalogError("a field of type none");
    case K::Other: throw CatalogError("a field of type " + t.name + ", which a catalog cannot store");
    default: break;
    }
    return out;
}

/// A recursive-descent reader of typeText's grammar.
class TypeTextReader {
public:
    explicit TypeTextReader(const std::string& text) : text_(text) {}

    TypeDesc whole() {
        TypeDesc t = type();
        skipSpace();
        if (pos_ != text_.size()) fail("unexpected text");
        return t;
    }

private:
    TypeDesc type() {
        TypeDesc t = primary();
        while (accept('?')) {
            TypeDesc inner = std::move(t);
            t = TypeDesc{};
            t.kind = K::Optional;
            t.element = std::make_shared<TypeDesc>(std::move(inner));
        }
        return t;
    }

    TypeDesc primary() {
        TypeDesc t;
        if (accept('{')) {
            t.kind = K::Record;
            if (accept('}')) return t;
            do {
                std::string name = word();
                expect(':');
                t.fields.push_back({name, type()});
            } while (accept(','));
            expect('}');
            return t;
        }
        const std::string w = word();
        static const std::pair<const char*, K> scalars[] = {{"bool", K::Bool},     {"int", K::Int},
                                                            {"float", K::Float},   {"f32", K::F32},
                                                            {"string", K::String}, {"path", K::Path}};
        for (const auto& [spelled, kind] : scalars)
            if (w == spelled) {
                t.kind = kind;
                return t;
            }
        if (parseQuantityKind(w, t.quantity)) {
            t.kind = K::Quantity;
        } else if (w == "list") {
            t.kind = K::List;
            expect('<');
            t.element = std::make_shared<TypeDesc>(type());
            expect('>');
        } else if (w == "tensor") {
            t.kind = K::Tensor;
            expect('<');
            if (!parseElemType(word(), t.elem)) fail("unknown element type");
            expect('>');
            expect('[');
            if (!accept(']')) {
                do t.dims.push_back(accept('?') ? -1 : size());
                while (accept(','));
                expect(']');
            }
        } else {
            fail("unknown type " + w);
        }
        return t;
    }

    std::string word() {
        skipSpace();
        std::size_t start = pos_;
        while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
            ++pos_;
        if (start == pos_) fail("expected a name");
        return text_.substr(start, pos_ - start);
    }

    int64_t size() {
        skipSpace();
        std::size_t start = pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        if (start == pos_ || pos_ - start > 18) fail("expected a dimension");
        return std::stoll(text_.substr(start, pos_ - start));
    }

    bool accept(char c) {
        skipSpace();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!accept(c)) fail(std::string("expected '") + c + "'");
    }

    void skipSpace() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }

    [[noreturn]] void fail(const std::string& what) {
        throw CatalogError("bad column type \"" + text_ + "\" at offset " + std::to_string(pos_) + ": " + what);
    }

    const std::string& text_;
    std::size_t pos_ = 0;
};

}  // namespace

TypeDesc resolveStructure(const TypeDesc& t, const TypeResolver& structure) { return resolveAt(t, structure, 0); }

std::string typeText(const TypeDesc& t) {
    switch (t.kind) {
    case K::Bool: return "bool";
    case K::Int: return "int";
    case K::Float: return "float";
    case K::F32: return "f32";
    case K::String: return "string";
    case K::Path: return "path";
    case K::Quantity: return spelling(t.quantity);
    case K::Tensor: {
        std::string out = std::string("tensor<") + spelling(t.elem) + ">[";
        for (std::size_t i = 0; i < t.dims.size(); ++i)
            out += (i ? ", " : "") + (t.dims[i] < 0 ? std::string("?") : std::to_string(t.dims[i]));
        return out + "]";
    }
    case K::Record: {
        if (t.fields.empty()) return "{}";
        std::string out = "{ ";
        for (std::size_t i = 0; i < t.fields.size(); ++i)
            out += (i ? ", " : "") + t.fields[i].name + ": " + typeText(t.fields[i].type);
        return out + " }";
    }
    case K::List: return "list<" + typeText(*t.element) + ">";
    case K::Optional: return typeText(*t.element) + "?";
    case K::Named: return t.name;
    default: return "?";
    }
}

TypeDesc parseTypeText(const std::string& text) { return TypeTextReader(text).whole(); }

std::string sqlDeclaredType(const TypeDesc& t) {
    switch (t.kind) {
    case K::Bool:
    case K::Int: return "INTEGER";
    case K::Float:
    case K::F32: return "REAL";
    case K::String:
    case K::Path: return "TEXT";
    case K::Quantity: return std::string(spelling(t.quantity)) + " REAL";
    case K::Tensor: return "BLOB";
    case K::Optional: return sqlDeclaredType(*t.element);
    default: return "TEXT";  // records and lists, as JSON
    }
}

bool hasRunTimeDims(const TypeDesc& t) {
    if (t.kind == K::Optional) return hasRunTimeDims(*t.element);
    if (t.kind != K::Tensor) return false;
    for (int64_t d : t.dims)
        if (d < 0) return true;
    return false;
}

}  // namespace xdml::runtime::catalog
