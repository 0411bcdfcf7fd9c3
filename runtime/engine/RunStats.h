// RunStats.h — the counters a run measures (`xdmlc run --stats-json`), updated from many
// threads without locks on the hot path (each a Counter: a slot per thread, summed when read).
#pragma once

#include "runtime/engine/Counter.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace xdml::runtime {

struct StreamCounters {
    Counter items, malformed;
    /// Times the source lost track of its input (a watch's lost events, its folder gone), and
    /// items it found again by looking (a watch's rescans).
    Counter gaps, recovered;
    std::atomic<bool> ended{false};
};

struct HandlerCounters {
    Counter firings, failed;
};

class RunStats {
public:
    Counter movedBytes, writtenBytes, writtenFileBytes, transfers;
    Counter tasksRun, tasksFailed, retries, deadlineMisses, startMisses;
    Counter records, emits, logs, droppedItems, relocations;
    /// Emitted items that found their stream ended: an `on end of` handler or a last `every N`
    /// group emitting back into its own cycle (anything else is a bug); the run then fails.
    Counter lostItems;
    /// Items a cycle of emits made after the run was stopped: a stop closes the cycle (else a
    /// stream that feeds itself would never end), and what its last firings emit is not handled.
    Counter unhandledAfterStop;
    Counter expressionsEvaluated;  // by handlers' and tasks' bodies
    /// Requests submitted to sites' executors: a handler's task calls and fused chains (the
    /// calls inside a task or a chain run in place, and are not requests).
    Counter requests;
    /// Resume (ResumeLedger.h): task calls whose kept outcome was reused instead of run, source
    /// items skipped as fully handled by the resumed run, and writes of the resume log that
    /// failed (the run then fails: a resume would redo that work).
    Counter reusedTasks, resumedItems, resumeLogFailures;

    StreamCounters& stream(const std::string& name);
    HandlerCounters& handler(int id);
    /// Every counter, for --stats-json and the provenance run row.
    nlohmann::json toJson(double seconds) const;
    /// Streams and handlers by name and id, for the progress display.
    std::map<std::string, const StreamCounters*> streams() const;
    std::map<int, const HandlerCounters*> handlers() const;
    /// A stream whose source may have lost items for good, and why: the run cannot succeed.
    void mayHaveMissed(const std::string& stream, const std::string& why);
    /// Each such stream and the first reason it gave.
    std::map<std::string, std::string> missed() const;

private:
    mutable std::mutex mutex_;  // guards the maps, not the counters
    std::map<std::string, std::unique_ptr<StreamCounters>> streams_;
    std::map<int, std::unique_ptr<HandlerCounters>> handlers_;
    std::map<std::string, std::string> missed_;
};

}  // namespace xdml::runtime
