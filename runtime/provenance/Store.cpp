// Store.cpp — opening a provenance database safely, the synchronous run rows, and the capture
// calls that hand records to the queue.
#include "runtime/provenance/Store.h"

#include "runtime/provenance/AbandonedRuns.h"
#include "runtime/provenance/Clock.h"
#include "runtime/provenance/RecoveredRecords.h"
#include "runtime/provenance/Schema.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace xdml::runtime::prov {
namespace fs = std::filesystem;

namespace {

// SQLite's own messages for these cases ("unable to open database file") name neither the
// directory nor the cause; checking first gives the user something to act on.
void checkPlace(const fs::path& dbFile) {
    std::error_code ec;
    const std::string name = dbFile.string();
    if (fs::is_directory(dbFile, ec)) throw ProvenanceError(name + ": is a directory, not a database file");
    fs::path dir = dbFile.parent_path();
    if (dir.empty()) dir = ".";
    if (!fs::exists(dir, ec))
        throw ProvenanceError(name + ": the directory " + dir.string() + " does not exist");
    if (!fs::is_directory(dir, ec)) throw ProvenanceError(name + ": " + dir.string() + " is not a directory");
    // WAL mode needs the directory too: SQLite creates the -wal and -shm files beside the database.
    if (access(dir.c_str(), W_OK | X_OK) != 0)
        throw ProvenanceError(name + ": the directory " + dir.string() + " is not writable (" +
                              std::strerror(errno) + ")");
    if (fs::exists(dbFile, ec) && access(dbFile.c_str(), R_OK | W_OK) != 0)
        throw ProvenanceError(name + ": the database file is not writable (" + std::strerror(errno) + ")");
}

// `status` when it is one of `allowed`, as that constant (rows keep it without a copy); else a
// ProvenanceError naming the file and what was expected. Every activity's end passes here: the
// file's name is made into a string only for the error.
std::string_view oneOf(const fs::path& file, const char* what, const std::string& status,
                       std::initializer_list<std::string_view> allowed) {
    for (std::string_view ok : allowed)
        if (status == ok) return ok;
    std::string expected;
    for (std::string_view ok : allowed) expected += (expected.empty() ? "" : ", ") + std::string(ok);
    throw ProvenanceError(file.string() + ": '" + status + "' is not a valid " + what + " status (expected " +
                          expected + ")");
}

}  // namespace

std::unique_ptr<Store> Store::open(const fs::path& dbFile, CaptureSettings settings) {
    checkPlace(dbFile);
    auto control = std::make_unique<sqlite::Connection>(dbFile, kConnectionPolicy);
    // Read-only checks first, so a foreign or newer file is refused untouched.
    checkSchema(*control);
    auto lock = std::make_unique<WriterLock>(dbFile);
    configureConnection(*control);
    createSchema(*control);
    markAbandonedRuns(*control);
    NextIds ids;
    ids.entity = control->queryInt("SELECT COALESCE(MAX(id), 0) + 1 FROM entities");
    ids.activity = control->queryInt("SELECT COALESCE(MAX(id), 0) + 1 FROM activities");
    ids.decision = control->queryInt("SELECT COALESCE(MAX(id), 0) + 1 FROM decisions");
    ids.model = control->queryInt("SELECT COALESCE(MAX(id), 0) + 1 FROM models");
    auto queue =
        std::make_unique<CaptureQueue>(std::make_unique<GroupWriter>(dbFile), dbFile.string(), settings);
    return std::unique_ptr<Store>(
        new Store(dbFile, std::move(lock), std::move(control), ids, std::move(queue)));
}

Store::Store(fs::path file, std::unique_ptr<WriterLock> lock, std::unique_ptr<sqlite::Connection> control,
             NextIds ids, std::unique_ptr<CaptureQueue> queue)
    : file_(std::move(file)),
      absolutePath_(fs::absolute(file_).lexically_normal().string()),
      lock_(std::move(lock)),
      control_(std::move(control)),
      next_(ids),
      queue_(std::move(queue)) {}

Store::~Store() {
    try {
        if (runId() != 0) endRun(std::string(run_status::incomplete), "");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xdml: %s\n", e.what());
    }
    queue_.reset();  // commits the rest; reports a loss nobody collected on stderr
    try {
        checkpointLog(*control_);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "xdml: %s\n", e.what());
    }
}

