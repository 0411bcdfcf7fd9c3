// Rows.cpp — see Rows.h.
#include "query/Rows.h"

#include <sqlite3.h>

#include <cstring>

namespace xdml::query {

nlohmann::json rowJson(const runtime::sqlite::Statement& s, std::initializer_list<const char*> parseJson) {
    nlohmann::json row = nlohmann::json::object();
    for (int c = 0; c < s.columnCount(); ++c) {
        const std::string name = s.columnName(c);
        switch (s.columnType(c)) {
            case SQLITE_NULL: row[name] = nullptr; break;
            case SQLITE_INTEGER: row[name] = s.columnInt(c); break;
            case SQLITE_FLOAT: row[name] = s.columnDouble(c); break;
            default: {
                std::string text = s.columnText(c);
                bool parse = false;
                for (const char* p : parseJson) parse = parse || name == p;
                if (parse) {
                    // Text that is not JSON (a hand-edited row) stays text rather than failing.
                    nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
                    row[name] = parsed.is_discarded() ? nlohmann::json(text) : parsed;
                } else {
                    row[name] = std::move(text);
                }
            }
        }
    }
    return row;
}

nlohmann::json allRows(runtime::sqlite::Statement& s, std::initializer_list<const char*> parseJson) {
    nlohmann::json rows = nlohmann::json::array();
    while (s.step()) rows.push_back(rowJson(s, parseJson));
    return rows;
}

}  // namespace xdml::query
