// Schema.cpp — the DDL of the provenance database, its version checks, and the pragmas that
// make it a write-ahead log with group commits.
#include "runtime/provenance/Schema.h"

#include <cstdio>
#include <string>

namespace xdml::runtime::prov {
namespace {

// Foreign keys are declared for readers and tools but not enforced (PRAGMA foreign_keys stays
// off): the writer commits groups in arrival order, and one dangling id must never cost a
// whole group. Times are seconds since the epoch (REAL, microsecond precision).
constexpr const char* kTables = R"sql(
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    flow        TEXT NOT NULL,
    script_path TEXT,
    script_hash TEXT,
    arguments   TEXT,
    seed        INTEGER NOT NULL DEFAULT 0,
    plan        TEXT,
    started     REAL NOT NULL,
    ended       REAL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'stopped', 'incomplete')),
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    counters    TEXT,
    workdir     TEXT,
    version     TEXT
);
CREATE TABLE entities (
    id      INTEGER PRIMARY KEY,
    run     INTEGER NOT NULL REFERENCES runs(id),
    kind    TEXT NOT NULL,
    label   TEXT,
    type    TEXT,
    hash    TEXT,
    bytes   INTEGER NOT NULL DEFAULT 0,
    site    TEXT,
    stream  TEXT,
    seq     INTEGER,
    path    TEXT,
    created REAL NOT NULL,
    valid   INTEGER NOT NULL DEFAULT 1,
    generated_by INTEGER REFERENCES activities(id)
);
CREATE TABLE activities (
    id      INTEGER PRIMARY KEY,
    run     INTEGER NOT NULL REFERENCES runs(id),
    kind    TEXT NOT NULL,
    name    TEXT,
    handler INTEGER,
    site    TEXT,
    policy  TEXT,
    started REAL NOT NULL,
    ended   REAL,
    status  TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'dropped')),
    error   TEXT,
    line    INTEGER,
    rank    INTEGER NOT NULL DEFAULT 0,
    host    TEXT,
    code    TEXT,
    input      INTEGER REFERENCES entities(id),
    input_role TEXT
);
CREATE TABLE used_explicit (
    activity INTEGER NOT NULL REFERENCES activities(id),
    entity   INTEGER NOT NULL REFERENCES entities(id),
    role     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (activity, entity, role)
) WITHOUT ROWID;
CREATE TABLE generated_explicit (
    entity   INTEGER NOT NULL REFERENCES entities(id),
    activity INTEGER NOT NULL REFERENCES activities(id),
    PRIMARY KEY (entity, activity)
) WITHOUT ROWID;
CREATE TABLE derivations (
    entity      INTEGER NOT NULL REFERENCES entities(id),
    from_entity INTEGER NOT NULL REFERENCES entities(id),
    activity    INTEGER REFERENCES activities(id)
);
CREATE TABLE models (
    id       INTEGER PRIMARY KEY,
    run      INTEGER NOT NULL REFERENCES runs(id),
    model    TEXT NOT NULL,
    version  INTEGER NOT NULL,
    parent   INTEGER REFERENCES models(id),
    entity   INTEGER REFERENCES entities(id),
    metrics  TEXT,
    items    TEXT,
    snapshot TEXT,
    created  REAL NOT NULL
);
CREATE TABLE decisions (
    id            INTEGER PRIMARY KEY,
    run           INTEGER NOT NULL REFERENCES runs(id),
    kind          TEXT NOT NULL,
    subject       TEXT,
    choice        TEXT,
    reason        TEXT,
    inputs        TEXT,
    model_version INTEGER REFERENCES models(id),
    time          REAL NOT NULL
);
)sql";

// The lineage links as every reader sees them (schema 6). Most links are one per row: a firing
// uses its item, a task call its first argument, and a value is made by one call. Those are
// columns of the row (activities.input and input_role, entities.generated_by), which saves the
// writer three of the seven rows a no-op task cost; the rest are rows of the *_explicit tables.
// A query names `used` and `generated` as before; SQLite searches both sources of a view by
// the same index-backed terms (docs/provenance.md "Queries" says which shapes to avoid).
constexpr const char* kLinkViews = R"sql(
CREATE VIEW IF NOT EXISTS used (activity, entity, role) AS
    SELECT activity, entity, role FROM used_explicit
    UNION ALL SELECT id, input, input_role FROM activities WHERE input IS NOT NULL;
CREATE VIEW IF NOT EXISTS generated (entity, activity) AS
    SELECT entity, activity FROM generated_explicit
    UNION ALL SELECT id, generated_by FROM entities WHERE generated_by IS NOT NULL;
)sql";