int64_t Store::beginRun(const RunInfo& info) {
    if (int64_t open = runId(); open != 0)
        throw ProvenanceError(file_.string() + ": run " + std::to_string(open) +
                              " is still open; end it first");
    sqlite::Statement s = control_->prepare(
        "INSERT INTO runs (flow, script_path, script_hash, arguments, seed, plan, started, status, pid, host, workdir,"
        " version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?9, ?10, ?11)");
    std::string host = hostName();
    s.bindText(1, info.flow);
    s.bindTextOrNull(2, info.scriptPath);
    s.bindTextOrNull(3, info.scriptHash);
    s.bindTextOrNull(4, info.arguments);
    s.bindInt(5, info.seed);
    s.bindTextOrNull(6, info.planJson);
    s.bindDouble(7, secondsNow());
    s.bindInt(8, getpid());
    s.bindText(9, host);
    s.bindTextOrNull(10, info.workdir);
    s.bindTextOrNull(11, info.version);
    s.run();  // autocommit: the row is in the log before beginRun returns
    int64_t run = control_->lastInsertRowid();
    lostBeforeRun_ = queue_->counters().lost;
    run_.store(run, std::memory_order_release);
    return run;
}

void Store::endRun(const std::string& status, const std::string& countersJson) {
    int64_t run = openRun();
    oneOf(file_, "run end", status,
          {run_status::complete, run_status::failed, run_status::stopped, run_status::incomplete});
    // Closed before the flush, so nothing captured after this point claims the run.
    run_.store(0, std::memory_order_release);
    std::string problem;
    try {
        queue_->flush();
    } catch (const ProvenanceError& e) {
        problem = e.what();
    }
    // A run with lost records is not fully described: say so in its status, whatever it was,
    // even when an earlier flush already reported the loss.
    bool lost = !problem.empty() || queue_->counters().lost > lostBeforeRun_;
    try {
        writeRunEnd(run, lost ? std::string(run_status::incomplete) : status, countersJson);
    } catch (const ProvenanceError& e) {
        problem += (problem.empty() ? "" : "; and ") + std::string(e.what());
    }
    if (!problem.empty()) throw ProvenanceError(problem);
}

void Store::writeRunEnd(int64_t run, const std::string& status, const std::string& countersJson) {
    // Inputs recorded invalid (their content was invalidated before) make everything derived
    // from them in this run invalid as well, as `xdmlc prov invalidate` would have. The links
    // are read in IN subqueries: a view joined in a recursive step is built whole at each step.
    if (invalidCaptured_.exchange(false)) control_->exec(
        "WITH RECURSIVE down(e) AS ("
        " SELECT id FROM entities WHERE run = " + std::to_string(run) + " AND valid = 0"
        " UNION SELECT x.id FROM down JOIN entities x ON x.id IN"
        "  (SELECT entity FROM generated WHERE activity IN (SELECT activity FROM used WHERE entity = down.e))"
        " UNION SELECT d.entity FROM down JOIN derivations d ON d.from_entity = down.e)"
        " UPDATE entities SET valid = 0 WHERE valid = 1 AND id IN (SELECT e FROM down)");
    sqlite::Statement s =
        control_->prepare("UPDATE runs SET ended = ?2, status = ?3, counters = ?4 WHERE id = ?1");
    s.bindInt(1, run);
    s.bindDouble(2, secondsNow());
    s.bindText(3, status);
    s.bindTextOrNull(4, countersJson);
    s.run();
}

int64_t Store::openRun() const {
    int64_t run = runId();
    if (run == 0)
        throw ProvenanceError(file_.string() + ": provenance captured outside a run (call beginRun first)");
    return run;
}

int64_t Store::entity(EntityRecord record) {
    int64_t run = openRun();
    if (!record.valid) invalidCaptured_.store(true, std::memory_order_relaxed);
    double now = secondsNow();
    return queue_->append([&](Batch& b) {
        int64_t id = next_.entity++;
        b.entities.emplace_back(id, run, now, std::move(record));
        return id;
    });
}

int64_t Store::writtenFile(EntityRecord record, std::string folder) {
    int64_t run = openRun();
    double now = secondsNow();
    return queue_->append([&](Batch& b) {
        int64_t id = next_.entity++;
        b.entities.emplace_back(id, run, now, std::move(record));
        if (std::find(b.syncFolders.begin(), b.syncFolders.end(), folder) == b.syncFolders.end())
            b.syncFolders.push_back(std::move(folder));
        return id;
    });
}

int64_t Store::startActivity(ActivityRecord record) {
    return startActivity(std::move(record), std::vector<Use>{});
}

