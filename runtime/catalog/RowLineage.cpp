// RowLineage.cpp — see RowLineage.h.
#include "runtime/catalog/RowLineage.h"

#include "runtime/catalog/CatalogError.h"

namespace xdml::runtime::catalog {

namespace {

// Reading another run's lineage must not create the file, its -wal or the table.
const sqlite::ConnectionPolicy kLineageReader{
    .raise = &sqlite::raiseAs<CatalogError>,
    .role = "catalog database",
    .busyTimeoutMs = 60000,
    .readOnly = true,
};
// As CatalogStore's connections (a busy timeout for the run's own writers and other processes).
const sqlite::ConnectionPolicy kLineageWriter{
    .raise = &sqlite::raiseAs<CatalogError>,
    .role = "catalog database",
    .busyTimeoutMs = 60000,
    .pragmas = "PRAGMA synchronous=NORMAL;",
};

}  // namespace

void createLineageTable(sqlite::Connection& db) {
    db.exec(std::string("CREATE TABLE IF NOT EXISTS ") + kLineageTable +
            " (catalog TEXT NOT NULL, \"row\" INTEGER NOT NULL, provenance TEXT NOT NULL, run INTEGER NOT NULL,"
            " activity INTEGER, from_entity INTEGER, site TEXT, hash TEXT, bytes INTEGER NOT NULL DEFAULT 0,"
            " settled INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (catalog, \"row\"));"
            "CREATE INDEX IF NOT EXISTS xdml_lineage_by_run ON " + kLineageTable + " (catalog, provenance, run, settled)");
}

void clearLineage(sqlite::Connection& db, const std::string& table) {
    sqlite::Statement clear = db.prepare(std::string("DELETE FROM ") + kLineageTable + " WHERE catalog = ?");
    clear.bindText(1, table);
    clear.run();
}

sqlite::Statement prepareLineageInsert(sqlite::Connection& db) {
    return db.prepare(std::string("INSERT OR REPLACE INTO ") + kLineageTable +
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)");
}

void addOrigin(sqlite::Statement& insert, const std::string& table, int64_t row, const prov::RecordOrigin& origin) {
    insert.bindText(1, table);
    insert.bindInt(2, row);
    insert.bindText(3, origin.provenance);
    insert.bindInt(4, origin.run);
    insert.bindId(5, origin.activity);
    insert.bindId(6, origin.from);
    insert.bindTextOrNull(7, origin.site);
    insert.bindTextOrNull(8, origin.hash);
    insert.bindInt(9, origin.bytes);
    insert.run();
}

std::vector<prov::RecordOrigin> unsettledOrigins(const std::filesystem::path& dbFile, const std::string& table,
                                                 const std::string& provenance, const std::vector<int64_t>& runs) {
    std::vector<prov::RecordOrigin> out;
    std::error_code ec;
    if (runs.empty() || !std::filesystem::is_regular_file(dbFile, ec)) return out;
    sqlite::Connection db(dbFile, kLineageReader);
    sqlite::Transaction snapshot(db, sqlite::Transaction::Mode::Read);
    if (db.queryInt(std::string("SELECT count(*) FROM sqlite_master WHERE name = '") + kLineageTable + "'") == 0)
        return out;
    sqlite::Statement q = db.prepare(
        std::string("SELECT \"row\", activity, from_entity, site, hash, bytes FROM ") + kLineageTable +
        " WHERE catalog = ?1 AND provenance = ?2 AND run = ?3 AND settled = 0 ORDER BY \"row\"");
    for (int64_t run : runs) {
        q.bindText(1, table);
        q.bindText(2, provenance);
        q.bindInt(3, run);
        while (q.step()) {
            prov::RecordOrigin o;
            o.provenance = provenance;
            o.run = run;
            o.row = q.columnInt(0);
            o.activity = q.isNull(1) ? -1 : q.columnInt(1);
            o.from = q.isNull(2) ? -1 : q.columnInt(2);
            o.site = q.columnText(3);
            o.hash = q.columnText(4);
            o.bytes = q.columnInt(5);
            out.push_back(std::move(o));
        }
        q.reset();
    }
    snapshot.commit();
    return out;
}

void settleOrigins(const std::filesystem::path& dbFile, const std::string& table, const std::string& provenance,
                   const std::vector<int64_t>& runs) {
    sqlite::Connection db(dbFile, kLineageWriter);
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::Write);
    sqlite::Statement settle = db.prepare(std::string("UPDATE ") + kLineageTable +
                                          " SET settled = 1 WHERE catalog = ?1 AND provenance = ?2 AND run = ?3 AND settled = 0");
    for (int64_t run : runs) {
        settle.bindText(1, table);
        settle.bindText(2, provenance);
        settle.bindInt(3, run);
        settle.run();
    }
    tx.commit();
}

}  // namespace xdml::runtime::catalog
