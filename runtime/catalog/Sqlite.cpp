// Sqlite.cpp — see Sqlite.h.
#include "runtime/catalog/Sqlite.h"

#include <sqlite3.h>

namespace xdml::runtime::catalog {

namespace {
// Long enough for a burst of worker threads or another process to finish their commits; a
// commit in WAL mode with synchronous=NORMAL takes well under a millisecond.
constexpr int kBusyTimeoutMs = 60000;
}  // namespace

std::string quoteIdentifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

Connection::Connection(const std::filesystem::path& file) : file_(file.string()) {
    // NOMUTEX: the owner serialises use of the connection, so SQLite's own mutex is redundant.
    int rc = sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw CatalogError(file_ + ": cannot open the catalog database: " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // SQLite reads the header lazily: the first statement is where a foreign file shows.
    char* message = nullptr;
    rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string why = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        bool notADatabase = (rc & 0xff) == SQLITE_NOTADB;
        sqlite3_close_v2(db_);
        db_ = nullptr;
        if (notADatabase) throw CatalogError(file_ + ": not an SQLite database (" + why + ")");
        throw CatalogError(file_ + ": cannot open the catalog database: " + why);
    }
}

Connection::~Connection() {
    // close_v2 defers the close until every statement is finalised, whatever the member order.
    if (db_) sqlite3_close_v2(db_);
}

void Connection::fail(const std::string& doing) const {
    throw CatalogError(file_ + ": " + doing + ": " + sqlite3_errmsg(db_));
}

int64_t Connection::lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

void Connection::exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string why = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw CatalogError(file_ + ": " + why + " (in: " + sql + ")");
    }
}

Statement Connection::prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
        throw CatalogError(file_ + ": " + sqlite3_errmsg(db_) + " (in: " + sql + ")");
    return Statement(*this, stmt);
}

Statement::~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

void Statement::check(int rc, const char* doing) {
    if (rc != SQLITE_OK) db_->fail(doing);
}

void Statement::bindNull(int i) { check(sqlite3_bind_null(stmt_, i), "binding a value"); }
void Statement::bindInt(int i, int64_t v) { check(sqlite3_bind_int64(stmt_, i, v), "binding a value"); }
void Statement::bindDouble(int i, double v) { check(sqlite3_bind_double(stmt_, i, v), "binding a value"); }

void Statement::bindText(int i, std::string_view v) {
    check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8), "binding a value");
}

void Statement::bindBlob(int i, const void* data, std::size_t bytes) {
    // A null pointer would bind NULL: an empty tensor is an empty blob, not a missing value.
    if (bytes == 0) check(sqlite3_bind_zeroblob(stmt_, i, 0), "binding a value");
    else check(sqlite3_bind_blob64(stmt_, i, data, bytes, SQLITE_STATIC), "binding a value");
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string why = sqlite3_errmsg(db_->handle());
    reset();  // leaves the statement reusable after, say, a constraint failure
    throw CatalogError(db_->file() + ": " + why);
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    // Text and blobs are bound without copying: drop the pointers before their owners go.
    sqlite3_clear_bindings(stmt_);
}

int Statement::columnCount() const { return sqlite3_column_count(stmt_); }
bool Statement::isNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
int Statement::columnType(int c) const { return sqlite3_column_type(stmt_, c); }
int64_t Statement::columnInt(int c) const { return sqlite3_column_int64(stmt_, c); }
double Statement::columnDouble(int c) const { return sqlite3_column_double(stmt_, c); }

std::string Statement::columnText(int c) const {
    const unsigned char* text = sqlite3_column_text(stmt_, c);
    return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, c)) : std::string();
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
    // A failed COMMIT may already have ended the transaction; ROLLBACK then fails harmlessly.
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace xdml::runtime::catalog
