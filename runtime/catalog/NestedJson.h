// NestedJson.h — the JSON text a catalog keeps for a field that is a record or a list (a
// column holds one value, so nested structure is written as JSON, typed by the sidecar):
// bool → true/false; int → integer; float, f32 → number, with "nan", "inf", "-inf" as strings
// (JSON has no non-finite numbers); string, path → string; quantity → number in base units;
// record → object, keys in declared order; list → array; none → null; tensor →
// {"dims": [..], "data": [..]} with the elements flat, row-major.
#pragma once

#include "runtime/interp/Program.h"

#include <nlohmann/json.hpp>

#include <string>

namespace xdml::runtime::catalog {

/// `v` as JSON, checked against the resolved type `t`; `where` names the field in errors.
nlohmann::ordered_json valueToJson(const Value& v, const TypeDesc& t, const std::string& where);

/// Reads valueToJson's output back as a value of type `t`. Throws CatalogError when the JSON
/// does not have that shape.
Value valueFromJson(const nlohmann::ordered_json& j, const TypeDesc& t, const std::string& where);

}  // namespace xdml::runtime::catalog
