// Schema.h — the tables of the provenance database and their version. docs/provenance.md
// explains every column; this is the one place that creates them.
//
// The file is marked with PRAGMA application_id (so a provenance database is told apart from
// a catalog or any other SQLite file) and PRAGMA user_version (the schema version below). A
// database from a newer version is refused rather than half-understood.
#pragma once

#include "runtime/provenance/ProvenanceError.h"
#include "runtime/sqlite/Sqlite.h"

namespace xdml::runtime::prov {

/// Bumped on every change to the tables or to the meaning of a column (the content hash too).
inline constexpr int kSchemaVersion = 6;
/// "XDMP" in ASCII: XDML provenance.
inline constexpr int kApplicationId = 0x58444D50;

/// How every store connection is opened. No pragmas at open: checkSchema must read a foreign
/// file before anything writes to it; configureConnection and createSchema come after.
inline constexpr sqlite::ConnectionPolicy kConnectionPolicy{
    .raise = &sqlite::raiseAs<ProvenanceError>,
    .role = "provenance database",
    // Long enough to outlast a checkpoint or another process's group commit, short enough that
    // a database locked for good is reported rather than hanging the run.
    .busyTimeoutMs = 10000,
};

/// Reads the file's header without writing: throws a ProvenanceError naming the file when it
/// is not an SQLite database, belongs to another application, or has a newer schema.
/// Returns the schema version found (0 for a new, empty database).
int checkSchema(sqlite::Connection& db);

/// Switches the file to WAL mode and creates the tables and indexes when they are missing.
/// The connection must hold the store's writer lock.
void createSchema(sqlite::Connection& db);

/// Copies the write-ahead log into the database file and empties it, so the file alone (a
/// copy without its -wal) holds every commit. Called by every writer when it is done: a run's
/// store, a replay's (the same store) and `xdmlc prov invalidate`. SQLite does this on its
/// own only when the last connection to the file closes, and a reader still open at that
/// moment (replay's query of the original run) leaves the log behind. Needs no transaction
/// open on `db`; waits up to the busy timeout for readers, and returns false when one still
/// held the log (then SQLite's own checkpoints, or the next writer's, finish the copy).
bool checkpointLog(sqlite::Connection& db);

/// The pragmas every store connection runs with: synchronous=NORMAL (see docs/provenance.md).
void configureConnection(sqlite::Connection& db);

}  // namespace xdml::runtime::prov
