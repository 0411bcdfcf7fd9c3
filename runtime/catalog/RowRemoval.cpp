// RowRemoval.cpp — see RowRemoval.h.
#include "runtime/catalog/RowRemoval.h"

#include "runtime/catalog/CatalogError.h"
#include "runtime/catalog/RowLineage.h"

#include <optional>

namespace xdml::runtime::catalog {

namespace {

const sqlite::ConnectionPolicy kRemover{
    .raise = &sqlite::raiseAs<CatalogError>,
    .role = "catalog database",
    .busyTimeoutMs = 60000,
    .pragmas = "PRAGMA synchronous=NORMAL;",
};

bool hasTable(sqlite::Connection& db, const std::string& name) {
    sqlite::Statement q = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
    q.bindText(1, name);
    return q.step() && q.columnInt(0) > 0;
}

}  // namespace

int removeRowsNotKept(const std::filesystem::path& dbFile, const std::string& table, const std::string& provenance,
                      const std::vector<int64_t>& runs, const std::set<int64_t>& keep) {
    std::error_code ec;
    if (runs.empty() || !std::filesystem::is_regular_file(dbFile, ec)) return 0;
    sqlite::Connection db(dbFile, kRemover);
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::Write);
    if (!hasTable(db, kLineageTable) || !hasTable(db, table)) return 0;
    std::vector<int64_t> doomed;
    {
        sqlite::Statement q = db.prepare(std::string("SELECT \"row\" FROM ") + kLineageTable +
                                         " WHERE catalog = ?1 AND provenance = ?2 AND run = ?3");
        for (int64_t run : runs) {
            q.bindText(1, table);
            q.bindText(2, provenance);
            q.bindInt(3, run);
            while (q.step())
                if (!keep.count(q.columnInt(0))) doomed.push_back(q.columnInt(0));
            q.reset();
        }
    }
    if (doomed.empty()) return 0;
    sqlite::Statement row = db.prepare("DELETE FROM " + sqlite::quoteIdentifier(table) + " WHERE rowid = ?1");
    sqlite::Statement lineage = db.prepare(std::string("DELETE FROM ") + kLineageTable + " WHERE catalog = ?1 AND \"row\" = ?2");
    const bool shaped = hasTable(db, "xdml_shapes");
    std::optional<sqlite::Statement> shapes;
    if (shaped) shapes.emplace(db.prepare("DELETE FROM xdml_shapes WHERE catalog = ?1 AND \"row\" = ?2"));
    for (int64_t r : doomed) {
        row.bindInt(1, r);
        row.run();
        lineage.bindText(1, table);
        lineage.bindInt(2, r);
        lineage.run();
        if (shapes) {
            shapes->bindText(1, table);
            shapes->bindInt(2, r);
            shapes->run();
        }
    }
    tx.commit();
    return static_cast<int>(doomed.size());
}

}  // namespace xdml::runtime::catalog
