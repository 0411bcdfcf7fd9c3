// ColumnCodec.h — one record field as one SQLite column value, and back. Checking and encoding
// happen before the write lock is taken (encodeColumn), binding under it (bindCell).
//
// int, bool → INTEGER; float, f32 → REAL, NaN as the TEXT 'NaN' (SQLite would store NaN as
// NULL, which is none); string, path → TEXT; quantity → REAL in base units (seconds, bytes,
// bytes/s); tensor → BLOB of the raw little-endian elements, row-major (bool as one byte 0/1);
// record, list → TEXT holding NestedJson; none (in a `T?` field) → NULL.
#pragma once

#include "runtime/interp/Program.h"
#include "runtime/sqlite/Sqlite.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace xdml::runtime::catalog {

/// A column value ready to bind: NULL, INTEGER, REAL, TEXT, or a tensor bound as a BLOB
/// without copying its buffer.
using Cell = std::variant<std::monostate, int64_t, double, std::string, Tensor>;

/// `v`, checked against the resolved field type `t`; `where` names the field in errors.
Cell encodeColumn(const Value& v, const TypeDesc& t, const std::string& where);

/// Binds a cell to parameter `index` (from 1). The cell must outlive the statement's step().
void bindCell(sqlite::Statement& stmt, int index, const Cell& cell);

/// Reads column `column` (from 0) of the statement's current row as a value of type `t`.
/// `rowDims` gives the shape of a tensor whose type has `?` dimensions (the blob alone does
/// not say). Throws CatalogError, naming `where`, when the stored value does not fit `t`.
Value decodeColumn(const sqlite::Statement& stmt, int column, const TypeDesc& t,
                   const std::optional<std::vector<int64_t>>& rowDims, const std::string& where);

}  // namespace xdml::runtime::catalog
