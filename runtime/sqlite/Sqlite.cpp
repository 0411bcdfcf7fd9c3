// Sqlite.cpp — the SQLite calls behind Connection, Statement and Transaction, each turning an
// error code into the owning module's error, naming the file.
#include "runtime/sqlite/Sqlite.h"

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace xdml::runtime::sqlite {

namespace {
// Enough of a statement to recognise it in a message; a schema script would bury the cause.
std::string excerpt(std::string_view sql) {
    constexpr std::size_t kMaxChars = 60;
    return sql.size() <= kMaxChars ? std::string(sql) : std::string(sql.substr(0, kMaxChars)) + "...";
}

// SQLite counts every allocation it makes under one process-wide mutex (SQLITE_CONFIG_MEMSTATUS,
// on by default) for sqlite3_memory_used(), which nothing here asks. The provenance writer, the
// catalogs and the readers allocate on their own threads at once, so the count was a lock per
// malloc and per free, taken by all of them. Set before the first connection initialises SQLite;
// after that SQLite refuses the call (SQLITE_MISUSE) and keeps counting, which is only slower.
void configureLibraryOnce() {
    static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)configured;
}
}  // namespace

std::string quoteIdentifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

Connection::Connection(const std::filesystem::path& file, const ConnectionPolicy& policy)
    : file_(file.string()), raise_(policy.raise) {
    const std::string role = policy.role;
    // A constructor that throws runs no destructor: close the handle before raising.
    auto refuse = [this](const std::string& what) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        raise(what);
    };
    configureLibraryOnce();
    // NOMUTEX: the owner serialises use of the connection, so SQLite's own mutex is waste.
    const int mode = policy.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = 0;
    if (policy.readOnly && policy.immutable) {
        // A URI, so the immutable flag can be given; the path's own ?, # and % are escaped.
        std::string uri = "file:";
        for (char c : file_) {
            if (c == '?' || c == '#' || c == '%') {
                char escaped[4];
                std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
                uri += escaped;
            } else {
                uri += c;
            }
        }
        uri += "?immutable=1";
        rc = sqlite3_open_v2(uri.c_str(), &db_, mode | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
    } else {
        rc = sqlite3_open_v2(file_.c_str(), &db_, mode | SQLITE_OPEN_NOMUTEX, nullptr);
    }
    if (rc != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        if (int err = db_ ? sqlite3_system_errno(db_) : 0) why += ": " + std::string(std::strerror(err));
        refuse("cannot open the " + role + ": " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, policy.busyTimeoutMs);
    // SQLite falls back to read-only when it may not write the file; every user here writes.
    if (!policy.readOnly && sqlite3_db_readonly(db_, "main") == 1) refuse("the " + role + " is read-only");
    if (!policy.pragmas) return;
    char* message = nullptr;
    rc = sqlite3_exec(db_, policy.pragmas, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string why = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        refuse((rc & 0xff) == SQLITE_NOTADB ? "not an SQLite database (" + why + ")"
                                            : "cannot open the " + role + ": " + why);
    }
}

Connection::~Connection() {
    // close_v2 defers the close until every statement is finalised, whatever the member order.
    if (db_) sqlite3_close_v2(db_);
}

void Connection::raise(const std::string& what) const {
    raise_(file_ + ": " + what);
    std::abort();  // a RaiseError that returns is a bug: the caller cannot go on after a failure
}

void Connection::fail(const std::string& doing) const {
    raise(doing + ": " + sqlite3_errmsg(db_));
}

void Connection::exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        fail("running " + excerpt(sql));
}

Statement Connection::prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    // PERSISTENT: statements are kept and reused, so SQLite keeps them out of its lookaside.
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK)
        fail("preparing " + excerpt(sql));
    return Statement(*this, stmt);
}

int64_t Connection::queryInt(const std::string& sql) {
    Statement s = prepare(sql);
    return s.step() ? s.columnInt(0) : 0;
}