// Schema 5 -> 6: the link tables keep their rows under their new names (their indexes follow
// them); the columns are added by createSchema.
constexpr const char* kUpgrade5To6 = R"sql(
ALTER TABLE used RENAME TO used_explicit;
ALTER TABLE generated RENAME TO generated_explicit;
)sql";

// Each site's status at a fixed interval (schema 5): queue depth and busy workers over time in
// the run report. Created with the tables, and by the upgrade from older schemas.
constexpr const char* kSiteStatusTable = R"sql(
CREATE TABLE IF NOT EXISTS site_status (
    run            INTEGER NOT NULL REFERENCES runs(id),
    time           REAL NOT NULL,
    site           TEXT NOT NULL,
    capacity       INTEGER NOT NULL,
    running        INTEGER NOT NULL,
    queued         INTEGER NOT NULL,
    mean_job       REAL NOT NULL,
    estimated_wait REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS site_status_by_run ON site_status(run, site, time);
)sql";

// The digests that make run comparison fast (Digest.h); created with the tables, and added by
// the upgrade from schema 1.
constexpr const char* kDigestsTable = R"sql(
CREATE TABLE IF NOT EXISTS digests (
    run      INTEGER NOT NULL REFERENCES runs(id),
    kind     TEXT NOT NULL,
    label    TEXT NOT NULL,
    bucket   INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    sum      INTEGER NOT NULL,
    mix      INTEGER NOT NULL,
    first_id INTEGER NOT NULL,
    last_id  INTEGER NOT NULL,
    PRIMARY KEY (run, kind, label, bucket)
) WITHOUT ROWID;
)sql";

// Lineage walks used/generated/derivations from both ends; the rest serve "everything of run
// N", "item N of stream S", "the versions of model M" and "the decisions about X". Each index
// costs the writer (together about a third of its time), so there is none without a query
// behind it: an index on entities(hash) waits for the issue that looks content up.
// activities_by_code serves run comparison's "which Python code did this run's calls run":
// through activities_by_run it read every activity of both runs (130 ms at 10^6 entities,
// against a 10 ms goal). It is partial, so only the calls of Python tasks pay for it.
constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS entities_by_group ON entities(run, kind, label);
CREATE INDEX IF NOT EXISTS entities_by_stream ON entities(stream, seq) WHERE stream IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_by_run ON activities(run);
CREATE INDEX IF NOT EXISTS used_by_entity ON used_explicit(entity);
CREATE INDEX IF NOT EXISTS generated_by_activity ON generated_explicit(activity);
CREATE INDEX IF NOT EXISTS activities_by_input ON activities(input) WHERE input IS NOT NULL;
CREATE INDEX IF NOT EXISTS entities_by_generator ON entities(generated_by) WHERE generated_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS derivations_by_entity ON derivations(entity);
CREATE INDEX IF NOT EXISTS derivations_by_source ON derivations(from_entity);
CREATE INDEX IF NOT EXISTS models_by_name ON models(model, version);
CREATE INDEX IF NOT EXISTS decisions_by_subject ON decisions(subject);
CREATE INDEX IF NOT EXISTS decisions_by_kind ON decisions(run, kind);
CREATE INDEX IF NOT EXISTS entities_invalid_by_hash ON entities(hash) WHERE valid = 0;
CREATE INDEX IF NOT EXISTS activities_by_code ON activities(run, name, code) WHERE code IS NOT NULL;
)sql";

// Schema 1 -> 2 drops the two indexes that were widened: entities_by_run to entities_by_group
// (run, kind, label), which still serves "the entities of run N" and reads a digest bucket's
// members directly, and decisions_by_run to decisions_by_kind (run, kind). Then kDigestsTable
// and kIndexes add what is new (the digests, entities_invalid_by_hash), and runs gain their
// workdir column. Version-1 runs get digests on demand.
constexpr const char* kUpgrade1To2 = R"sql(
DROP INDEX IF EXISTS entities_by_run;
DROP INDEX IF EXISTS decisions_by_run;
)sql";

/// Adds `column` to `table` unless it is there already (an upgrade from an older schema).
void addColumn(sqlite::Connection& db, const std::string& table, const std::string& column, const std::string& type) {
    if (db.queryInt("SELECT count(*) FROM pragma_table_info('" + table + "') WHERE name = '" + column + "'") == 0)
        db.exec("ALTER TABLE " + table + " ADD COLUMN " + column + " " + type);
}

std::string hex(int64_t v) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%08llx", static_cast<unsigned long long>(v));
    return text;
}

}  // namespace

