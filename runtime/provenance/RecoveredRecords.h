// RecoveredRecords.h — writing the record entities a killed run could not commit. A run
// commits a catalog row (with its origin, RowLineage.h) before it captures the row's record
// entity, so after kill -9 a catalog may hold rows whose entities never reached the store;
// the next run hands their origins here (docs/provenance.md, "Catalog rows and their record
// entities").
//
// Requires: no run is capturing into the database (the store is between runs) and the caller
// holds the writer lock. Guarantees: one transaction; a row that has its entity already is
// left alone, so running it twice writes nothing twice; the group's digests are rebuilt.
#pragma once

#include "runtime/provenance/Records.h"
#include "runtime/sqlite/Sqlite.h"

#include <cstdint>
#include <string>
#include <vector>

namespace xdml::runtime::prov {

/// Writes, for each origin of a row of `catalog` that has no record entity in its run, the
/// entity (kind 'record', seq = the row), its derivation from its source and its generating
/// activity (each only when that run committed it), with ids from `nextId` on. Returns how
/// many it wrote.
int writeRecoveredRecords(sqlite::Connection& db, int64_t nextId, const std::string& catalog,
                          const std::vector<RecordOrigin>& origins);

}  // namespace xdml::runtime::prov
