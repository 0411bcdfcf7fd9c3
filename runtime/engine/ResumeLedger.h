// ResumeLedger.h — a run's side of resume (docs/distributed.md, "Resume"). Every run with
// provenance keeps one: it writes the run's resume log (ResumeLog.h) as task calls complete
// and as source items become fully handled; a run started with --resume also holds what the
// resumed run's log kept, and answers whether a call's outcome can be reused (its key matches,
// its output still hashes the same, the files its body read are unchanged) and whether a
// source item was handled already.
//
// "Fully handled": every firing of the item, and every firing of what those firings emitted
// (transitively), ended without failure. Each source item is a RootItem, held by the firings
// that work for it and by the items they emit; when the last holder lets go it is written to
// the log, with the catalog rows its firings recorded (kept by a resume; any other row of the
// resumed run is removed, RowRemoval.h).
#pragma once

#include "runtime/engine/CallKey.h"
#include "runtime/engine/Counter.h"
#include "runtime/engine/Datum.h"
#include "runtime/engine/ItemRoots.h"
#include "runtime/engine/ResumeLog.h"
#include "runtime/engine/TaskMessages.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace xdml::runtime {

class ResumeLedger;

/// A source item under way (see above). Thread-safe.
class RootItem {
public:
    RootItem(ResumeLedger& ledger, HandledItem item) : ledger_(ledger), item_(std::move(item)) {}
    ~RootItem();
    RootItem(const RootItem&) = delete;
    RootItem& operator=(const RootItem&) = delete;
    /// A firing that worked for it failed: it is not fully handled.
    void fail() { failed_.store(true); }
    void rowRecorded(const std::string& catalog, int64_t row);

private:
    ResumeLedger& ledger_;
    std::mutex mutex_;
    HandledItem item_;
    std::atomic<bool> failed_{false};
};

/// The source items a firing, or an emitted item, works for (none outside any: a flow's start
/// and `on end of` handlers, whose work a resume always does again).
using ItemRoots = std::vector<std::shared_ptr<RootItem>>;

struct ResumeSetup {
    std::filesystem::path workdir;
    int64_t run = 0;         // this run's id: its log is resumeLogPath(workdir, run)
    int64_t resumed = 0;     // the run it resumes, 0: none
    ResumeLogContents previous;   // what that run's log kept (empty: none)
    bool itemsReusable = false;   // the flows' code is unchanged: handled items are skipped
    std::string version;          // of xdmlc, in every call key
    std::string flowsHash;        // of this run's code (flowCodeHash), in its log's header
    std::map<std::string, TaskCode> codeHashes;  // task -> taskCodeHashes()
    std::function<void(const std::string&)> report;
    std::function<bool()> stopping;
    Counter* writeFailures = nullptr;
};

class ResumeLedger {
public:
    explicit ResumeLedger(ResumeSetup setup);
    ~ResumeLedger();

    // ---- task calls
    /// The call's key (CallKey.h), or "" when the task has no code in the plan.
    std::string keyOf(const std::string& task, const std::vector<DatumPtr>& args) const;
    /// The resumed run's outcome for `key`, when it can be reused (a corrupt entry is reported,
    /// and the call runs again). `what` names the call for reports. Everything the resumed run
    /// kept is carried into this run's log when the ledger is made (a ResumeError if it cannot).
    std::optional<TaskOutcome> reuse(const std::string& key, const std::string& what);
    /// Keeps a completed call's outcome (written within ResumeLogWriter::kInterval). Throws
    /// ResumeError when the log could not be written before.
    void keep(const TaskEntry& entry);
    /// Writes what the log holds so far: at the run's end, before it says how it went. A
    /// failure is reported and counted, as the writer's own are.
    void flush();
    int64_t resumedRun() const { return setup_.resumed; }

    // ---- source items
    /// Whether the resumed run handled this item fully (each delivery once).
    bool handledBefore(const std::string& stream, const std::string& origin, const std::string& hash);
    std::shared_ptr<RootItem> root(const std::string& stream, const std::string& origin, const std::string& hash);

    // ---- firings, by handler and item sequence number (a group's: its last item's)
    void firingStarted(int handler, int64_t seq, ItemRoots roots);
    /// The firing ended; `ok`: without failure.
    void firingEnded(int handler, int64_t seq, bool ok);
    ItemRoots rootsOf(int handler, int64_t seq);
    void rowRecorded(int handler, int64_t seq, const std::string& catalog, int64_t row);

private:
    friend class RootItem;
    void itemDone(const HandledItem& item, bool ok);
    void failedWrite(const std::string& what, const ResumeError& e);

    ResumeSetup setup_;
    ResumeLogWriter log_;
    std::mutex mutex_;
    std::map<std::string, std::vector<HandledItem>> handled_;  // item key -> its handled deliveries
    std::map<std::pair<int, int64_t>, ItemRoots> firings_;
    std::atomic<bool> closing_{false};
};

}  // namespace xdml::runtime
