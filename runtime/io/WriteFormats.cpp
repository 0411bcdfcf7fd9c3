// WriteFormats.cpp — see WriteFormats.h.
#include "runtime/io/WriteFormats.h"

#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"
#include "runtime/values/Text.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

namespace xdml::runtime {

namespace {

using json = nlohmann::ordered_json;
using K = Value::Kind;

/// Elements from `at` of the dimensions from `dim` on, as nested arrays.
json tensorJson(const Tensor& t, std::size_t dim, std::size_t& at) {
    if (dim == t.dims.size()) {
        const std::size_t i = at++;
        return withElemType(t.elem, [&](auto zero) -> json {
            using T = decltype(zero);
            const T x = t.data<T>()[i];
            if constexpr (std::is_same_v<T, bool>) return x;
            else if constexpr (std::is_floating_point_v<T>) return jsonNumber(x);
            else return x;
        });
    }
    json out = json::array();
    for (int64_t k = 0; k < t.dims[dim]; ++k) out.push_back(tensorJson(t, dim + 1, at));
    return out;
}

json valueJson(const Value& v) {
    switch (v.kind()) {
    case K::None: return nullptr;
    case K::Bool: return v.asBool();
    case K::Int: return v.asInt();
    case K::Float: return jsonNumber(v.asFloat());
    case K::F32: return jsonNumber(v.asF32());
    case K::String: return v.asString();
    case K::Quantity: return formatQuantity(v.asQuantity());
    case K::Tensor: {
        std::size_t at = 0;
        return tensorJson(v.asTensor(), 0, at);
    }
    case K::Record: {
        json out = json::object();
        for (const auto& f : v.asRecord().fields) out[f.name] = valueJson(f.value);
        return out;
    }
    case K::List: {
        json out = json::array();
        for (const Value& item : v.asList()) out.push_back(valueJson(item));
        return out;
    }
    }
    return nullptr;
}

std::string csvCell(const Value& v, const std::string& where, const std::string& field) {
    std::string text;
    switch (v.kind()) {
    case K::None: return "";
    case K::String: text = v.asString(); break;
    case K::Tensor: case K::Record: case K::List:
        throw DataError(where, "'.csv' takes flat records, but field '" + field + "' holds a " +
                                   (v.is(K::Tensor) ? "tensor" : v.is(K::Record) ? "record" : "list") + " (write it to .json)");
    default: text = toText(v);
    }
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string csvText(const Value& v, const std::string& where) {
    if (!v.is(K::List)) throw DataError(where, "'.csv' takes a list of flat records, got " + describe(v));
    const std::vector<Value>& rows = v.asList();
    std::string out;
    if (rows.empty()) return out;
    if (!rows[0].is(K::Record)) throw DataError(where, "'.csv' takes a list of flat records, got a list of " + describe(rows[0]));
    const auto& header = rows[0].asRecord().fields;
    for (std::size_t i = 0; i < header.size(); ++i) out += (i ? "," : "") + csvCell(Value::string(header[i].name), where, "");
    out += "\r\n";
    for (const Value& row : rows) {
        if (!row.is(K::Record) || row.asRecord().fields.size() != header.size())
            throw DataError(where, "'.csv' takes records of one type, row by row");
        const auto& fields = row.asRecord().fields;
        for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csvCell(fields[i].value, where, fields[i].name);
        out += "\r\n";
    }
    return out;
}

const Tensor& tensorFor(const Value& v, const char* ext, const std::string& where) {
    if (!v.is(K::Tensor)) throw DataError(where, std::string("'") + ext + "' takes a tensor, got " + describe(v));
    return v.asTensor();
}

}  // namespace

json jsonNumber(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return x;
}

std::string encodeForFile(planformat::FileFormat format, const Value& v, const std::string& where) {
    using F = planformat::FileFormat;
    switch (format) {
    case F::Npy: return encodeNpy(tensorFor(v, ".npy", where));
    case F::Raw: {
        const Tensor& t = tensorFor(v, ".raw", where);
        const std::size_t n = t.count() * elemSize(t.elem);
        std::string bytes(n, '\0');
        if (n) std::memcpy(bytes.data(), t.buffer->data(), n);  // this machine is little-endian (x86-64)
        return bytes;
    }
    case F::Json: return valueJson(v).dump(2) + "\n";
    case F::Csv: return csvText(v, where);
    case F::Text:
        if (!v.is(K::String)) throw DataError(where, "'.txt' takes a string, got " + describe(v) + " (write other values to .json)");
        return v.asString();
    case F::Hdf5: break;
    case F::Unknown: break;
    }
    throw DataError(where, std::string("'write' writes files by their extension: ") + planformat::writableExtensions() +
                               ", not this one");
}

}  // namespace xdml::runtime
