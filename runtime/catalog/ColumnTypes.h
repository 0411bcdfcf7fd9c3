// ColumnTypes.h — what a catalog column holds: a record field's XDML type written as text (the
// form kept in the xdml_columns sidecar table, read back by parseTypeText), the SQLite declared
// type it gets, and named types resolved to their structure.
#pragma once

#include "runtime/interp/Program.h"

#include <functional>
#include <string>

namespace xdml::runtime {

/// The structure of a named type, as Program::structure gives it (a reference that outlives
/// the call). Catalog code never sees a Program: the caller passes this in.
using TypeResolver = std::function<const TypeDesc&(const TypeDesc&)>;

}  // namespace xdml::runtime

// The catalog's own helpers; their names are too general for the runtime's namespace.
namespace xdml::runtime::catalog {

/// `t` with every Named type, at any depth, replaced by its structure. Throws CatalogError when
/// `t` names a type and `structure` is empty, or holds something a catalog cannot store (a
/// stream, catalog or model handle; an unknown type).
TypeDesc resolveStructure(const TypeDesc& t, const TypeResolver& structure);

/// A resolved type as XDML writes it: `int`, `duration`, `tensor<f32>[?, 64]`, `list<int>`,
/// `int?`, `{ name: string, score: float }`.
std::string typeText(const TypeDesc& t);

/// Reads typeText's output back (spaces are optional). Throws CatalogError on anything else.
TypeDesc parseTypeText(const std::string& text);

/// The column's SQLite declared type: INTEGER (int, bool), REAL (float, f32), TEXT (string,
/// path), BLOB (tensors), TEXT holding JSON (records, lists). Quantities are REAL in base units
/// declared as `duration REAL`, `bytes REAL`, `bandwidth REAL`: the declared type names the kind
/// and still gives REAL affinity (a bare `duration` would have NUMERIC affinity, which turns
/// 2.0 into the integer 2). `T?` is the type of T; none is NULL.
std::string sqlDeclaredType(const TypeDesc& t);

/// Whether a tensor column needs each row's shape recorded: its type has a `?` dimension.
bool hasRunTimeDims(const TypeDesc& t);

}  // namespace xdml::runtime::catalog
