// Sqlite.h — a small RAII face over the SQLite C API for the catalog store: one connection,
// its prepared statements and write transactions. Every failure becomes a CatalogError that
// names the database file. Not thread-safe: the owner serialises use of a connection.
#pragma once

#include "runtime/catalog/CatalogError.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

// Its own namespace: the provenance store may grow a wrapper with the same class names.
namespace xdml::runtime::catalog {

/// A double-quoted SQL identifier, so any catalog or field name is a valid table or column.
std::string quoteIdentifier(std::string_view name);

class Statement;

class Connection {
public:
    /// Opens (creating when missing) the file in WAL mode with synchronous=NORMAL and a busy
    /// timeout, so several connections, in this process or others, can share it. A file that
    /// is not an SQLite database is a CatalogError naming it.
    explicit Connection(const std::filesystem::path& file);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs SQL without results (several statements allowed).
    void exec(const std::string& sql);
    Statement prepare(const std::string& sql);
    /// Throws a CatalogError: "FILE: DOING: sqlite's message".
    [[noreturn]] void fail(const std::string& doing) const;
    const std::string& file() const { return file_; }
    /// The rowid of this connection's last successful INSERT.
    int64_t lastInsertRowid() const;
    sqlite3* handle() { return db_; }

private:
    std::string file_;
    sqlite3* db_ = nullptr;
};

/// A prepared statement. Text and blobs are bound without copying: they must outlive step().
class Statement {
public:
    Statement(Connection& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
    ~Statement();
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Parameters count from 1, as in SQLite.
    void bindNull(int i);
    void bindInt(int i, int64_t v);
    void bindDouble(int i, double v);
    void bindText(int i, std::string_view v);
    void bindBlob(int i, const void* data, std::size_t bytes);

    /// Runs to the next row: true when there is one, false when done.
    bool step();
    /// Makes the statement ready to run again and drops its bindings.
    void reset();

    // Columns count from 0, as in SQLite.
    int columnCount() const;
    bool isNull(int c) const;
    /// SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL.
    int columnType(int c) const;
    int64_t columnInt(int c) const;
    double columnDouble(int c) const;
    std::string columnText(int c) const;
    std::string_view columnBlob(int c) const;

private:
    void check(int rc, const char* doing);
    Connection* db_;
    sqlite3_stmt* stmt_;
};

/// A transaction that rolls back unless committed. A write transaction is BEGIN IMMEDIATE: it
/// takes the write lock at once (waiting up to the busy timeout), so two writers never
/// deadlock upgrading a read lock. A read transaction gives several queries one snapshot.
class Transaction {
public:
    enum class Mode { Read, Write };
    Transaction(Connection& db, Mode mode);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Connection& db_;
    bool open_ = true;
};

}  // namespace xdml::runtime::catalog
