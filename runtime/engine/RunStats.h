// RunStats.h — the counters a run measures (`xdmlc run --stats-json`), updated from many
// threads without locks on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace xdml::runtime {

struct StreamCounters {
    std::atomic<uint64_t> items{0}, malformed{0}, queued{0};
    /// Times the source lost track of its input (a watch's lost events, its folder gone), and
    /// items it found again by looking (a watch's rescans).
    std::atomic<uint64_t> gaps{0}, recovered{0};
    std::atomic<bool> ended{false};
};

struct HandlerCounters {
    std::atomic<uint64_t> firings{0}, failed{0}, running{0};
};

class RunStats {
public:
    std::atomic<uint64_t> movedBytes{0}, writtenBytes{0}, writtenFileBytes{0}, transfers{0};
    std::atomic<uint64_t> tasksRun{0}, tasksFailed{0}, retries{0}, deadlineMisses{0}, startMisses{0};
    std::atomic<uint64_t> records{0}, emits{0}, logs{0}, droppedItems{0}, relocations{0};
    /// Emitted items that found their stream ended: an `on end of` handler or a last `every N`
    /// group emitting back into its own cycle (anything else is a bug); the run then fails.
    std::atomic<uint64_t> lostItems{0};
    /// Items a cycle of emits made after the run was stopped: a stop closes the cycle (else a
    /// stream that feeds itself would never end), and what its last firings emit is not handled.
    std::atomic<uint64_t> unhandledAfterStop{0};
    std::atomic<uint64_t> expressionsEvaluated{0};  // by handlers' and tasks' bodies
    /// Requests submitted to sites' executors: a handler's task calls and fused chains (the
    /// calls inside a task or a chain run in place, and are not requests).
    std::atomic<uint64_t> requests{0};
    /// Resume (ResumeLedger.h): task calls whose kept outcome was reused instead of run, source
    /// items skipped as fully handled by the resumed run, and writes of the resume log that
    /// failed (the run then fails: a resume would redo that work).
    std::atomic<uint64_t> reusedTasks{0}, resumedItems{0}, resumeLogFailures{0};

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
