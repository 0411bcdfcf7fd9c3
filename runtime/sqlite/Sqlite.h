// Sqlite.h — the runtime's one RAII face over the SQLite C API: a connection, its prepared
// statements and its transactions, shared by the catalog and the provenance store. Each module
// keeps its own error type and opening rules by handing the connection a ConnectionPolicy.
// Not thread-safe: the owner serialises use of a connection.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace xdml::runtime::sqlite {

/// Throws the owning module's error with `message`. It must not return.
using RaiseError = void (*)(const std::string& message);

/// The RaiseError that throws `Error(message)`: `&raiseAs<CatalogError>`.
template <class Error>
[[noreturn]] void raiseAs(const std::string& message) {
    throw Error(message);
}

/// How a module opens its databases and reports their failures.
struct ConnectionPolicy {
    RaiseError raise;
    /// What the file is, for messages: "catalog database".
    const char* role;
    /// How long a statement waits for another connection's lock before failing as busy.
    int busyTimeoutMs;
    /// Run once at open, or null. SQLite reads the header lazily, so these are where a file
    /// that is not a database shows first; a module that must inspect the file before
    /// writing it leaves them null.
    const char* pragmas = nullptr;
    /// Open for reading only: the file must exist, and it is never created or written
    /// (queries over a database another process may be writing, or one on a read-only disk).
    bool readOnly = false;
    /// With readOnly: the file is on a medium nothing writes (a read-only mount, an archive), so
    /// SQLite needs no -shm file and takes no locks (SQLite's immutable=1).
    bool immutable = false;
};

/// A double-quoted SQL identifier, so any catalog or field name is a valid table or column.
std::string quoteIdentifier(std::string_view name);

class Statement;

class Connection {
public:
    /// Opens the file read-write, creating it when missing (or, with policy.readOnly, an
    /// existing file for reading), then runs the policy's pragmas. Fails, naming the file,
    /// when it cannot be opened, when SQLite would only read a file the store must write, and
    /// when the pragmas find it is not an SQLite database.
    Connection(const std::filesystem::path& file, const ConnectionPolicy& policy);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs SQL without results (several statements allowed).
    void exec(const std::string& sql);
    Statement prepare(const std::string& sql);
    /// The first column of the first row of a query as an integer (0 when there is no row).
    int64_t queryInt(const std::string& sql);
    /// The first column of the first row of a query as text ("" when there is no row).
    std::string queryText(const std::string& sql);
    /// Whether a transaction is open on this connection (SQLite is not in autocommit mode).
    bool inTransaction() const;
    /// The rowid of this connection's last successful INSERT.
    int64_t lastInsertRowid() const;
    /// SQLite's message for the last failure on this connection.
    std::string lastError() const;
    /// In WAL mode: calls `committed(pages)` after each commit of this connection, with the
    /// pages the log then holds, on the committing thread. It must not throw. SQLite's
    /// automatic checkpoints stop: the caller checkpoints (sqlite3_wal_hook replaces them).
    /// An empty function removes the hook (and the automatic checkpoints stay off).
    void onCommitToLog(std::function<void(int pages)> committed);

    /// Raises the policy's error: "FILE: DOING: sqlite's message".
    [[noreturn]] void fail(const std::string& doing) const;
    /// Raises the policy's error: "FILE: " + what.
    [[noreturn]] void raise(const std::string& what) const;
    const std::string& file() const { return file_; }

private:
    friend class Transaction;  // rolls back in its destructor, where nothing may throw
    std::string file_;
    RaiseError raise_;
    sqlite3* db_ = nullptr;
    std::function<void(int)> committedToLog_;
};

/// A prepared statement, meant to be reused. Text and blobs are bound without copying: they
/// must outlive the step that uses them.
class Statement {
public:
    Statement(const Connection& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
    ~Statement();
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Parameters count from 1, as in SQLite.
    void bindNull(int i);
    void bindInt(int i, int64_t v);
    void bindDouble(int i, double v);
    void bindText(int i, std::string_view v);
    /// Empty text is bound as NULL, for stores where "" means "not known".
    void bindTextOrNull(int i, std::string_view v);
    /// A negative id is bound as NULL: no such row.
    void bindId(int i, int64_t id);
    void bindBlob(int i, const void* data, std::size_t bytes);

    /// Runs to the next row: true when there is one, false when done.
    bool step();
    /// Runs a statement that returns no rows, then makes it ready to run again.
    void run();
    /// Makes the statement ready to run again and drops its bindings.
    void reset();
    /// run() for a caller that binds every parameter before each run: the bindings stay, and
    /// the caller drops them (clearBindings) before the text they point to goes.
    void runKeepingBindings();
    void clearBindings();

    // Columns count from 0, as in SQLite.
    int columnCount() const;
    std::string columnName(int c) const;
    bool isNull(int c) const;
    /// SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL.
    int columnType(int c) const;
    int64_t columnInt(int c) const;
    double columnDouble(int c) const;
    std::string columnText(int c) const;
    std::string_view columnBlob(int c) const;

private:
    void check(int rc) const;
    const Connection* db_;
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

}  // namespace xdml::runtime::sqlite
