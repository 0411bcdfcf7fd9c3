// RowLineage.h — the sidecar `xdml_lineage(catalog, row, provenance, run, activity, from_entity,
// site, hash, bytes, settled)` beside a catalog's table: which run, activity and source made
// each row; `settled` is 1 once a later run has checked that the row has its record entity.
// CatalogStore writes it in the row's own transaction, so a row never exists without it; the
// next run reads it to give a killed run's rows the record entities that run could not commit
// (RecordRecovery.h, docs/provenance.md "Catalog rows and their record entities").
#pragma once

#include "runtime/provenance/Records.h"
#include "runtime/sqlite/Sqlite.h"

#include <filesystem>
#include <string>
#include <vector>

namespace xdml::runtime::catalog {

inline constexpr const char* kLineageTable = "xdml_lineage";

/// Creates the sidecar and its index when missing (inside the caller's write transaction).
void createLineageTable(sqlite::Connection& db);
/// Forgets the lineage of `table`'s rows (the table was dropped and is made again).
void clearLineage(sqlite::Connection& db, const std::string& table);
/// The INSERT that addOrigin runs.
sqlite::Statement prepareLineageInsert(sqlite::Connection& db);
/// Adds row `row` of `table`'s origin (inside the row's transaction).
void addOrigin(sqlite::Statement& insert, const std::string& table, int64_t row, const prov::RecordOrigin& origin);

/// The origins of `table`'s rows in `dbFile` made by `runs` of the provenance database
/// `provenance` and not yet settled, in row order. Reads without writing; a file or table that
/// is missing, or a catalog written before rows had lineage, has none. Throws CatalogError on
/// a file that is not a database.
std::vector<prov::RecordOrigin> unsettledOrigins(const std::filesystem::path& dbFile, const std::string& table,
                                                 const std::string& provenance, const std::vector<int64_t>& runs);
/// Marks the origins that unsettledOrigins gave as settled: each row has its record entity now,
/// so later opens need not read them again.
void settleOrigins(const std::filesystem::path& dbFile, const std::string& table, const std::string& provenance,
                   const std::vector<int64_t>& runs);

}  // namespace xdml::runtime::catalog
