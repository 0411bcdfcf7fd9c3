// ProvenanceTestSupport.h — what the provenance tests share: a temporary directory that cleans
// itself up, and a plain sqlite3 reader, so tests check the database as any outside tool sees it.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "TempDir.h"
#include "runtime/provenance/Digest.h"

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

/// How the digests the writer kept for group (kind, label) differ from those computed from its
/// committed rows in id order, cut into buckets of kBucketEntities; "" when they agree. The
/// digests must describe exactly the rows in the database, whatever the groups were.
inline std::string digestMismatch(Reader& db, const std::string& kind, const std::string& label) {
    using runtime::prov::BucketDigest;
    using runtime::prov::kBucketEntities;
    const std::string rows = " FROM (SELECT id, hash FROM entities WHERE kind = '" + kind +
                             "' AND label = '" + label + "' ORDER BY id)";
    auto list = [&](const std::string& column) {
        std::vector<std::string> out;
        for (std::string text = db.text("SELECT COALESCE(group_concat(" + column + ", ','), '')" + rows);
             !text.empty();) {
            out.push_back(text.substr(0, text.find(',')));
            text.erase(0, std::min(text.size(), out.back().size() + 1));
        }
        return out;
    };
    const std::vector<std::string> hashes = list("hash"), ids = list("id");
    if (hashes.size() != ids.size()) return "entities without a hash";
    const std::size_t buckets = (hashes.size() + kBucketEntities - 1) / kBucketEntities;
    const std::string group = " FROM digests WHERE kind = '" + kind + "' AND label = '" + label + "'";
    if (db.number("SELECT count(*)" + group) != static_cast<int64_t>(buckets))
        return db.text("SELECT count(*)" + group) + " buckets kept, " + std::to_string(buckets) +
               " from the rows";
    for (std::size_t b = 0; b < buckets; ++b) {
        BucketDigest want;
        for (std::size_t i = b * kBucketEntities; i < std::min(hashes.size(), (b + 1) * kBucketEntities); ++i)
            want.add(runtime::prov::hashValue(hashes[i]), std::stoll(ids[i]));
        const std::string where = group + " AND bucket = " + std::to_string(b);
        const std::string kept =
            db.text("SELECT count || ' ' || sum || ' ' || mix || ' ' || first_id || ' ' || last_id" + where);
        const std::string wanted = std::to_string(want.count) + " " +
                                   std::to_string(static_cast<int64_t>(want.sum)) + " " +
                                   std::to_string(static_cast<int64_t>(want.mix)) + " " +
                                   std::to_string(want.first) + " " + std::to_string(want.last);
        if (kept != wanted)
            return "bucket " + std::to_string(b) + ": kept " + kept + ", from the rows " + wanted;
    }
    return "";
}

}  // namespace xdml::test
