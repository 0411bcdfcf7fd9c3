// LogCheckpointer.h — copies the provenance writer's log (the WAL) into the database on a
// thread of its own, so that the writer, the bound of a fast run, spends its thread on commits.
// SQLite did the copy inside the commit that filled the log to 1,000 pages (16 MiB): a tenth of
// the writer's time. SQLite starts a log over only when a write begins with every page of it
// copied, and the writer goes on committing while a pass copies, so once a pass is through the
// writer copies the pages committed since itself (a group's or two, not the log's): the log
// stays about as long as SQLite's own checkpoints kept it. A longer log cost more than the copy
// (4,000 pages: 1.18x the wall time of a no-op run).
//
// Guarantees: nothing committed is lost by a pass that fails (the log keeps it, and the next
// pass or the store's closing checkpoint copies it); the writer waits for a pass only when the
// log has grown to kMostPages.
#pragma once

#include "runtime/sqlite/Sqlite.h"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace xdml::runtime::prov {

class LogCheckpointer {
public:
    static constexpr int kPagesPerPass = 1000;            // SQLite's wal_autocheckpoint default
    static constexpr int kMostPages = 4 * kPagesPerPass;  // then the writer waits for the pass

    /// `writer`: the connection that commits (its automatic checkpoints stop here).
    LogCheckpointer(const std::filesystem::path& dbFile, sqlite::Connection& writer);
    ~LogCheckpointer();
    LogCheckpointer(const LogCheckpointer&) = delete;
    LogCheckpointer& operator=(const LogCheckpointer&) = delete;

    /// On the writer's thread, after each of its commits.
    void committed();

private:
    void passes();
    /// A PASSIVE checkpoint on `db`: it copies what it can without waiting for anyone.
    static void copyLog(sqlite::Connection& db);

    sqlite::Connection& writer_;
    sqlite::Connection own_;
    int logPages_ = 0;  // after the writer's last commit (written by its commit hook)

    std::mutex mutex_;
    std::condition_variable wake_, passEnded_;
    bool passWanted_ = false, passRunning_ = false, passThrough_ = false, stopping_ = false;
    std::thread thread_;  // last: it starts once everything above exists
};

}  // namespace xdml::runtime::prov
