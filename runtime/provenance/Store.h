// Store.h — the provenance store of a run: what data existed (entities), what steps used and
// made it (activities, used, generated, derivations), which model versions were trained, and
// which decisions the runtime took and why. One SQLite database in WAL mode; the schema and
// its meaning are in docs/provenance.md.
//
// Capture is off the critical path: entity(), startActivity() and the rest return at once
// (about a microsecond: a lock, a move into a vector) with ids allocated in-process, and a
// writer thread commits them in groups. Only open, beginRun, endRun and flush touch SQLite on
// the caller's thread. All capture calls are thread-safe.
//
// Crash safety: beginRun commits the run as 'running' with its pid and host, and every group
// commit is atomic; after kill -9 the database holds everything up to the last group commit,
// and the next open marks the run 'incomplete'.
#pragma once

#include "runtime/provenance/Capture.h"
#include "runtime/provenance/CaptureQueue.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/provenance/Kinds.h"
#include "runtime/provenance/ProvenanceError.h"
#include "runtime/provenance/Records.h"
#include "runtime/provenance/WriterLock.h"
#include "runtime/sqlite/Sqlite.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xdml::runtime::prov {

class Store final : public Capture {
public:
    /// Opens the database, creating the file and its schema when missing, and marks the runs
    /// of dead processes on this host 'incomplete'. Throws a ProvenanceError naming the file
    /// when it is not a provenance database, has a newer schema, cannot be written, or is
    /// already open for writing by another store.
    static std::unique_ptr<Store> open(const std::filesystem::path& dbFile, CaptureSettings settings = {});
    /// Commits what is queued and stops the writer. A run still open ends 'incomplete' (the
    /// caller never said how it ended); a failure here goes to stderr, as it cannot be thrown.
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// Commits the run row at once, status 'running'. One run at a time per store.
    int64_t beginRun(const RunInfo& info);
    /// Flushes, then records the end: status is complete, failed, stopped or incomplete
    /// (run_status in Kinds.h); counters is the run's statistics as JSON. When groups were
    /// lost during the run it is stored 'incomplete', and a loss not yet reported by flush() is
    /// a ProvenanceError saying how many records are missing.
    void endRun(const std::string& status, const std::string& countersJson);

    // Capture: between beginRun and endRun (else a ProvenanceError). Each returns at once;
    // the record is committed by the writer within a group interval.
    int64_t entity(EntityRecord record) override;
    /// The entity of a file `write()` wrote without syncing it: the group that commits the entity
    /// first syncs the file system of `folder` (the file's folder), so provenance never records a
    /// written file that a crash of the machine could still lose — one sync per group, on the
    /// writer's thread, instead of two fsyncs per file on the firing's.
    int64_t writtenFile(EntityRecord record, std::string folder);
    /// Starts an activity now, status 'running'; committed before it ends, so a killed run
    /// still shows what was running.
    int64_t startActivity(ActivityRecord record) override;
    /// status: ok, failed or dropped.
    void endActivity(int64_t activity, const std::string& status, const std::string& error = "") override;
    void used(int64_t activity, int64_t entity, const std::string& role = "") override;
    void generated(int64_t entity, int64_t activity) override;

    // The same records, several in one capture call (one lock instead of one each): what a task
    // call or a firing records as it starts and as it ends.
    struct Use {
        int64_t entity;
        const std::string& role;
    };
    /// startActivity, then used(activity, u.entity, u.role) for each of `uses` (entities < 0
    /// are skipped, as nothing recorded them).
    int64_t startActivity(ActivityRecord record, const std::vector<Use>& uses);
    /// entity(result), generated(that entity, activity), endActivity(activity, "ok"): a call
    /// that made its result. Returns the result's entity.
    int64_t endActivity(int64_t activity, EntityRecord result);
    /// `entity` was derived from `from` by `activity` (-1: by no recorded activity).
    void derivedFrom(int64_t entity, int64_t from, int64_t activity) override;
    int64_t decision(DecisionRecord record) override;
    int64_t modelVersion(ModelVersionRecord record) override;
    /// A site's status now (the run samples every site at a fixed interval: StatusSampler.h).
    void siteStatus(SiteStatusRecord record);

    /// The content hashes of invalidated inputs (items and files marked `valid = 0`), each
    /// with one entity that has it: a run recognises the same bad data when it comes again.
    std::map<std::string, int64_t> invalidInputHashes();

    /// The runs that ended 'incomplete' (killed, or lost groups): only their catalog rows can
    /// lack record entities.
    std::vector<int64_t> incompleteRuns();
    /// Writes the record entities of `catalog`'s rows that their (ended) runs did not commit,
    /// from the rows' origins (RecoveredRecords.h), and returns how many. Only between runs.
    int recoverRecords(const std::string& catalog, const std::vector<RecordOrigin>& origins);

    /// Waits until everything captured so far is committed; throws a ProvenanceError when a
    /// group failed (disk full, say) since the last flush.
    void flush();
    /// The open run's id, 0 between runs.
    int64_t runId() const override { return run_.load(std::memory_order_acquire); }
    CaptureCounters counters() const { return queue_->counters(); }
    const std::filesystem::path& file() const { return file_; }
    /// The database's absolute path, which names it in catalog rows' origins.
    const std::string& absolutePath() const { return absolutePath_; }

private:
    // The next id of each table, seeded from MAX(id)+1 at open. Read and advanced only inside
    // queue_->append, under its lock: every table's rows then reach the writer in id order,
    // which is SQLite's cheapest insert (an append to the b-tree).
    struct NextIds {
        int64_t entity = 1, activity = 1, decision = 1, model = 1;
    };

    Store(std::filesystem::path file, std::unique_ptr<WriterLock> lock,
          std::unique_ptr<sqlite::Connection> control, NextIds ids, std::unique_ptr<CaptureQueue> queue);
    int64_t openRun() const;
    void writeRunEnd(int64_t run, const std::string& status, const std::string& countersJson);

    std::filesystem::path file_;
    std::string absolutePath_;
    std::unique_ptr<WriterLock> lock_;
    std::unique_ptr<sqlite::Connection> control_;  // the caller's connection: open, runs, flush
    NextIds next_;
    std::atomic<int64_t> run_{0};
    std::atomic<bool> invalidCaptured_{false};  // an entity of the open run was captured invalid
    uint64_t lostBeforeRun_ = 0;           // the writer's lost count when the open run began
    std::unique_ptr<CaptureQueue> queue_;  // last: destroyed first, while the lock is held
};

}  // namespace xdml::runtime::prov
