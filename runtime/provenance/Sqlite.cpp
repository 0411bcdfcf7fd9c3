// Sqlite.cpp — the SQLite calls behind Connection, Statement and WriteTransaction, each turning
// an error code into a ProvenanceError that names the file.
#include "runtime/provenance/Sqlite.h"

#include <sqlite3.h>

#include <cstring>

namespace xdml::runtime::prov {

namespace {
// Long enough to outlast a checkpoint or another process's group commit, short enough that a
// database locked for good is reported rather than hanging the run.
constexpr int kBusyTimeoutMs = 10000;
}  // namespace

Connection::Connection(const std::filesystem::path& file) : file_(file.string()) {
    // NOMUTEX: each connection belongs to one thread at a time, so SQLite's own locking is waste.
    int rc = sqlite3_open_v2(file_.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        if (int err = db_ ? sqlite3_system_errno(db_) : 0) why += ": " + std::string(std::strerror(err));
        sqlite3_close(db_);
        db_ = nullptr;
        throw ProvenanceError(file_ + ": cannot open or create the provenance database (" + why + ")");
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // SQLite falls back to read-only when it may not write the file; a store must write.
    if (sqlite3_db_readonly(db_, "main") == 1) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw ProvenanceError(file_ + ": the provenance database is read-only");
    }
}

Connection::~Connection() {
    sqlite3_close_v2(db_);
}

void Connection::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string why = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw ProvenanceError(file_ + ": " + why + " (in: " + std::string(sql).substr(0, 60) + ")");
    }
}

Statement Connection::prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
        fail(std::string("preparing ") + std::string(sql).substr(0, 60));
    return Statement(*this, stmt);
}

int64_t Connection::queryInt(const char* sql) {
    Statement s = prepare(sql);
    return s.step() ? s.columnInt(0) : 0;
}

std::string Connection::queryText(const char* sql) {
    Statement s = prepare(sql);
    return s.step() ? s.columnText(0) : std::string();
}

int64_t Connection::lastInsertId() const {
    return sqlite3_last_insert_rowid(db_);
}

std::string Connection::lastError() const {
    return sqlite3_errmsg(db_);
}

void Connection::fail(const std::string& doing) const {
    throw ProvenanceError(file_ + ": " + doing + ": " + sqlite3_errmsg(db_));
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

void Statement::bindInt(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
}
void Statement::bindDouble(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
}
void Statement::bindNull(int i) {
    sqlite3_bind_null(stmt_, i);
}

void Statement::bindText(int i, std::string_view v) {
    if (v.empty())
        sqlite3_bind_null(stmt_, i);
    else
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void Statement::bindRequiredText(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void Statement::bindId(int i, int64_t id) {
    if (id < 0)
        sqlite3_bind_null(stmt_, i);
    else
        sqlite3_bind_int64(stmt_, i, id);
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string sql = sqlite3_sql(stmt_);
    sqlite3_reset(stmt_);
    db_->fail("running " + sql.substr(0, 60));
}

void Statement::run() {
    step();
    sqlite3_reset(stmt_);
}

void Statement::reset() {
    sqlite3_reset(stmt_);
}

int64_t Statement::columnInt(int c) const {
    return sqlite3_column_int64(stmt_, c);
}

std::string Statement::columnText(int c) const {
    const unsigned char* text = sqlite3_column_text(stmt_, c);
    return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, c)) : "";
}

WriteTransaction::WriteTransaction(Connection& db) : db_(db) {
    db_.exec("BEGIN IMMEDIATE");
}

WriteTransaction::~WriteTransaction() {
    if (!open_) return;
    try {
        db_.exec("ROLLBACK");
    } catch (const ProvenanceError&) {
        // SQLite may already have rolled back (on SQLITE_FULL, for one); nothing is left open.
    }
}

void WriteTransaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace xdml::runtime::prov
