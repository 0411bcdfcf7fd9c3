// LogCheckpointer.cpp — see LogCheckpointer.h.
#include "runtime/provenance/LogCheckpointer.h"

#include "runtime/provenance/Schema.h"

namespace xdml::runtime::prov {

LogCheckpointer::LogCheckpointer(const std::filesystem::path& dbFile, sqlite::Connection& writer)
    : writer_(writer), own_(dbFile, kConnectionPolicy) {
    configureConnection(own_);  // a pass syncs the log and the database as the writer's did
    writer_.onCommitToLog([this](int pages) { logPages_ = pages; });
    thread_ = std::thread([this] { passes(); });
}

LogCheckpointer::~LogCheckpointer() {
    writer_.onCommitToLog({});  // its commits, if any, no longer reach this
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void LogCheckpointer::copyLog(sqlite::Connection& db) {
    try {
        db.exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const std::exception&) {
        // The log still holds every page: the next pass, or the store's closing checkpoint,
        // copies them (SQLite's own automatic checkpoints ignore their failures too).
    }
}

void LogCheckpointer::committed() {
    std::unique_lock lock(mutex_);
    if (passRunning_) {
        if (logPages_ < kMostPages) return;
        passEnded_.wait(lock, [&] { return !passRunning_; });  // it falls behind: wait for it
    }
    if (passThrough_) {
        // The pass is through; the pages committed while it copied are copied here, so the
        // next group starts the log over.
        passThrough_ = false;
        lock.unlock();
        copyLog(writer_);
        return;
    }
    if (logPages_ < kPagesPerPass) return;
    passWanted_ = passRunning_ = true;
    lock.unlock();
    wake_.notify_one();
}

void LogCheckpointer::passes() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return passWanted_ || stopping_; });
        if (stopping_) return;
        passWanted_ = false;
        lock.unlock();
        copyLog(own_);
        lock.lock();
        passRunning_ = false;
        passThrough_ = true;
        passEnded_.notify_all();
    }
}

}  // namespace xdml::runtime::prov
