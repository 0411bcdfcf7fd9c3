// CaptureQueue.h — keeps the database off the critical path: callers append records to an
// in-memory batch under a short lock, and a writer thread commits what has gathered as one
// group every `interval` (or as soon as `groupRecords` are waiting, or a flush asks).
//
// Guarantees: records are committed in the order they were appended; flush() returns once
// everything appended before it is committed (or lost, which it then reports); a failed
// group is never dropped silently — its records are counted and the next flush() or close()
// reports them. When the writer falls behind by `maxPending` records, append() waits for it
// (backpressure) rather than let memory grow without bound.
#pragma once

#include "runtime/provenance/Batch.h"
#include "runtime/provenance/GroupWriter.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace xdml::runtime::prov {

/// How the writer groups records; the defaults suit a run, tests shrink them.
struct CaptureSettings {
    std::chrono::milliseconds interval{20};  // the longest a record waits before its group commits
    // A group this large commits without waiting. Every commit rewrites the last page of each
    // table and index, so smaller groups cost CPU when the writer keeps up (a distributed run).
    std::size_t groupRecords = 8192;
    // Appends wait while this many are uncommitted: about 1,800 no-op tasks' worth. When the
    // writer is the bound, records made further ahead only take CPU from it, and a group of
    // them is colder in the cache when it is written (docs/runtime.md, "The capture backlog").
    std::size_t maxPending = 1 << 14;
};

/// What the writer has done so far.
struct CaptureCounters {
    uint64_t records = 0;  // committed
    uint64_t groups = 0;   // committed transactions
    uint64_t lost = 0;     // records in groups that failed to commit
    uint64_t stalls = 0;   // appends that waited for the writer (backpressure)
};

class CaptureQueue {
public:
    CaptureQueue(std::unique_ptr<GroupWriter> writer, std::string dbFile, CaptureSettings settings);
    /// Closes, reporting a loss nobody collected on stderr: a destructor cannot throw.
    ~CaptureQueue();
    CaptureQueue(const CaptureQueue&) = delete;
    CaptureQueue& operator=(const CaptureQueue&) = delete;

    /// Runs `fill(batch)` under the lock, where it adds exactly `records` records, and returns
    /// what fill returns. Inline: this is the whole cost of a capture on the caller's thread.
    template <class Fill>
    auto append(Fill&& fill, std::size_t records = 1) {
        std::unique_lock lock(mutex_);
        if (pending_.records >= settings_.maxPending) waitForRoom(lock);
        auto result = fill(pending_);
        appended_ += records;
        const std::size_t before = pending_.records;
        pending_.records += records;
        // Wake the writer for the first record of a group (it sleeps while there is none) and
        // when a group is full; every other append costs no system call.
        if (before == 0 || (before < settings_.groupRecords && pending_.records >= settings_.groupRecords))
            wake_.notify_one();
        return result;
    }

    /// Waits until every record appended so far is committed. Throws a ProvenanceError when
    /// groups were lost since the last report.
    void flush();
    /// Commits what is pending, stops the writer and returns the unreported loss ("" if none).
    std::string close();
    CaptureCounters counters() const;

private:
    void waitForRoom(std::unique_lock<std::mutex>& lock);
    void writeGroups();
    std::string takeLossReport();

    std::unique_ptr<GroupWriter> writer_;
    std::string dbFile_;
    CaptureSettings settings_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;       // the writer waits here for records
    std::condition_variable committed_;  // flushes wait here for the writer
    std::condition_variable roomMade_;   // stalled appends wait here
    Batch pending_;                      // filled by callers
    Batch writing_;                      // being committed by the writer (no lock needed)
    uint64_t appended_ = 0;              // records appended so far
    uint64_t settled_ = 0;               // of those, committed or lost
    uint64_t flushWanted_ = 0;           // a flush waits for records up to this one
    bool stopping_ = false;
    CaptureCounters counters_;
    uint64_t unreportedRecords_ = 0, unreportedGroups_ = 0;
    std::string firstError_;
    std::thread thread_;  // last: it starts once everything above exists
};

}  // namespace xdml::runtime::prov
