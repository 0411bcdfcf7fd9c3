// CatalogStore.h — a catalog (LANGUAGE.md §3, `catalog NAME: T at "file.db"`): a persistent
// SQLite table, named after the catalog, of records of type T, one column per field in order.
//
// Layout (for readers with plain SQLite, and for replay):
// - column types as ColumnCodec.h describes (INTEGER, REAL, TEXT, BLOB, `duration REAL`, JSON
//   TEXT for records and lists); a field that is not optional is NOT NULL;
// - the sidecar `xdml_columns(catalog, column, type)` gives each column's XDML type as text
//   (`tensor<f32>[64, 64]`, `duration`, `int?`), which is what decodes a blob back into a tensor;
// - a tensor field with a `?` dimension also records each row's shape in
//   `xdml_shapes(catalog, column, row, dims)` (`row` is the rowid, `dims` JSON like [3, 64]).
//   The catalog table has no INTEGER PRIMARY KEY, so a VACUUM could renumber rowids and break
//   that link: do not VACUUM catalogs that hold run-time-shaped tensors;
// - the sidecar `xdml_lineage` (RowLineage.h) gives each row recorded by a run with provenance
//   its run, activity and source entity, again by rowid;
// - after the record's fields, the column `run` (LANGUAGE.md §9): the provenance run id of the
//   row's `record` (NULL for a run without provenance), indexed, so the rows of runs that share
//   a work directory can be told apart. A table made before it had the column gets it when it
//   is opened, filled from xdml_lineage where that knows the run.
//
// Several catalogs may share a file (each its own table) and several stores may be open on the
// same file: each store has its own connection (WAL, synchronous=NORMAL, a busy timeout).
// record(), count() and rows() may be called from any thread.
#pragma once

#include "runtime/catalog/CatalogError.h"
#include "runtime/catalog/ColumnCodec.h"
#include "runtime/catalog/ColumnTypes.h"
#include "runtime/provenance/Records.h"
#include "runtime/sqlite/Sqlite.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace xdml::runtime {

/// The column after the record's fields that holds each row's provenance run id.
inline constexpr const char* kRunColumn = "run";

class CatalogStore {
public:
    /// Opens the catalog `table` in `dbFile` (created with its folders when missing) for
    /// records of `recordType`, a record type or a name for one. Named types, at any depth,
    /// are resolved with `structure` (e.g. Program::structure); it may be empty when the type
    /// is already fully resolved. A table left by an earlier run is appended to when its
    /// columns are the declared fields (names and types, in order). Throws CatalogError, naming
    /// the file and the table: not a database; columns that differ ("stills.db: table stills
    /// has columns (name, score) but the catalog declares (name, score, x)"); a type a catalog
    /// cannot store.
    static std::unique_ptr<CatalogStore> open(std::filesystem::path dbFile, std::string table, TypeDesc recordType,
                                              const TypeResolver& structure = {});
    /// The record type of catalog `table` as `dbFile`'s sidecar describes it (fields in column
    /// order), for a reader without the flow (`xdmlc catalog export`); nullopt when the file has
    /// no such catalog. Throws CatalogError for a file that is not a database.
    static std::optional<TypeDesc> storedType(const std::filesystem::path& dbFile, const std::string& table);
    ~CatalogStore();
    CatalogStore(const CatalogStore&) = delete;
    CatalogStore& operator=(const CatalogStore&) = delete;

    /// Appends one record: durable when this returns (against a crash of the process; WAL with
    /// synchronous=NORMAL may lose the last commits on power loss). Records from other threads
    /// that arrive while a commit is under way share the next one (group commit); a record
    /// whose group fails is tried again alone, so each caller gets its own row or error.
    /// Fields are taken by name; numbers widen to the declared type. A record that does not fit
    /// the declared type is a CatalogError naming the field, and writes nothing. With `origin`,
    /// the row's lineage is committed in the same transaction. Returns the row's rowid.
    int64_t record(const Value& rec, const prov::RecordOrigin* origin = nullptr);
    /// The run whose rows count() counts and record() stamps in the `run` column: the run's
    /// provenance id, or 0 for a run without provenance (its rows are the ones this store records).
    /// `resumed`: the runs it resumes (--resume), whose rows kept by the resume count too.
    void setRun(int64_t run, const std::vector<int64_t>& resumed = {});
    /// The number of rows of this run (`count(catalog)`, LANGUAGE.md §9).
    int64_t count() const;
    /// The number of rows of every run, including those written by other connections.
    int64_t countAll() const;
    /// The transactions record() has committed on this store (fewer than its records when
    /// records arrived together and shared one), and the records waiting for one now.
    int64_t commits() const { return commits_.load(); }
    std::size_t waitingForCommit() const;
    /// Every row (or the rows of provenance run `run`), in insertion order, as record values
    /// decoded with the sidecar's types; with `withRun`, each with a last field `run` (an int,
    /// or none for a run without provenance).
    std::vector<Value> rows(std::optional<int64_t> run = std::nullopt, bool withRun = false) const;

    const std::filesystem::path& file() const { return file_; }
    const std::string& table() const { return table_; }
    /// The declared record type with every named type resolved.
    const TypeDesc& recordType() const { return type_; }

private:
    /// A record waiting for its group's commit: filled by the thread that commits the group.
    struct PendingRecord {
        std::vector<catalog::Cell> cells;
        const prov::RecordOrigin* origin = nullptr;
        int64_t row = 0;
        std::exception_ptr error;
        bool done = false;   // committed, or failed with `error`
        bool leads = false;  // commits the records waiting, its own among them
        std::condition_variable wake;
    };
    CatalogStore(std::filesystem::path file, std::string table, TypeDesc type);
    /// Inserts one record's rows inside the open transaction; returns its rowid (mutex_ held).
    int64_t insertRow(const PendingRecord& record);
    /// Commits `group` in one transaction, or each record alone when that fails.
    void commitGroup(const std::vector<PendingRecord*>& group);
    /// Commits `records` in one transaction (mutex_ held). When it fails, each record carries
    /// the error; returns whether it failed after taking the write lock (worth a retry alone).
    bool commitTogether(const std::vector<PendingRecord*>& records);
    void createOrCheckTable();
    /// Adds the `run` column to a table made before it existed; `fill` sets it from lineage.
    void addRunColumn(bool fill);
    /// Throws a CatalogError "FILE: table NAME" + what.
    [[noreturn]] void fail(const std::string& what) const;

    const std::filesystem::path file_;
    const std::string table_;
    const TypeDesc type_;
    std::vector<std::size_t> shapedColumns_;  // fields holding tensors with `?` dimensions

    mutable std::mutex mutex_;  // guards the connection and its statements
    std::unique_ptr<sqlite::Connection> db_;
    // Declared after db_, so they are finalised before it closes.
    std::optional<sqlite::Statement> insert_, insertShape_, insertOrigin_;
    mutable std::optional<sqlite::Statement> count_, countOfRun_;
    int64_t run_ = 0;
    std::atomic<int64_t> recordedHere_{0};
    std::atomic<int64_t> commits_{0};
    // Group commit: the records waiting for the next commit, and whether one is under way.
    mutable std::mutex groupMutex_;
    std::vector<PendingRecord*> waiting_;
    bool committing_ = false;
};

}  // namespace xdml::runtime
