// NestedJson.cpp — see NestedJson.h.
#include "runtime/catalog/NestedJson.h"

#include "runtime/catalog/CatalogError.h"
#include "runtime/catalog/ColumnTypes.h"
#include "runtime/catalog/FieldConformance.h"
#include "runtime/io/WriteFormats.h"

#include <cmath>
#include <limits>

namespace xdml::runtime::catalog {

namespace {

using json = nlohmann::ordered_json;
using K = TypeDesc::Kind;

[[noreturn]] void badJson(const std::string& where, const TypeDesc& t, const json& j) {
    std::string text = j.dump();
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    throw CatalogError(where + ": stored JSON " + text + " is not a " + typeText(t));
}

double floatFromJson(const json& j, const TypeDesc& t, const std::string& where) {
    if (j.is_number()) return j.get<double>();
    if (j == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (j == "inf") return std::numeric_limits<double>::infinity();
    if (j == "-inf") return -std::numeric_limits<double>::infinity();
    badJson(where, t, j);
}

json tensorJson(const Tensor& tensor) {
    json data = json::array();
    withElemType(tensor.elem, [&](auto zero) {
        using T = decltype(zero);
        const T* p = tensor.data<T>();
        for (std::size_t i = 0; i < tensor.count(); ++i) {
            if constexpr (std::is_floating_point_v<T>) data.push_back(jsonNumber(p[i]));
            else data.push_back(p[i]);
        }
        return 0;
    });
    return json{{"dims", tensor.dims}, {"data", std::move(data)}};
}

Tensor tensorFromJson(const json& j, const TypeDesc& t, const std::string& where) {
    if (!j.is_object() || !j.contains("dims") || !j.contains("data") || !j["dims"].is_array() ||
        !j["data"].is_array() || j["dims"].size() != t.dims.size())
        badJson(where, t, j);
    std::vector<int64_t> dims;
    for (std::size_t i = 0; i < t.dims.size(); ++i) {
        const json& d = j["dims"][i];
        if (!d.is_number_integer() || d.get<int64_t>() < 0 || (t.dims[i] >= 0 && d.get<int64_t>() != t.dims[i]))
            badJson(where, t, j);
        dims.push_back(d.get<int64_t>());
    }
    Tensor tensor = Tensor::zeros(t.elem, dims);
    const json& data = j["data"];
    if (data.size() != tensor.count()) badJson(where, t, j);
    withElemType(t.elem, [&](auto zero) {
        using T = decltype(zero);
        T* p = tensor.data<T>();
        for (std::size_t i = 0; i < data.size(); ++i) {
            if constexpr (std::is_same_v<T, bool>) {
                if (!data[i].is_boolean()) badJson(where, t, j);
                p[i] = data[i].get<bool>();
            } else if constexpr (std::is_floating_point_v<T>) {
                p[i] = static_cast<T>(floatFromJson(data[i], t, where));
            } else {
                if (!data[i].is_number_integer()) badJson(where, t, j);
                p[i] = data[i].get<T>();
            }
        }
        return 0;
    });
    return tensor;
}

}  // namespace

json valueToJson(const Value& v, const TypeDesc& t, const std::string& where) {
    switch (t.kind) {
    case K::Bool: return boolOf(v, t, where);
    case K::Int: return intOf(v, t, where);
    case K::Float:
    case K::F32: return jsonNumber(floatOf(v, t, where));
    case K::String:
    case K::Path: return textOf(v, t, where);
    case K::Quantity: return jsonNumber(quantityOf(v, t, where));
    case K::Tensor: return tensorJson(tensorOf(v, t, where));
    case K::Optional: return v.is(Value::Kind::None) ? json(nullptr) : valueToJson(v, *t.element, where);
    case K::List: {
        if (!v.is(Value::Kind::List)) wrongValue(where, t, v);
        json out = json::array();
        const std::vector<Value>& items = v.asList();
        for (std::size_t i = 0; i < items.size(); ++i)
            out.push_back(valueToJson(items[i], *t.element, where + "[" + std::to_string(i) + "]"));
        return out;
    }
    case K::Record: {
        if (!v.is(Value::Kind::Record)) wrongValue(where, t, v);
        json out = json::object();
        for (const FieldType& f : t.fields) {
            const Value* field = v.asRecord().find(f.name);
            if (!field) throw CatalogError(where + ": the record has no field " + f.name);
            out[f.name] = valueToJson(*field, f.type, where + "." + f.name);
        }
        return out;
    }
    default: throw CatalogError(where + ": a catalog cannot store a " + typeText(t));
    }
}

Value valueFromJson(const json& j, const TypeDesc& t, const std::string& where) {
    switch (t.kind) {
    case K::Bool:
        if (!j.is_boolean()) badJson(where, t, j);
        return Value::boolean(j.get<bool>());
    case K::Int:
        if (!j.is_number_integer()) badJson(where, t, j);
        return Value::integer(j.get<int64_t>());
    case K::Float: return Value::float64(floatFromJson(j, t, where));
    case K::F32: return Value::float32(static_cast<float>(floatFromJson(j, t, where)));
    case K::String:
    case K::Path:
        if (!j.is_string()) badJson(where, t, j);
        return Value::string(j.get<std::string>());
    case K::Quantity: return Value::quantity(t.quantity, floatFromJson(j, t, where));
    case K::Tensor: return Value::tensor(tensorFromJson(j, t, where));
    case K::Optional: return j.is_null() ? Value::none() : valueFromJson(j, *t.element, where);
    case K::List: {
        if (!j.is_array()) badJson(where, t, j);
        std::vector<Value> items;
        for (std::size_t i = 0; i < j.size(); ++i)
            items.push_back(valueFromJson(j[i], *t.element, where + "[" + std::to_string(i) + "]"));
        return Value::list(std::move(items));
    }
    case K::Record: {
        if (!j.is_object()) badJson(where, t, j);
        RecordValue record;
        for (const FieldType& f : t.fields) {
            auto it = j.find(f.name);
            if (it == j.end()) badJson(where, t, j);
            record.fields.push_back({f.name, valueFromJson(*it, f.type, where + "." + f.name)});
        }
        return Value::record(std::move(record));
    }
    default: throw CatalogError(where + ": a catalog cannot store a " + typeText(t));
    }
}

}  // namespace xdml::runtime::catalog
