// PlanJson.cpp — see PlanJson.h.
#include "runtime/interp/PlanJson.h"

namespace xdml::runtime::plan_json {

using nlohmann::json;

void fail(const std::string& where, const std::string& what) {
    throw PlanError("plan code: " + where + ": " + what);
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
    const std::string kind = text(j, "kind", where);
    using K = TypeDesc::Kind;
    static const std::map<std::string, K> scalars = {{"none", K::None},  {"bool", K::Bool},     {"int", K::Int},
                                                     {"float", K::Float}, {"f32", K::F32},     {"string", K::String},
                                                     {"path", K::Path}};
    if (auto s = scalars.find(kind); s != scalars.end()) {
        t.kind = s->second;
    } else if (parseQuantityKind(kind, t.quantity)) {
        t.kind = K::Quantity;
    } else if (kind == "named") {
        t.kind = K::Named;
        t.name = text(j, "name", where);
    } else if (kind == "tensor") {
        t.kind = K::Tensor;
        if (!parseElemType(text(j, "elem", where), t.elem)) fail(where + ".elem", "unknown element type");
        const json& dims = array(j, "dims", where);
        for (std::size_t i = 0; i < dims.size(); ++i) {
            if (dims[i].is_null()) t.dims.push_back(-1);
            else if (dims[i].is_number_integer() && dims[i].get<int64_t>() >= 0) t.dims.push_back(dims[i].get<int64_t>());
            else fail(where + ".dims[" + std::to_string(i) + "]", "expected a size or null");
        }
    } else if (kind == "record") {
        t.kind = K::Record;
        const json& fields = array(j, "fields", where);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string at = where + ".fields[" + std::to_string(i) + "]";
            t.fields.push_back({text(fields[i], "name", at), readType(member(fields[i], "type", at), at + ".type")});
        }
    } else if (kind == "list" || kind == "optional") {
        t.kind = kind == "list" ? K::List : K::Optional;
        t.element = std::make_shared<TypeDesc>(readType(member(j, "element", where), where + ".element"));
    } else {
        t.kind = K::Other;  // streams, catalogs, models, functions: handles, not values
        t.name = kind;
    }
    return t;
}

NameBinding readBinding(const json& j, const std::string& where) {
    const std::string b = text(j, "binding", where);
    if (b == "local") return NameBinding::Local;
    if (b == "builtin") return NameBinding::Builtin;
    if (b == "type") return NameBinding::Type;
    if (b == "it") return NameBinding::It;
    if (b == "metric") return NameBinding::Metric;
    if (b == "unresolved") return NameBinding::Word;
    if (b == "global") {
        auto d = j.find("declares");
        if (d == j.end() || !d->is_string()) fail(where, "a global name without \"declares\"");
        if (*d == "const") return NameBinding::Const;
        if (*d == "fn") return NameBinding::Fn;
        return NameBinding::OtherGlobal;
    }
    fail(where + ".binding", "unknown binding \"" + b + "\"");
}

void readArgs(const json& j, Expr& e, const std::string& where, std::size_t want) {
    const json& args = array(j, "args", where);
    if (want && args.size() != want)
        fail(where + ".args", "expected " + std::to_string(want) + " operands, got " + std::to_string(args.size()));
    for (std::size_t i = 0; i < args.size(); ++i)
        e.args.push_back(readExpr(args[i], where + ".args[" + std::to_string(i) + "]"));
}

BinaryOperator readBinaryOperator(const std::string& s, const std::string& where) {
    for (int i = 0; i <= static_cast<int>(BinaryOperator::Or); ++i)
        if (s == spelling(static_cast<BinaryOperator>(i))) return static_cast<BinaryOperator>(i);
    fail(where + ".operator", "unknown operator \"" + s + "\"");
}

