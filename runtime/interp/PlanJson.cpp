// PlanJson.cpp — see PlanJson.h.
#include "runtime/interp/PlanJson.h"

#include <utility>
#include <vector>

namespace xdml::runtime::plan_json {

using nlohmann::json;
using planformat::ExprOp;  // the plan's vocabulary: planformat/PlanVocabulary.h

void fail(const std::string& where, const std::string& what) {
    throw PlanError("plan code: " + where + ": " + what);
}

void checkNesting(const json& j, const std::string& where) {
    std::vector<std::pair<const json*, int>> pending{{&j, 1}};
    while (!pending.empty()) {
        auto [value, depth] = pending.back();
        pending.pop_back();
        if (!value->is_structured()) continue;
        if (depth > kMaxNesting)
            fail(where, "nested deeper than " + std::to_string(kMaxNesting) +
                            " levels (a long chain of operators in the flow? split it with let)");
        for (const json& child : *value) pending.push_back({&child, depth + 1});
    }
}

const json& member(const json& j, const char* key, const std::string& where) {
    if (!j.is_object()) fail(where, "expected an object");
    auto it = j.find(key);
    if (it == j.end()) fail(where, std::string("no \"") + key + "\"");
    return *it;
}

std::string text(const json& j, const char* key, const std::string& where) {
    const json& v = member(j, key, where);
    if (!v.is_string()) fail(where + "." + key, "expected a string");
    return v.get<std::string>();
}

const json& array(const json& j, const char* key, const std::string& where) {
    const json& v = member(j, key, where);
    if (!v.is_array()) fail(where + "." + key, "expected an array");
    return v;
}

TypeDesc readType(const json& j, const std::string& where) {
    TypeDesc t;
    if (j.is_null()) return t;  // Unknown: a task without a result, say
    const std::string kindName = text(j, "kind", where);
    planformat::TypeKind kind;
    if (!planformat::parseTypeKind(kindName, kind)) fail(where + ".kind", "unknown type kind \"" + kindName + "\"");
    using K = TypeDesc::Kind;
    using P = planformat::TypeKind;
    switch (kind) {
    case P::None: t.kind = K::None; break;
    case P::Bool: t.kind = K::Bool; break;
    case P::Int: t.kind = K::Int; break;
    case P::Float: t.kind = K::Float; break;
    case P::F32: t.kind = K::F32; break;
    case P::String: t.kind = K::String; break;
    case P::Path: t.kind = K::Path; break;
    case P::Duration: case P::Bytes: case P::Bandwidth:
        t.kind = K::Quantity;
        planformat::quantityOf(kind, t.quantity);
        break;
    case P::Named:
        t.kind = K::Named;
        t.name = text(j, "name", where);
        break;
    case P::Tensor: {
        t.kind = K::Tensor;
        if (!parseElemType(text(j, "elem", where), t.elem)) fail(where + ".elem", "unknown element type");
        const json& dims = array(j, "dims", where);
        for (std::size_t i = 0; i < dims.size(); ++i) {
            if (dims[i].is_null()) t.dims.push_back(-1);
            else if (dims[i].is_number_integer() && dims[i].get<int64_t>() >= 0) t.dims.push_back(dims[i].get<int64_t>());
            else fail(where + ".dims[" + std::to_string(i) + "]", "expected a size or null");
        }
        break;
    }
    case P::Record: {
        t.kind = K::Record;
        const json& fields = array(j, "fields", where);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string at = where + ".fields[" + std::to_string(i) + "]";
            t.fields.push_back({text(fields[i], "name", at), readType(member(fields[i], "type", at), at + ".type")});
        }
        break;
    }
    case P::List: case P::Optional:
        t.kind = kind == P::List ? K::List : K::Optional;
        t.element = std::make_shared<TypeDesc>(readType(member(j, "element", where), where + ".element"));
        break;
    case P::Stream: case P::Catalog: case P::Model: case P::Site: case P::Function: case P::Nothing: case P::Error:
        t.kind = K::Other;  // handles, not values; or no value at all
        t.name = kindName;
        break;
    }
    return t;
}

