// ProvDb.cpp — opening a provenance database for questions, and naming what they are about.
#include "query/ProvDb.h"

#include "query/Rows.h"
#include "runtime/provenance/AbandonedRuns.h"
#include "runtime/provenance/ProvenanceError.h"
#include "runtime/provenance/Schema.h"
#include "runtime/provenance/WriterLock.h"

#include <unistd.h>

#include <cctype>
#include <ctime>
#include <vector>

namespace xdml::query {
namespace fs = std::filesystem;
namespace prov = runtime::prov;
namespace sqlite = runtime::sqlite;

namespace {

// The store's own policy (Schema.h): failures raise its ProvenanceError, so checkSchema
// recognises a file that is not a database; ProvDb::open turns them into QueryErrors.
constexpr sqlite::ConnectionPolicy readPolicy(bool immutable) {
    sqlite::ConnectionPolicy policy = prov::kConnectionPolicy;
    policy.readOnly = true;
    policy.immutable = immutable;
    return policy;
}
constexpr sqlite::ConnectionPolicy kReadPolicy = readPolicy(false);
constexpr sqlite::ConnectionPolicy kImmutablePolicy = readPolicy(true);

bool allDigits(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

}  // namespace

ReadSnapshot::ReadSnapshot(ProvDb& db) {
    if (!db.sql().inTransaction()) tx_.emplace(db.sql(), sqlite::Transaction::Mode::Read);
}

void settleRunStatus(nlohmann::json& row) {
    if (row["status"] == "running" && row["host"] == prov::hostName() && row["pid"].is_number() &&
        prov::processIsGone(row["pid"].get<int64_t>())) {
        row["status"] = "incomplete";
        row["status_note"] = "its process " + std::to_string(row["pid"].get<int64_t>()) + " is gone";
    }
}

std::string formatTime(double seconds) {
    const std::time_t whole = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&whole, &utc);
    char text[40];
    const int millis = static_cast<int>((seconds - static_cast<double>(whole)) * 1000);
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%03d", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis < 0 ? 0 : millis > 999 ? 999 : millis);
    return text;
}

std::unique_ptr<ProvDb> ProvDb::open(const fs::path& workdir, Access access) {
    std::error_code ec;
    // Absolute, so paths named relative to the work directory resolve from anywhere.
    const fs::path file = fs::absolute(fs::is_regular_file(workdir, ec) ? workdir : workdir / "provenance.db", ec).lexically_normal();
    if (!fs::exists(workdir, ec)) throw QueryError(workdir.string() + ": no such work directory");
    if (!fs::exists(file, ec))
        throw QueryError(file.string() + ": no provenance database here (run a flow with `xdmlc run --workdir " +
                         workdir.string() + "` first, or pass the work directory with --workdir)");
    std::unique_ptr<prov::WriterLock> lock;
    try {
        // Writing (invalidate) excludes a running flow, whose store hands out ids in-process.
        if (access == Access::Write) lock = std::make_unique<prov::WriterLock>(file);
    } catch (const prov::ProvenanceError& e) {
        throw QueryError(e.what());
    }
    std::unique_ptr<sqlite::Connection> db;
    int schema = 0;
    try {
        // A database in a folder nobody may write (a read-only mount, an archived run) cannot
        // have its WAL index made: it is read as immutable, which needs none.
        const bool frozen = access == Access::Read && ::access(file.parent_path().c_str(), W_OK) != 0 &&
                            !fs::exists(fs::path(file.string() + "-shm"), ec);
        db = std::make_unique<sqlite::Connection>(
            file, access == Access::Write ? prov::kConnectionPolicy : frozen ? kImmutablePolicy : kReadPolicy);
        schema = prov::checkSchema(*db);
        if (access == Access::Write) {
            prov::configureConnection(*db);
            prov::createSchema(*db);  // upgrades an older schema, as a run would
            schema = prov::kSchemaVersion;
        }
    } catch (const prov::ProvenanceError& e) {
        throw QueryError(e.what());
    }
    if (schema == 0) throw QueryError(file.string() + ": the provenance database is empty (no run was recorded)");
    return std::unique_ptr<ProvDb>(new ProvDb(file, std::move(db), schema, std::move(lock)));
}

ProvDb::ProvDb(fs::path file, std::unique_ptr<sqlite::Connection> db, int schema,
               std::unique_ptr<prov::WriterLock> lock)
    : file_(std::move(file)), db_(std::move(db)), schema_(schema), lock_(std::move(lock)) {
    // Read as it is: a schema-1 database is upgraded only by the next run that writes it.
    runsHaveWorkdir_ = db_->queryInt("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'workdir'") > 0;
}

ProvDb::~ProvDb() {
    // A writer (invalidate) leaves the file self-contained, as a run does (checkpointLog).
    if (!lock_) return;
    try {
        prov::checkpointLog(*db_);
    } catch (const std::exception&) {
        // The commits are in the log, which the next writer copies; a destructor cannot report.
    }
}

int64_t ProvDb::runOrLatest(int64_t run) {
    if (run == 0) {
        run = db_->queryInt("SELECT COALESCE(MAX(id), 0) FROM runs");
        if (run == 0) throw QueryError(file_.string() + ": no run is recorded yet");
        return run;
    }
    auto s = db_->prepare("SELECT count(*) FROM runs WHERE id = ?1");
    s.bindInt(1, run);
    s.step();
    if (s.columnInt(0) == 0)
        throw QueryError(file_.string() + ": there is no run " + std::to_string(run) + " (the runs are 1 to " +
                         std::to_string(db_->queryInt("SELECT COALESCE(MAX(id), 0) FROM runs")) +
                         "; `xdmlc prov runs` lists them)");
    return run;
}

std::string ProvDb::runWorkdir(int64_t id) {
    if (!runsHaveWorkdir_) return "";
    if (auto it = workdirs_.find(id); it != workdirs_.end()) return it->second;
    auto s = db_->prepare("SELECT workdir FROM runs WHERE id = ?1");
    s.bindInt(1, id);
    return workdirs_[id] = s.step() && !s.isNull(0) ? s.columnText(0) : "";
}

std::string ProvDb::here(const std::string& recordedPath, int64_t id) {
    const std::string recorded = runWorkdir(id), now = workdir().string();
    if (recorded.empty() || recorded == now || recordedPath.size() <= recorded.size() + 1 ||
        recordedPath.compare(0, recorded.size(), recorded) != 0 || recordedPath[recorded.size()] != '/')
        return recordedPath;
    return now + recordedPath.substr(recorded.size());
}

nlohmann::json ProvDb::run(int64_t id) {
    auto s = db_->prepare(std::string("SELECT id, flow, script_path, script_hash, arguments, seed, started, ended, status, pid,"
                                      " host, counters, ") +
                          (runsHaveWorkdir_ ? "workdir" : "NULL AS workdir") + " FROM runs WHERE id = ?1");
    s.bindInt(1, id);
    if (!s.step()) throw QueryError(file_.string() + ": there is no run " + std::to_string(id));
    nlohmann::json row = rowJson(s, {"counters"});
    settleRunStatus(row);
    return row;
}

std::string ProvDb::runPlan(int64_t id) {
    auto s = db_->prepare("SELECT plan FROM runs WHERE id = ?1");
    s.bindInt(1, id);
    return s.step() && !s.isNull(0) ? s.columnText(0) : "";
}

std::optional<nlohmann::json> ProvDb::findEntity(int64_t id) {
    auto s = db_->prepare(
        "SELECT id, run, kind, label, type, hash, bytes, site, stream, seq, path, created, valid"
        " FROM entities WHERE id = ?1");
    s.bindInt(1, id);
    if (!s.step()) return std::nullopt;
    nlohmann::json e = rowJson(s);
    e["valid"] = e["valid"].get<int64_t>() != 0;
    return e;
}

nlohmann::json ProvDb::entity(int64_t id) {
    if (auto e = findEntity(id)) return *e;
    throw QueryError(file_.string() + ": there is no entity " + std::to_string(id));
}

std::optional<nlohmann::json> ProvDb::findActivity(int64_t id) {
    auto s = db_->prepare(
        "SELECT id, run, kind, name, handler, site, policy, started, ended, status, error, line"
        " FROM activities WHERE id = ?1");
    s.bindInt(1, id);
    if (!s.step()) return std::nullopt;
    return rowJson(s, {"policy"});
}

nlohmann::json ProvDb::activity(int64_t id) {
    if (auto a = findActivity(id)) return *a;
    throw QueryError(file_.string() + ": there is no activity " + std::to_string(id));
}

Subject ProvDb::resolve(const std::string& text, int64_t run, bool activities) {
    auto fail = [&](const std::string& why) -> Subject {
        throw QueryError("'" + text + "': " + why +
                         " (name an entity by its id, entity:ID, STREAM[SEQ], MODEL@VERSION, CATALOG#N or a file path" +
                         (activities ? "; an activity by activity:ID" : "") + ")");
    };
    auto entityById = [&](const std::string& digits) {
        if (digits.size() > 18) fail("not an id this database can hold");
        const int64_t id = std::stoll(digits);
        if (!findEntity(id)) fail("there is no entity " + digits + " in " + file_.string());
        return Subject{Subject::Kind::Entity, id};
    };
    if (allDigits(text)) return entityById(text);
    if (text.rfind("entity:", 0) == 0 && allDigits(text.substr(7))) return entityById(text.substr(7));
    if (text.rfind("activity:", 0) == 0 && allDigits(text.substr(9))) {
        if (!activities) fail("an activity, where data is asked for");
        if (text.size() - 9 > 18) fail("not an id this database can hold");
        const int64_t id = std::stoll(text.substr(9));
        if (!findActivity(id)) fail("there is no activity " + text.substr(9) + " in " + file_.string());
        return Subject{Subject::Kind::Activity, id};
    }
    auto one = [&](sqlite::Statement& s, const std::string& missing) {
        if (!s.step()) fail(missing);
        return Subject{Subject::Kind::Entity, s.columnInt(0)};
    };
    if (const auto open = text.find('['); open != std::string::npos && open > 0 && text.back() == ']' &&
                                          allDigits(text.substr(open + 1, text.size() - open - 2)) &&
                                          text.size() - open - 2 <= 18) {
        const std::string stream = text.substr(0, open), seq = text.substr(open + 1, text.size() - open - 2);
        auto s = db_->prepare(
            "SELECT id FROM entities WHERE stream = ?1 AND seq = ?2 AND run = ?3 AND kind = 'item' ORDER BY id LIMIT 1");
        s.bindText(1, stream);
        s.bindInt(2, std::stoll(seq));
        s.bindInt(3, run);
        return one(s, "run " + std::to_string(run) + " has no item " + seq + " in a stream " + stream);
    }
    if (const auto at = text.rfind('@'); at != std::string::npos && at > 0 && allDigits(text.substr(at + 1)) &&
                                         text.size() - at - 1 <= 18) {
        const std::string model = text.substr(0, at), version = text.substr(at + 1);
        // The version of this run, or of an earlier run (a version 0 loaded from a file, say).
        auto s = db_->prepare(
            "SELECT entity FROM models WHERE model = ?1 AND version = ?2 AND run <= ?3 AND entity IS NOT NULL"
            " ORDER BY run DESC, id DESC LIMIT 1");
        s.bindText(1, model);
        s.bindInt(2, std::stoll(version));
        s.bindInt(3, run);
        return one(s, "run " + std::to_string(run) + " has no version " + version + " of a model " + model);
    }
    if (const auto hash = text.rfind('#'); hash != std::string::npos && hash > 0 && allDigits(text.substr(hash + 1))) {
        if (text.size() - hash - 1 > 18) fail("records are counted from 1");
        const std::string catalog = text.substr(0, hash), nth = text.substr(hash + 1);
        if (nth.size() > 18 || std::stoll(nth) < 1) fail("records are counted from 1");
        auto s = db_->prepare(
            // By row (seq): a record recovered after a kill has a later id than the rows after it.
            "SELECT id FROM entities WHERE run = ?1 AND kind = 'record' AND label = ?2 ORDER BY seq, id LIMIT 1 OFFSET ?3");
        s.bindInt(1, run);
        s.bindText(2, catalog);
        s.bindInt(3, std::max<int64_t>(0, std::stoll(nth) - 1));
        return one(s, "run " + std::to_string(run) + " has no record " + nth + " in a catalog " + catalog);
    }
    // A path: as given, then made absolute (entities record absolute paths), and, for a work
    // directory moved since, as the run recorded it.
    std::error_code ec;
    fs::path absolute = fs::absolute(text, ec);
    std::vector<std::string> candidates{text, absolute.lexically_normal().string(),
                                        (workdir() / text).lexically_normal().string()};
    if (const std::string recorded = runWorkdir(run); !recorded.empty() && recorded != workdir().string())
        for (const std::string& c : {candidates[1], candidates[2]})
            if (c.compare(0, workdir().string().size() + 1, workdir().string() + "/") == 0)
                candidates.push_back(recorded + c.substr(workdir().string().size()));
    for (const std::string& candidate : candidates) {
        auto s = db_->prepare("SELECT id FROM entities WHERE run = ?1 AND path = ?2 ORDER BY id DESC LIMIT 1");
        s.bindInt(1, run);
        s.bindText(2, candidate);
        if (s.step()) return Subject{Subject::Kind::Entity, s.columnInt(0)};
    }
    return fail("nothing in run " + std::to_string(run) + " has that name or path");
}

}  // namespace xdml::query