int64_t Store::startActivity(ActivityRecord record, const std::vector<Use>& uses) {
    int64_t run = openRun();
    double now = secondsNow();
    std::size_t records = 1;
    for (const Use& u : uses) records += u.entity >= 0;
    return queue_->append(
        [&](Batch& b) {
            int64_t id = next_.activity++;
            ActivityRow& row = b.activities.emplace_back(id, run, now, std::move(record));
            for (const Use& u : uses) {
                if (u.entity < 0) continue;
                if (row.input < 0) {  // the first use is kept in the activity's row
                    row.input = u.entity;
                    row.inputRole = u.role;
                } else {
                    b.used.emplace_back(id, u.entity, u.role);
                }
            }
            return id;
        },
        records);
}

int64_t Store::endActivity(int64_t activity, EntityRecord result) {
    int64_t run = openRun();
    if (!result.valid) invalidCaptured_.store(true, std::memory_order_relaxed);
    double now = secondsNow();
    return queue_->append(
        [&](Batch& b) {
            int64_t id = next_.entity++;
            b.entities.emplace_back(id, run, now, std::move(result), activity);
            b.ends.emplace_back(activity, now, activity_status::ok);
            return id;
        },
        3);
}

void Store::endActivity(int64_t activity, const std::string& status, const std::string& error) {
    openRun();
    // Checked here, not by the table's CHECK: a bad status must not cost a whole group.
    const std::string_view known = oneOf(file_, "activity end", status,
                                         {activity_status::ok, activity_status::failed, activity_status::dropped});
    double now = secondsNow();
    queue_->append([&](Batch& b) {
        b.ends.emplace_back(activity, now, known, error);
        return 0;
    });
}

void Store::used(int64_t activity, int64_t entity, const std::string& role) {
    openRun();
    queue_->append([&](Batch& b) {
        b.used.emplace_back(activity, entity, role);
        return 0;
    });
}

void Store::generated(int64_t entity, int64_t activity) {
    openRun();
    queue_->append([&](Batch& b) {
        b.generated.push_back(GeneratedRow{entity, activity});
        return 0;
    });
}

void Store::derivedFrom(int64_t entity, int64_t from, int64_t activity) {
    openRun();
    queue_->append([&](Batch& b) {
        b.derivations.push_back(DerivationRow{entity, from, activity});
        return 0;
    });
}

int64_t Store::decision(DecisionRecord record) {
    int64_t run = openRun();
    double now = secondsNow();
    return queue_->append([&](Batch& b) {
        int64_t id = next_.decision++;
        b.decisions.emplace_back(id, run, now, std::move(record));
        return id;
    });
}

int64_t Store::modelVersion(ModelVersionRecord record) {
    int64_t run = openRun();
    double now = secondsNow();
    return queue_->append([&](Batch& b) {
        int64_t id = next_.model++;
        b.models.emplace_back(id, run, now, std::move(record));
        return id;
    });
}

void Store::siteStatus(SiteStatusRecord record) {
    int64_t run = openRun();
    double now = secondsNow();
    queue_->append([&](Batch& b) {
        b.statuses.emplace_back(run, now, std::move(record));
        return 0;
    });
}

std::map<std::string, int64_t> Store::invalidInputHashes() {
    std::map<std::string, int64_t> out;
    // entities_invalid_by_hash holds only invalid rows, so this reads no more than them.
    sqlite::Statement s = control_->prepare(
        "SELECT hash, MIN(id) FROM entities WHERE valid = 0 AND hash IS NOT NULL AND kind IN ('item', 'file')"
        " GROUP BY hash");
    while (s.step()) out.emplace(s.columnText(0), s.columnInt(1));
    return out;
}

std::vector<int64_t> Store::incompleteRuns() {
    std::vector<int64_t> out;
    sqlite::Statement s = control_->prepare("SELECT id FROM runs WHERE status = ?1 ORDER BY id");
    s.bindText(1, run_status::incomplete);
    while (s.step()) out.push_back(s.columnInt(0));
    return out;
}

int Store::recoverRecords(const std::string& catalog, const std::vector<RecordOrigin>& origins) {
    if (int64_t open = runId(); open != 0)
        throw ProvenanceError(file_.string() + ": records recovered while run " + std::to_string(open) + " is open");
    // No run is open, so nothing is being captured: the ids from next_ are free to use here.
    const int written = writeRecoveredRecords(*control_, next_.entity, catalog, origins);
    next_.entity += written;
    return written;
}

void Store::flush() {
    queue_->flush();
}

}  // namespace xdml::runtime::prov
