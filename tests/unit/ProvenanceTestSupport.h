// ProvenanceTestSupport.h — what the provenance tests share: a temporary directory that cleans
// itself up, and a plain sqlite3 reader, so tests check the database as any outside tool sees it.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "TempDir.h"

namespace xdml::test {

/// A second, independent connection to a database: what the store committed, nothing more.
class Reader {
public:
    explicit Reader(const std::filesystem::path& file) {
        if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
            SQLITE_OK)
            throw std::runtime_error("cannot open " + file.string());
        sqlite3_busy_timeout(db_, 10000);
    }
    ~Reader() { sqlite3_close(db_); }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    /// The first column of the first row as text ("" for NULL, "<none>" for no row).
    std::string text(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
        std::string out = "<none>";
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const unsigned char* t = sqlite3_column_text(stmt, 0);
            out = t ? reinterpret_cast<const char*>(t) : "";
        } else if (rc != SQLITE_DONE) {
            std::string why = sqlite3_errmsg(db_);
            sqlite3_finalize(stmt);
            throw std::runtime_error(sql + ": " + why);
        }
        sqlite3_finalize(stmt);
        return out;
    }
    int64_t number(const std::string& sql) { return std::stoll(text(sql)); }
    /// How SQLite would run `sql`: its EXPLAIN QUERY PLAN steps, joined with "; ".
    std::string plan(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
        std::string steps;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            const unsigned char* detail = sqlite3_column_text(stmt, 3);
            steps += (steps.empty() ? "" : "; ") + std::string(detail ? reinterpret_cast<const char*>(detail) : "");
        }
        sqlite3_finalize(stmt);
        return steps;
    }
    void exec(const std::string& sql) {
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace xdml::test