NameBinding readBinding(const json& j, const std::string& where, std::optional<DeclKind>& declares) {
    const std::string b = text(j, "binding", where);
    planformat::Binding binding;
    if (!planformat::parseBinding(b, binding)) fail(where + ".binding", "unknown binding \"" + b + "\"");
    switch (binding) {
    case planformat::Binding::Local: return NameBinding::Local;
    case planformat::Binding::Builtin: return NameBinding::Builtin;
    case planformat::Binding::Type: return NameBinding::Type;
    case planformat::Binding::It: return NameBinding::It;
    case planformat::Binding::TrainMetric: return NameBinding::Metric;
    case planformat::Binding::Unresolved: return NameBinding::Word;
    case planformat::Binding::Global: break;
    }
    auto d = j.find("declares");
    if (d == j.end() || !d->is_string()) fail(where, "a global name without \"declares\"");
    DeclKind kind;
    if (!planformat::parseDeclKind(d->get<std::string>(), kind))
        fail(where + ".declares", "unknown declaration kind \"" + d->get<std::string>() + "\"");
    declares = kind;
    if (kind == DeclKind::Const) return NameBinding::Const;
    if (kind == DeclKind::Fn) return NameBinding::Fn;
    return NameBinding::OtherGlobal;
}

void readArgs(const json& j, Expr& e, const std::string& where, std::size_t want) {
    const json& args = array(j, "args", where);
    if (want && args.size() != want)
        fail(where + ".args", "expected " + std::to_string(want) + " operands, got " + std::to_string(args.size()));
    for (std::size_t i = 0; i < args.size(); ++i)
        e.args.push_back(readExpr(args[i], where + ".args[" + std::to_string(i) + "]"));
}

BinaryOperator readBinaryOperator(const std::string& s, const std::string& where) {
    BinaryOperator op;
    if (!planformat::parseBinaryOperator(s, op)) fail(where + ".operator", "unknown operator \"" + s + "\"");
    return op;
}

void readLiteral(const json& j, ExprOp op, Expr& e, const std::string& where) {
    e.op = Expr::Op::Literal;
    if (op == ExprOp::None) return;
    const json& v = member(j, "value", where);
    if (op == ExprOp::Int) {
        if (!v.is_number_integer()) fail(where + ".value", "expected an integer");
        e.literal = Value::integer(v.get<int64_t>());
    } else if (op == ExprOp::Bool) {
        if (!v.is_boolean()) fail(where + ".value", "expected true or false");
        e.literal = Value::boolean(v.get<bool>());
    } else {
        if (!v.is_number()) fail(where + ".value", "expected a number");
        if (op == ExprOp::Float) {
            e.literal = Value::float64(v.get<double>());
        } else {
            QuantityKind k;
            if (!parseQuantityKind(text(j, "unit", where), k)) fail(where + ".unit", "unknown quantity kind");
            e.literal = Value::quantity(k, v.get<double>());
        }
    }
}

