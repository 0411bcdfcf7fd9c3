// Sqlite.h — the provenance store's thin RAII face over the SQLite C API: a connection, its
// prepared statements and write transactions. Every failure is a ProvenanceError that names
// the database file. A connection is used by one thread at a time; the store gives the
// writer thread a connection of its own.
#pragma once

#include "runtime/provenance/ProvenanceError.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace xdml::runtime::prov {

class Statement;

class Connection {
public:
    /// Opens the file read-write, creating it when missing; a busy timeout lets the store's two
    /// connections (and readers in other processes) wait for each other instead of failing.
    explicit Connection(const std::filesystem::path& file);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs SQL without results (several statements allowed).
    void exec(const char* sql);
    Statement prepare(const char* sql);
    /// The first column of the first row of a query as an integer (0 when there is no row).
    int64_t queryInt(const char* sql);
    /// The first column of the first row of a query as text ("" when there is no row).
    std::string queryText(const char* sql);
    int64_t lastInsertId() const;
    /// SQLite's message for the last failure on this connection.
    std::string lastError() const;

    /// Throws "FILE: DOING: sqlite's message".
    [[noreturn]] void fail(const std::string& doing) const;
    const std::string& file() const { return file_; }

private:
    std::string file_;
    sqlite3* db_ = nullptr;
};

/// A prepared statement, reused across groups. Text is bound without copying: the string must
/// outlive the step that uses it (the writer binds from the group it is writing).
class Statement {
public:
    Statement(const Connection& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
    ~Statement();
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Parameters count from 1, as in SQLite.
    void bindInt(int i, int64_t v);
    void bindDouble(int i, double v);
    /// Empty text is bound as NULL: the store's rule for "not known".
    void bindText(int i, std::string_view v);
    /// Text for a NOT NULL column: empty stays '', so caller data can never fail a group.
    void bindRequiredText(int i, std::string_view v);
    /// A negative id is bound as NULL.
    void bindId(int i, int64_t id);
    void bindNull(int i);

    /// Runs to the next row: true when there is one.
    bool step();
    /// Runs a statement that returns no rows, then makes it ready to run again.
    void run();
    void reset();

    // Columns count from 0, as in SQLite.
    int64_t columnInt(int c) const;
    std::string columnText(int c) const;

private:
    const Connection* db_;
    sqlite3_stmt* stmt_;
};

/// BEGIN IMMEDIATE ... COMMIT: takes the write lock at once (waiting up to the busy timeout),
/// so two connections never deadlock upgrading a read lock. Rolls back unless committed.
class WriteTransaction {
public:
    explicit WriteTransaction(Connection& db);
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    void commit();

private:
    Connection& db_;
    bool open_ = true;
};

}  // namespace xdml::runtime::prov
