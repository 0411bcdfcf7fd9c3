// ColumnCodec.cpp — see ColumnCodec.h.
#include "runtime/catalog/ColumnCodec.h"

#include "runtime/catalog/CatalogError.h"
#include "runtime/catalog/ColumnTypes.h"
#include "runtime/catalog/FieldConformance.h"
#include "runtime/catalog/NestedJson.h"

#include <sqlite3.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace xdml::runtime::catalog {

// Tensor blobs are the buffer's bytes as they lie in memory; a big-endian port would swap them.
static_assert(std::endian::native == std::endian::little, "catalog blobs are little-endian");

namespace {

using K = TypeDesc::Kind;
constexpr const char* kNaN = "NaN";

Cell realCell(double x) {
    if (std::isnan(x)) return std::string(kNaN);
    return x;
}

[[noreturn]] void badColumn(const std::string& where, const TypeDesc& t, const std::string& what) {
    throw CatalogError(where + ": stored " + what + " is not a " + typeText(t));
}

const char* storageName(int sqliteType) {
    switch (sqliteType) {
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT: return "REAL";
    case SQLITE_TEXT: return "TEXT";
    case SQLITE_BLOB: return "BLOB";
    default: return "NULL";
    }
}

double realOf(const sqlite::Statement& stmt, int column, const TypeDesc& t, const std::string& where) {
    int type = stmt.columnType(column);
    if (type == SQLITE_FLOAT || type == SQLITE_INTEGER) return stmt.columnDouble(column);
    if (type == SQLITE_TEXT && stmt.columnText(column) == kNaN) return std::numeric_limits<double>::quiet_NaN();
    badColumn(where, t, storageName(type));
}

Tensor tensorOfBlob(std::string_view blob, const TypeDesc& t, const std::vector<int64_t>& dims,
                    const std::string& where) {
    Tensor tensor = Tensor::zeros(t.elem, dims);
    std::size_t bytes = tensor.count() * elemSize(t.elem);
    if (blob.size() != bytes)
        badColumn(where, t, "BLOB of " + std::to_string(blob.size()) + " bytes (expected " + std::to_string(bytes) + ")");
    if (t.elem == ElemType::Bool) {
        // Any byte but 0 or 1 in a bool would be undefined behaviour: normalise while copying.
        bool* out = tensor.data<bool>();
        for (std::size_t i = 0; i < blob.size(); ++i) out[i] = blob[i] != 0;
    } else if (bytes) {
        std::memcpy(tensor.buffer->data(), blob.data(), bytes);
    }
    return tensor;
}

}  // namespace

Cell encodeColumn(const Value& v, const TypeDesc& t, const std::string& where) {
    switch (t.kind) {
    case K::Bool: return int64_t{boolOf(v, t, where)};
    case K::Int: return intOf(v, t, where);
    case K::Float:
    case K::F32: return realCell(floatOf(v, t, where));
    case K::String:
    case K::Path: return textOf(v, t, where);
    case K::Quantity: return realCell(quantityOf(v, t, where));
    case K::Tensor: return tensorOf(v, t, where);
    case K::Optional: return v.is(Value::Kind::None) ? Cell{} : encodeColumn(v, *t.element, where);
    case K::Record:
    case K::List: return valueToJson(v, t, where).dump();
    default: throw CatalogError(where + ": a catalog cannot store a " + typeText(t));
    }
}

void bindCell(sqlite::Statement& stmt, int index, const Cell& cell) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) stmt.bindNull(index);
            else if constexpr (std::is_same_v<T, int64_t>) stmt.bindInt(index, x);
            else if constexpr (std::is_same_v<T, double>) stmt.bindDouble(index, x);
            else if constexpr (std::is_same_v<T, std::string>) stmt.bindText(index, x);
            else stmt.bindBlob(index, x.buffer ? x.buffer->data() : nullptr, x.count() * elemSize(x.elem));
        },
        cell);
}

Value decodeColumn(const sqlite::Statement& stmt, int column, const TypeDesc& t,
                   const std::optional<std::vector<int64_t>>& rowDims, const std::string& where) {
    if (t.kind == K::Optional)
        return stmt.isNull(column) ? Value::none() : decodeColumn(stmt, column, *t.element, rowDims, where);
    int type = stmt.columnType(column);
    switch (t.kind) {
    case K::Bool:
    case K::Int:
        if (type != SQLITE_INTEGER) badColumn(where, t, storageName(type));
        return t.kind == K::Bool ? Value::boolean(stmt.columnInt(column) != 0) : Value::integer(stmt.columnInt(column));
    case K::Float: return Value::float64(realOf(stmt, column, t, where));
    case K::F32: return Value::float32(static_cast<float>(realOf(stmt, column, t, where)));
    case K::Quantity: return Value::quantity(t.quantity, realOf(stmt, column, t, where));
    case K::String:
    case K::Path:
        if (type != SQLITE_TEXT) badColumn(where, t, storageName(type));
        return Value::string(stmt.columnText(column));
    case K::Tensor:
        if (type != SQLITE_BLOB) badColumn(where, t, storageName(type));
        if (hasRunTimeDims(t) && (!rowDims || rowDims->size() != t.dims.size()))
            badColumn(where, t, "tensor without its recorded shape");
        return Value::tensor(tensorOfBlob(stmt.columnBlob(column), t, rowDims ? *rowDims : t.dims, where));
    case K::Record:
    case K::List: {
        if (type != SQLITE_TEXT) badColumn(where, t, storageName(type));
        auto j = nlohmann::ordered_json::parse(stmt.columnText(column), nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) badColumn(where, t, "TEXT that is not JSON");
        return valueFromJson(j, t, where);
    }
    default: throw CatalogError(where + ": a catalog cannot store a " + typeText(t));
    }
}

}  // namespace xdml::runtime::catalog
