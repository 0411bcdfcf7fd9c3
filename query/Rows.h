// Rows.h — SQLite rows as JSON objects, column name to value, for the answers of queries.
#pragma once

#include "runtime/sqlite/Sqlite.h"

#include <nlohmann/json.hpp>

namespace xdml::query {

/// The current row of `s`: NULL as null, integers, reals and text as themselves. Columns whose
/// text is JSON (`policy`, `inputs`, `metrics`, ...) are parsed when `parseJson` names them.
nlohmann::json rowJson(const runtime::sqlite::Statement& s, std::initializer_list<const char*> parseJson = {});

/// Every row of `s` (already bound), as rowJson.
nlohmann::json allRows(runtime::sqlite::Statement& s, std::initializer_list<const char*> parseJson = {});

}  // namespace xdml::query