std::string Connection::queryText(const std::string& sql) {
    Statement s = prepare(sql);
    return s.step() ? s.columnText(0) : std::string();
}

bool Connection::inTransaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

void Connection::onCommitToLog(std::function<void(int)> committed) {
    committedToLog_ = std::move(committed);
    if (!committedToLog_) {
        sqlite3_wal_hook(db_, nullptr, nullptr);
        return;
    }
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3*, const char*, int pages) {
            static_cast<Connection*>(self)->committedToLog_(pages);
            return SQLITE_OK;
        },
        this);
}

int64_t Connection::lastInsertRowid() const {
    return sqlite3_last_insert_rowid(db_);
}

std::string Connection::lastError() const {
    return sqlite3_errmsg(db_);
}

Statement::~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

void Statement::check(int rc) const {
    if (rc != SQLITE_OK) db_->fail("binding a value");
}

void Statement::bindNull(int i) {
    check(sqlite3_bind_null(stmt_, i));
}
void Statement::bindInt(int i, int64_t v) {
    check(sqlite3_bind_int64(stmt_, i, v));
}
void Statement::bindDouble(int i, double v) {
    check(sqlite3_bind_double(stmt_, i, v));
}

void Statement::bindText(int i, std::string_view v) {
    check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::bindTextOrNull(int i, std::string_view v) {
    if (v.empty())
        bindNull(i);
    else
        bindText(i, v);
}

void Statement::bindId(int i, int64_t id) {
    if (id < 0)
        bindNull(i);
    else
        bindInt(i, id);
}

void Statement::bindBlob(int i, const void* data, std::size_t bytes) {
    // A null pointer would bind NULL: an empty tensor is an empty blob, not a missing value.
    if (bytes == 0)
        check(sqlite3_bind_zeroblob(stmt_, i, 0));
    else
        check(sqlite3_bind_blob64(stmt_, i, data, bytes, SQLITE_STATIC));
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const std::string doing = "running " + excerpt(sqlite3_sql(stmt_));
    const std::string why = sqlite3_errmsg(sqlite3_db_handle(stmt_));
    reset();  // leaves the statement reusable after, say, a constraint failure
    db_->raise(doing + ": " + why);
}

void Statement::run() {
    runKeepingBindings();
    clearBindings();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    // Text and blobs are bound without copying: drop the pointers before their owners go.
    clearBindings();
}

void Statement::runKeepingBindings() {
    step();
    sqlite3_reset(stmt_);
}

void Statement::clearBindings() {
    sqlite3_clear_bindings(stmt_);
}

int Statement::columnCount() const {
    return sqlite3_column_count(stmt_);
}

std::string Statement::columnName(int c) const {
    const char* name = sqlite3_column_name(stmt_, c);
    return name ? name : "";
}
bool Statement::isNull(int c) const {
    return sqlite3_column_type(stmt_, c) == SQLITE_NULL;
}
int Statement::columnType(int c) const {
    return sqlite3_column_type(stmt_, c);
}
int64_t Statement::columnInt(int c) const {
    return sqlite3_column_int64(stmt_, c);
}
double Statement::columnDouble(int c) const {
    return sqlite3_column_double(stmt_, c);
}

std::string Statement::columnText(int c) const {
    const unsigned char* text = sqlite3_column_text(stmt_, c);
    return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, c))
                : std::string();
}

std::string_view Statement::columnBlob(int c) const {
    const void* data = sqlite3_column_blob(stmt_, c);
    std::size_t bytes = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c));
    return data ? std::string_view(static_cast<const char*>(data), bytes) : std::string_view();
}

Transaction::Transaction(Connection& db, Mode mode) : db_(db) {
    db_.exec(mode == Mode::Write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
    if (!open_) return;
    // A failed COMMIT, or SQLITE_FULL, may already have ended the transaction; ROLLBACK then
    // fails harmlessly, and a destructor must not throw.
    sqlite3_exec(db_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace xdml::runtime::sqlite