Expr readExpr(const json& j, const std::string& where) {
    Expr e;
    const std::string opName = text(j, "op", where);
    ExprOp op;
    if (!planformat::parseExprOp(opName, op) || op == ExprOp::Invalid)
        fail(where, "unknown expression \"" + opName + "\"");
    if (auto line = j.find("line"); line != j.end() && line->is_number_integer()) e.line = line->get<int>();
    if (auto at = j.find("at"); at != j.end() && at->is_string()) e.at = at->get<std::string>();
    if (auto type = j.find("type"); type != j.end()) e.type = readType(*type, where + ".type");

    switch (op) {
    case ExprOp::Int: case ExprOp::Float: case ExprOp::Bool: case ExprOp::None: case ExprOp::Quantity:
        readLiteral(j, op, e, where);
        break;
    case ExprOp::String: {
        e.op = Expr::Op::String;
        const json& parts = array(j, "parts", where);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::string at = where + ".parts[" + std::to_string(i) + "]";
            if (parts[i].is_string()) {
                e.parts.push_back({parts[i].get<std::string>(), -1, std::nullopt});
            } else {
                Expr::StringPart part{"", static_cast<int>(e.args.size()), std::nullopt};
                if (parts[i].is_object() && parts[i].contains("format")) {
                    std::string problem;
                    part.format = planformat::parseTextFormat(text(parts[i], "format", at), problem);
                    if (!part.format) fail(at + ".format", problem);
                }
                e.parts.push_back(std::move(part));
                e.args.push_back(readExpr(parts[i], at));
            }
        }
        break;
    }
    case ExprOp::Name:
        e.op = Expr::Op::Name;
        e.name = text(j, "name", where);
        e.binding = readBinding(j, where, e.declares);
        break;
    case ExprOp::Unary: {
        const std::string o = text(j, "operator", where);
        planformat::UnaryOperator unary;
        if (!planformat::parseUnaryOperator(o, unary)) fail(where + ".operator", "unknown operator \"" + o + "\"");
        e.op = unary == planformat::UnaryOperator::Neg ? Expr::Op::Negate : Expr::Op::Not;
        readArgs(j, e, where, 1);
        break;
    }
    case ExprOp::Binary:
        e.op = Expr::Op::Binary;
        e.binary = readBinaryOperator(text(j, "operator", where), where);
        readArgs(j, e, where, 2);
        break;
    case ExprOp::Ternary:
        e.op = Expr::Op::Ternary;
        readArgs(j, e, where, 3);
        break;
    case ExprOp::Call: {
        e.op = Expr::Op::Call;
        const json& callee = member(j, "callee", where);
        if (text(callee, "op", where + ".callee") != planformat::spelling(ExprOp::Name))
            fail(where + ".callee", "a call of something not a name");
        e.name = text(callee, "name", where + ".callee");
        e.binding = readBinding(callee, where + ".callee", e.declares);
        readArgs(j, e, where, 0);
        for (const json& a : j["args"]) {
            auto name = a.find("argument");
            e.names.push_back(name != a.end() && name->is_string() ? name->get<std::string>() : "");
        }
        break;
    }
    case ExprOp::Field:
        e.op = Expr::Op::Field;
        e.name = text(j, "field", where);
        readArgs(j, e, where, 1);
        break;
    case ExprOp::Index: {
        e.op = Expr::Op::Index;
        readArgs(j, e, where, 1);
        const json& slices = array(j, "slices", where);
        for (std::size_t i = 0; i < slices.size(); ++i) {
            const std::string at = where + ".slices[" + std::to_string(i) + "]";
            Expr::Slice s;
            const json& range = member(slices[i], "range", at);
            if (!range.is_boolean()) fail(at + ".range", "expected true or false");
            s.range = range.get<bool>();
            for (auto [key, slot] : {std::pair{"lo", &s.lo}, std::pair{"hi", &s.hi}}) {
                auto bound = slices[i].find(key);
                if (bound == slices[i].end() || bound->is_null()) continue;
                *slot = static_cast<int>(e.args.size());
                e.args.push_back(readExpr(*bound, at + "." + key));
            }
            if (!s.range && s.lo < 0) fail(at, "an index without a value");
            e.slices.push_back(s);
        }
        break;
    }
    case ExprOp::List:
        e.op = Expr::Op::List;
        readArgs(j, e, where, 0);
        break;
    case ExprOp::Record: {
        e.op = Expr::Op::Record;
        const json& fields = array(j, "fields", where);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string at = where + ".fields[" + std::to_string(i) + "]";
            e.names.push_back(text(fields[i], "name", at));
            e.args.push_back(readExpr(member(fields[i], "value", at), at + ".value"));
        }
        break;
    }
    case ExprOp::Invalid: break;  // refused above
    }
    return e;
}

}  // namespace xdml::runtime::plan_json