void readLiteral(const json& j, const std::string& op, Expr& e, const std::string& where) {
    e.op = Expr::Op::Literal;
    if (op == "none") return;
    const json& v = member(j, "value", where);
    if (op == "int") {
        if (!v.is_number_integer()) fail(where + ".value", "expected an integer");
        e.literal = Value::integer(v.get<int64_t>());
    } else if (op == "bool") {
        if (!v.is_boolean()) fail(where + ".value", "expected true or false");
        e.literal = Value::boolean(v.get<bool>());
    } else {
        if (!v.is_number()) fail(where + ".value", "expected a number");
        if (op == "float") {
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
    const std::string op = text(j, "op", where);
    if (auto line = j.find("line"); line != j.end() && line->is_number_integer()) e.line = line->get<int>();
    if (auto at = j.find("at"); at != j.end() && at->is_string()) e.at = at->get<std::string>();
    if (auto type = j.find("type"); type != j.end()) e.type = readType(*type, where + ".type");
    if (auto chain = j.find("chain"); chain != j.end()) {
        if (!chain->is_number_integer() || chain->get<int64_t>() < 0) fail(where + ".chain", "expected a node id");
        e.chain = chain->get<int64_t>();
    }

    if (op == "int" || op == "float" || op == "bool" || op == "none" || op == "quantity") {
        readLiteral(j, op, e, where);
    } else if (op == "string") {
        e.op = Expr::Op::String;
        const json& parts = array(j, "parts", where);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (parts[i].is_string()) {
                e.parts.push_back({parts[i].get<std::string>(), -1});
            } else {
                e.parts.push_back({"", static_cast<int>(e.args.size())});
                e.args.push_back(readExpr(parts[i], where + ".parts[" + std::to_string(i) + "]"));
            }
        }
    } else if (op == "name") {
        e.op = Expr::Op::Name;
        e.name = text(j, "name", where);
        e.binding = readBinding(j, where);
        if (e.binding == NameBinding::OtherGlobal) e.declares = j["declares"].get<std::string>();
    } else if (op == "unary") {
        const std::string o = text(j, "operator", where);
        if (o != "-" && o != "not") fail(where + ".operator", "unknown operator \"" + o + "\"");
        e.op = o == "-" ? Expr::Op::Negate : Expr::Op::Not;
        readArgs(j, e, where, 1);
    } else if (op == "binary") {
        e.op = Expr::Op::Binary;
        e.binary = readBinaryOperator(text(j, "operator", where), where);
        readArgs(j, e, where, 2);
    } else if (op == "ternary") {
        e.op = Expr::Op::Ternary;
        readArgs(j, e, where, 3);
    } else if (op == "call") {
        e.op = Expr::Op::Call;
        const json& callee = member(j, "callee", where);
        if (text(callee, "op", where + ".callee") != "name") fail(where + ".callee", "a call of something not a name");
        e.name = text(callee, "name", where + ".callee");
        e.binding = readBinding(callee, where + ".callee");
        if (e.binding == NameBinding::OtherGlobal) e.declares = callee["declares"].get<std::string>();
        readArgs(j, e, where, 0);
        for (const json& a : j["args"]) {
            auto name = a.find("argument");
            e.names.push_back(name != a.end() && name->is_string() ? name->get<std::string>() : "");
        }
    } else if (op == "field") {
        e.op = Expr::Op::Field;
        e.name = text(j, "field", where);
        readArgs(j, e, where, 1);
    } else if (op == "index") {
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
    } else if (op == "list") {
        e.op = Expr::Op::List;
        readArgs(j, e, where, 0);
    } else if (op == "record") {
        e.op = Expr::Op::Record;
        const json& fields = array(j, "fields", where);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string at = where + ".fields[" + std::to_string(i) + "]";
            e.names.push_back(text(fields[i], "name", at));
            e.args.push_back(readExpr(member(fields[i], "value", at), at + ".value"));
        }
    } else {
        fail(where, "unknown expression \"" + op + "\"");
    }
    return e;
}

}  // namespace xdml::runtime::plan_json