int checkSchema(sqlite::Connection& db) {
    int64_t objects = 0, application = 0, version = 0;
    try {
        // The first read of the header: a file that is not a database fails here.
        objects = db.queryInt("SELECT count(*) FROM sqlite_master");
        application = db.queryInt("PRAGMA application_id");
        version = db.queryInt("PRAGMA user_version");
    } catch (const ProvenanceError&) {
        const std::string why = db.lastError();
        if (why.find("malformed") != std::string::npos)
            throw ProvenanceError(db.file() + ": the provenance database is damaged (" + why +
                                  "); `sqlite3 FILE .recover` may save what it holds");
        throw ProvenanceError(db.file() + ": not a provenance database: the file is not an SQLite database (" + why + ")");
    }
    if (application != 0 && application != kApplicationId)
        throw ProvenanceError(
            db.file() + ": not a provenance database: it belongs to another application (application_id " +
            hex(application) + ")");
    if (application == 0 && objects > 0)
        throw ProvenanceError(db.file() +
                              ": not a provenance database: it is an SQLite database with other tables");
    if (version > kSchemaVersion)
        throw ProvenanceError(db.file() + ": provenance schema version " + std::to_string(version) +
                              " is newer than this xdml understands (" + std::to_string(kSchemaVersion) +
                              "); use a newer xdml or another database file");
    if (application == kApplicationId && version < 1)
        throw ProvenanceError(db.file() + ": provenance database without a schema version");
    return static_cast<int>(version);
}

void configureConnection(sqlite::Connection& db) {
    // NORMAL in WAL mode: a commit is written to the log before COMMIT returns, and synced at
    // checkpoints; a process crash loses nothing committed, an OS crash may lose the last groups.
    db.exec("PRAGMA synchronous=NORMAL");
}

bool checkpointLog(sqlite::Connection& db) {
    // TRUNCATE also waits for readers, so the log is empty when it succeeds; its result row
    // says whether a reader kept it from finishing (busy = 1).
    sqlite::Statement s = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    return s.step() && s.columnInt(0) == 0;
}

void createSchema(sqlite::Connection& db) {
    // 16 KiB pages for a new file (an existing one keeps its own: SQLite ignores this then): a
    // group commit's appends to the tables and their indexes touch a quarter of the pages, and
    // the writer commits about a fifth more rows per second than with 4 KiB (bench/provenance).
    db.exec("PRAGMA page_size=16384");
    if (db.queryText("PRAGMA journal_mode=WAL") != "wal")
        throw ProvenanceError(db.file() +
                              ": cannot switch the provenance database to WAL mode "
                              "(is it on a file system without shared memory, such as NFS?)");
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::Write);
    // Checked again under the write lock: another process may have created it meanwhile.
    const int64_t version = db.queryInt("PRAGMA user_version");
    if (version == 0) {
        db.exec(kTables);
        db.exec(kDigestsTable);
        db.exec(kSiteStatusTable);
        db.exec(kLinkViews);
        db.exec(kIndexes);
        db.exec("PRAGMA application_id=" + std::to_string(kApplicationId));
        db.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    } else if (version <= kSchemaVersion) {
        // Schema 1 lacks it; so does a schema-2 file from before the column was added.
        addColumn(db, "runs", "workdir", "TEXT");
        // Schema 3 records where each activity ran (the MPI rank and its host).
        addColumn(db, "activities", "rank", "INTEGER NOT NULL DEFAULT 0");
        addColumn(db, "activities", "host", "TEXT");
        // Schema 4 records the code a Python task's call ran (its module's content hash).
        addColumn(db, "activities", "code", "TEXT");
        // Schema 5 records each site's status over time, and the xdmlc version of a run.
        db.exec(kSiteStatusTable);
        addColumn(db, "runs", "version", "TEXT");
        // Schema 6 keeps one link per row as columns, and reads the links through views.
        if (version < 6) {
            db.exec(kUpgrade5To6);
            addColumn(db, "entities", "generated_by", "INTEGER REFERENCES activities(id)");
            addColumn(db, "activities", "input", "INTEGER REFERENCES entities(id)");
            addColumn(db, "activities", "input_role", "TEXT");
        }
        db.exec(kLinkViews);  // IF NOT EXISTS: recreated when something dropped them
        if (version == 1) {
            db.exec(kUpgrade1To2);
            db.exec(kDigestsTable);
        }
        db.exec(kIndexes);  // the new ones; the others exist already
        db.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    }
    tx.commit();
}

}  // namespace xdml::runtime::prov
