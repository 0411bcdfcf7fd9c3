// ProvDb.h — a work directory's provenance database opened for questions (`xdmlc prov`,
// `xdmlc replay`, the REPL): the run a question is about, and the rows it names. Queries read;
// only `invalidate` writes, and then it holds the store's writer lock like a run does.
//
// Every answer is JSON (what `--json` prints); Render.h turns it into text and Graphviz.
#pragma once

#include "runtime/sqlite/Sqlite.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace xdml::runtime::prov {
class WriterLock;
}

namespace xdml::query {

/// A question that cannot be answered: no database, no such run or entity. The message names
/// the file or the thing asked for.
class QueryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What a command-line reference to data names: an entity, or (for `why`) an activity.
struct Subject {
    enum class Kind { Entity, Activity } kind = Kind::Entity;
    int64_t id = 0;
};

class ProvDb {
public:
    enum class Access { Read, Write };
    /// Opens `<workdir>/provenance.db` (or `workdir` itself when it is a database file).
    /// Throws a QueryError when there is none, or it is not a provenance database.
    static std::unique_ptr<ProvDb> open(const std::filesystem::path& workdir, Access access = Access::Read);
    ~ProvDb();

    runtime::sqlite::Connection& sql() { return *db_; }
    const std::filesystem::path& file() const { return file_; }
    /// The folder the database is in: the runs' work directory.
    std::filesystem::path workdir() const { return file_.parent_path(); }
    /// Whether the database has the digests table (schema 2 on).
    bool hasDigests() const { return schema_ >= 2; }
    /// Whether it has site_status and runs.version (schema 5 on; a reader never upgrades).
    bool hasSiteStatus() const { return schema_ >= 5; }

    /// `run`, checked to exist, or the latest run when `run` is 0.
    int64_t runOrLatest(int64_t run);
    /// The runs row as JSON (plan left out: runPlan has it).
    nlohmann::json run(int64_t id);
    std::string runPlan(int64_t id);
    /// The work directory run `id` recorded ("" for a run recorded before schema 2).
    std::string runWorkdir(int64_t id);
    /// A path run `id` recorded, as it is now: under the work directory as it is now when the
    /// recorded one was moved here (an archived or copied work directory); else unchanged.
    std::string here(const std::string& recordedPath, int64_t id);
    /// An entities row as JSON, with `valid` as a bool.
    nlohmann::json entity(int64_t id);
    std::optional<nlohmann::json> findEntity(int64_t id);
    nlohmann::json activity(int64_t id);
    std::optional<nlohmann::json> findActivity(int64_t id);

    /// What `text` names in run `run`:
    ///   42, entity:42         the entity 42
    ///   activity:7            the activity 7 (only when activities are allowed)
    ///   frames[12]            item 12 of stream frames
    ///   hitfinder@3           version 3 of model hitfinder
    ///   stills#5              the 5th record (from 1) of catalog stills
    ///   data/f3.npy           the file or item read from that path (its latest entity in the run)
    Subject resolve(const std::string& text, int64_t run, bool activities = false);

private:
    ProvDb(std::filesystem::path file, std::unique_ptr<runtime::sqlite::Connection> db, int schema,
           std::unique_ptr<runtime::prov::WriterLock> lock);
    std::filesystem::path file_;
    std::unique_ptr<runtime::sqlite::Connection> db_;
    int schema_;
    std::unique_ptr<runtime::prov::WriterLock> lock_;
    std::map<int64_t, std::string> workdirs_;  // runWorkdir, asked once per run
    bool runsHaveWorkdir_ = false;             // a database not yet upgraded to schema 2 has none
};

/// One read transaction for a whole answer: a consistent snapshot while a run is writing, and
/// one WAL lock instead of one per statement (about 40% of a small query's time otherwise).
/// A snapshot taken inside another joins it.
class ReadSnapshot {
public:
    explicit ReadSnapshot(ProvDb& db);
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
    std::optional<runtime::sqlite::Transaction> tx_;
};

/// A run whose process died stays 'running' until a run opens the database for writing
/// (runtime/provenance/AbandonedRuns.h); a reader, which must not write, shows it 'incomplete'
/// with a `status_note`. `row` needs status, pid and host.
void settleRunStatus(nlohmann::json& row);

/// A REAL time as "2026-11-27 13:45:02.123" (UTC).
std::string formatTime(double seconds);

}  // namespace xdml::query
