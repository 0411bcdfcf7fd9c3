// FieldConformance.h — a value checked against the declared type of the catalog field it is
// written to, one scalar or tensor at a time. Numbers widen (an int into a float field, f32
// into float and back); anything else must be of the declared kind, or it is a CatalogError
// naming the field: "score: expected float, got string".
#pragma once

#include "runtime/interp/Program.h"

#include <string>

namespace xdml::runtime::catalog {

/// `where` is the field's path in messages: `score`, `meta.items[2]`.
[[noreturn]] void wrongValue(const std::string& where, const TypeDesc& expected, const Value& got);

bool boolOf(const Value& v, const TypeDesc& t, const std::string& where);
int64_t intOf(const Value& v, const TypeDesc& t, const std::string& where);
/// A float or f32 field's value as a double.
double floatOf(const Value& v, const TypeDesc& t, const std::string& where);
/// A string or path field's value.
const std::string& textOf(const Value& v, const TypeDesc& t, const std::string& where);
/// A quantity of the field's kind, in base units.
double quantityOf(const Value& v, const TypeDesc& t, const std::string& where);
/// A tensor of the field's element type and rank, whose static dimensions match.
const Tensor& tensorOf(const Value& v, const TypeDesc& t, const std::string& where);

}  // namespace xdml::runtime::catalog
