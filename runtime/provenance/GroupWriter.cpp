// GroupWriter.cpp — the SQL of a group commit: prepared once, bound from the batch's own
// strings without copying, stepped table by table inside one BEGIN IMMEDIATE ... COMMIT.
#include "runtime/provenance/GroupWriter.h"

#include "runtime/provenance/AbandonedRuns.h"
#include "runtime/provenance/Digest.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/provenance/ProvenanceError.h"
#include "runtime/provenance/Schema.h"

#include <algorithm>
#include <array>
#include <string>

namespace xdml::runtime::prov {
namespace {

std::string insertSql(const char* head, int columns, int rows, const char* tail) {
    std::string row = "(";
    for (int c = 0; c < columns; ++c) row += c ? ",?" : "?";
    row += ")";
    std::string sql = head;
    sql += " VALUES ";
    for (int r = 0; r < rows; ++r) sql += (r ? "," : "") + row;
    return sql + tail;
}

// The row of `id` in `rows` (in id order) when it is in this group, else nullptr. Ids are
// handed out one after another, so a group's rows are mostly consecutive ids: the row is
// looked for where that puts it, then searched for.
template <class Row>
Row* rowOf(std::vector<Row>& rows, int64_t id) {
    if (rows.empty()) return nullptr;
    const auto guess = static_cast<std::size_t>(id - rows.front().id);  // past the end when before it
    if (guess < rows.size() && rows[guess].id == id) return &rows[guess];
    auto it = std::lower_bound(rows.begin(), rows.end(), id, [](const Row& row, int64_t key) { return row.id < key; });
    return it != rows.end() && it->id == id ? &*it : nullptr;
}

// Keeps the elements of `v` for which `kept(element)` is true, in order. `kept` may take from
// an element it drops (remove_if's predicate may not change what it is given), and a kept
// element is never moved onto itself (a self-move would empty its strings).
template <class T, class Kept>
void keepOnly(std::vector<T>& v, Kept kept) {
    auto out = v.begin();
    for (auto it = v.begin(); it != v.end(); ++it)
        if (kept(*it)) {
            if (out != it) *out = std::move(*it);
            ++out;
        }
    v.erase(out, v.end());
}

// Binds every row of `rows` through `bind(statement, firstParameter, row)`, full chunks with
// the many-row statement and the rest one by one. `bind` sets every parameter, so the
// bindings are dropped once, when the rows are in, not after each run: SQLite walks every
// parameter to drop them, 32 rows of up to 17 (3% of the writer's time).
template <class Row, class Bind>
void insertAll(BulkInsert& insert, const std::vector<Row>& rows, Bind bind) {
    if (rows.empty()) return;
    struct DropBindings {  // on the way out, thrown or not: the rows' text goes with the batch
        BulkInsert& insert;
        ~DropBindings() {
            insert.many.clearBindings();
            insert.one.clearBindings();
        }
    } dropBindings{insert};
    std::size_t i = 0;
    for (; i + BulkInsert::kRowsPerInsert <= rows.size(); i += BulkInsert::kRowsPerInsert) {
        for (int k = 0; k < BulkInsert::kRowsPerInsert; ++k)
            bind(insert.many, k * insert.columns + 1, rows[i + k]);
        insert.many.runKeepingBindings();
    }
    for (; i < rows.size(); ++i) {
        bind(insert.one, 1, rows[i]);
        insert.one.runKeepingBindings();
    }
}

void bindEntity(sqlite::Statement& s, int p, const EntityRow& row) {
    const EntityRecord& e = row.record;
    s.bindInt(p, row.id);
    s.bindInt(p + 1, row.run);
    s.bindText(p + 2, e.kind);
    s.bindTextOrNull(p + 3, e.label);
    s.bindTextOrNull(p + 4, e.type);
    s.bindTextOrNull(p + 5, e.hash);
    s.bindInt(p + 6, e.bytes);
    s.bindTextOrNull(p + 7, e.site);
    s.bindTextOrNull(p + 8, e.stream);
    s.bindId(p + 9, e.seq);
    s.bindTextOrNull(p + 10, e.path);
    s.bindDouble(p + 11, row.created);
    s.bindInt(p + 12, e.valid ? 1 : 0);
    s.bindId(p + 13, row.generatedBy);
}

void bindActivity(sqlite::Statement& s, int p, const ActivityRow& row) {
    const ActivityRecord& a = row.record;
    s.bindInt(p, row.id);
    s.bindInt(p + 1, row.run);
    s.bindText(p + 2, a.kind);
    s.bindTextOrNull(p + 3, a.name);
    s.bindId(p + 4, a.handler);
    s.bindTextOrNull(p + 5, a.site);
    s.bindTextOrNull(p + 6, a.policyJson);
    s.bindDouble(p + 7, row.started);
    if (row.ended > 0)
        s.bindDouble(p + 8, row.ended);
    else
        s.bindNull(p + 8);
    s.bindText(p + 9, row.status);
    s.bindTextOrNull(p + 10, row.error);
    if (a.line > 0)
        s.bindInt(p + 11, a.line);
    else
        s.bindNull(p + 11);
    s.bindInt(p + 12, a.rank);
    static const std::string thisHost = hostName();
    s.bindText(p + 13, a.host.empty() ? thisHost : a.host);
    s.bindTextOrNull(p + 14, a.code);
    s.bindId(p + 15, row.input);
    if (row.input >= 0)
        s.bindText(p + 16, row.inputRole);
    else
        s.bindNull(p + 16);
}

void bindUsed(sqlite::Statement& s, int p, const UsedRow& u) {
    s.bindInt(p, u.activity);
    s.bindInt(p + 1, u.entity);
    s.bindText(p + 2, u.role);
}

void bindGenerated(sqlite::Statement& s, int p, const GeneratedRow& g) {
    s.bindInt(p, g.entity);
    s.bindInt(p + 1, g.activity);
}

void bindDerivation(sqlite::Statement& s, int p, const DerivationRow& d) {
    s.bindInt(p, d.entity);
    s.bindInt(p + 1, d.from);
    s.bindId(p + 2, d.activity);
}

void bindModel(sqlite::Statement& s, int p, const ModelRow& row) {
    const ModelVersionRecord& m = row.record;
    s.bindInt(p, row.id);
    s.bindInt(p + 1, row.run);
    s.bindText(p + 2, m.model);
    s.bindInt(p + 3, m.version);
    s.bindId(p + 4, m.parent);
    s.bindId(p + 5, m.entity);
    s.bindTextOrNull(p + 6, m.metricsJson);
    s.bindTextOrNull(p + 7, m.itemsJson);
    s.bindTextOrNull(p + 8, m.snapshot);
    s.bindDouble(p + 9, row.created);
}

void bindDecision(sqlite::Statement& s, int p, const DecisionRow& row) {
    const DecisionRecord& d = row.record;
    s.bindInt(p, row.id);
    s.bindInt(p + 1, row.run);
    s.bindText(p + 2, d.kind);
    s.bindTextOrNull(p + 3, d.subject);
    s.bindTextOrNull(p + 4, d.choice);
    s.bindTextOrNull(p + 5, d.reason);
    s.bindTextOrNull(p + 6, d.inputsJson);
    s.bindId(p + 7, d.modelVersion);
    s.bindDouble(p + 8, row.time);
}

void bindSiteStatus(sqlite::Statement& s, int p, const SiteStatusRow& row) {
    const SiteStatusRecord& r = row.record;
    s.bindInt(p, row.run);
    s.bindDouble(p + 1, row.time);
    s.bindText(p + 2, r.site);
    s.bindInt(p + 3, r.capacity);
    s.bindInt(p + 4, r.running);
    s.bindInt(p + 5, r.queued);
    s.bindDouble(p + 6, r.meanJobSeconds);
    s.bindDouble(p + 7, r.estimatedWait);
}

}  // namespace

BulkInsert::BulkInsert(sqlite::Connection& db, const char* head, int columns, const char* tail)
    : many(db.prepare(insertSql(head, columns, kRowsPerInsert, tail))),
      one(db.prepare(insertSql(head, columns, 1, tail))),
      columns(columns) {}

GroupWriter::GroupWriter(const std::filesystem::path& dbFile)
    : db_(dbFile, kConnectionPolicy),
      checkpointer_(dbFile, db_),
      entities_(
          db_,
          "INSERT OR FAIL INTO entities (id, run, kind, label, type, hash, bytes, site, stream, seq, path, created, valid,"
          " generated_by)",
          14),
      activities_(db_,
                  "INSERT OR FAIL INTO activities (id, run, kind, name, handler, site, policy, started, ended, "
                  "status, error, line, rank, host, code, input, input_role)",
                  17),
      // A link recorded twice is one fact: OR IGNORE keeps the group from failing on it, and
      // NOT EXISTS from storing again a link an earlier group keeps in the row's column.
      used_(db_, "INSERT OR IGNORE INTO used_explicit (activity, entity, role) SELECT * FROM (", 3,
            ") AS v WHERE NOT EXISTS (SELECT 1 FROM activities a"
            " WHERE a.id = v.column1 AND a.input = v.column2 AND a.input_role = v.column3)"),
      generated_(db_, "INSERT OR IGNORE INTO generated_explicit (entity, activity) SELECT * FROM (", 2,
                 ") AS v WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = v.column1 AND e.generated_by = v.column2)"),
      derivations_(db_, "INSERT OR FAIL INTO derivations (entity, from_entity, activity)", 3),
      models_(
          db_,
          "INSERT OR FAIL INTO models (id, run, model, version, parent, entity, metrics, items, snapshot, created)",
          10),
      decisions_(
          db_, "INSERT OR FAIL INTO decisions (id, run, kind, subject, choice, reason, inputs, model_version, time)",
          9),
      statuses_(db_,
                "INSERT OR FAIL INTO site_status (run, time, site, capacity, running, queued, mean_job, estimated_wait)", 8),
      endActivity_(db_.prepare("UPDATE activities SET ended = ?2, status = ?3, error = ?4 WHERE id = ?1")),
      addDigest_(db_.prepare(
          "INSERT OR REPLACE INTO digests (run, kind, label, bucket, count, sum, mix, first_id, last_id)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) {
    configureConnection(db_);
    // The writer's pages stay cached across groups, so index inserts rarely read the disk. Its
    // working set is the right edge of each table and index (ids and most keys only grow):
    // 4 MiB holds it, and a cache of 32 MiB only cost 35 MiB of memory and its page faults.
    db_.exec("PRAGMA cache_size=-4096");
    // Store checks every status before it is captured (a bad one must not cost a whole group).
    // SQLite evaluates `status IN (...)` by building a temporary b-tree for each row inserted,
    // about a sixth of the writer's time.
    db_.exec("PRAGMA ignore_check_constraints=ON");
}

void GroupWriter::mergeLinks(Batch& batch) {
    // An activity's first use and an entity's maker become columns of their rows when those
    // rows are in this group; a link the row already holds is dropped (it is one fact).
    // A link to no entity (id < 0) stays a row, as it was stored before schema 6.
    keepOnly(batch.used, [&](UsedRow& u) {
        ActivityRow* row = u.entity >= 0 ? rowOf(batch.activities, u.activity) : nullptr;
        if (!row) return true;
        if (row->input < 0) {
            row->input = u.entity;
            row->inputRole = std::move(u.role);
            return false;
        }
        return !(row->input == u.entity && row->inputRole == u.role);
    });
    keepOnly(batch.generated, [&](GeneratedRow& g) {
        EntityRow* row = g.activity >= 0 ? rowOf(batch.entities, g.entity) : nullptr;
        if (!row) return true;
        if (row->generatedBy < 0) row->generatedBy = g.activity;
        return row->generatedBy != g.activity;
    });
}

void GroupWriter::mergeEnds(Batch& batch) {
    // Activities arrive in id order (ids are handed out under the queue's lock), so an end
    // finds its start in this group by binary search. Ends whose start was committed in an
    // earlier group stay in `ends`, for an UPDATE.
    keepOnly(batch.ends, [&](ActivityEnd& end) {
        ActivityRow* row = rowOf(batch.activities, end.activity);
        if (!row) return true;
        row->ended = end.ended;
        row->status = end.status;
        row->error = std::move(end.error);
        return false;
    });
}

void GroupWriter::syncWrittenFiles(const Batch& batch) {
    try {
        syncFileSystemsOf(batch.syncFolders);
    } catch (const WriteError& e) {
        // A disk that fails to write back: the group fails and its loss is reported, as when the
        // database (likely on the same disk) cannot be written.
        throw ProvenanceError(e.what());
    }
}

void GroupWriter::write(Batch& batch) {
    // Before the group that records them: the files write() wrote are on disk.
    if (!batch.syncFolders.empty()) syncWrittenFiles(batch);
    mergeEnds(batch);
    mergeLinks(batch);
    sqlite::Transaction tx(db_, sqlite::Transaction::Mode::Write);
    digestsBefore_.clear();
    try {
        insertRows(batch);
        writeDigests(batch);
        tx.commit();
    } catch (...) {
        // The group is rolled back: its entities are not in the database, so neither may they
        // be in the digests the next groups write.
        for (auto& [group, before] : digestsBefore_) *group = before;
        throw;
    }
    checkpointer_.committed();
}

void GroupWriter::insertRows(const Batch& batch) {
    insertAll(entities_, batch.entities, bindEntity);
    insertAll(activities_, batch.activities, bindActivity);
    for (const ActivityEnd& end : batch.ends) {
        endActivity_.bindInt(1, end.activity);
        endActivity_.bindDouble(2, end.ended);
        endActivity_.bindText(3, end.status);
        endActivity_.bindTextOrNull(4, end.error);
        endActivity_.run();
    }
    insertAll(used_, batch.used, bindUsed);
    insertAll(generated_, batch.generated, bindGenerated);
    insertAll(derivations_, batch.derivations, bindDerivation);
    insertAll(models_, batch.models, bindModel);
    insertAll(decisions_, batch.decisions, bindDecision);
    insertAll(statuses_, batch.statuses, bindSiteStatus);
}

void GroupWriter::writeDigests(const Batch& batch) {
    // Whole buckets are written (INSERT OR REPLACE), never added up in SQL: SQLite turns an
    // overflowing integer sum into a float, and the sums wrap modulo 2^64 by design. So the
    // writer keeps each group's open bucket, and a group commit writes every bucket it touched,
    // in its own transaction: the digests always describe exactly the committed entities.
    ++commits_;
    struct Finished {
        const DigestKey* key;
        int64_t bucket;
        BucketDigest digest;
    };
    std::vector<Finished> finished;
    std::vector<std::pair<const DigestKey*, OpenGroup*>> touched;  // each group once, in order
    // A group's rows seldom come alone, but interleaved: an item, then its task's value. The
    // groups found last are tried first, most recent in front, before a lookup in the map.
    std::array<std::pair<const DigestKey*, OpenGroup*>, 4> recent{};
    auto find = [&](int64_t run, const std::string& kind, const std::string& label) {
        for (std::size_t i = 0; i < recent.size() && recent[i].first; ++i) {
            const auto& [r, k, l] = *recent[i].first;
            if (r == run && k == kind && l == label) {
                const auto at = recent.begin() + static_cast<std::ptrdiff_t>(i);
                std::rotate(recent.begin(), at, at + 1);
                return recent[0];
            }
        }
        auto it = groups_.try_emplace(DigestKey{run, kind, label}).first;
        std::move_backward(recent.begin(), recent.end() - 1, recent.end());
        recent[0] = {&it->first, &it->second};
        return recent[0];
    };
    auto add = [&](int64_t run, const std::string& kind, const std::string& label, uint64_t hash, int64_t id) {
        auto [key, g] = find(run, kind, label);
        const bool first = g->touchedIn != commits_;  // the first entity of this commit in the group
        if (first) digestsBefore_.emplace_back(g, *g);
        if (g->size > 0 && g->size % kBucketEntities == 0) {  // the open bucket is full
            // Written now when this commit added to it; else the last commit wrote it whole.
            if (!first) finished.push_back({key, (g->size - 1) / kBucketEntities, g->open});
            g->open = BucketDigest{};
        }
        g->open.add(hash, id);
        ++g->size;
        if (first) {
            g->touchedIn = commits_;
            touched.emplace_back(key, g);
        }
    };
    for (const EntityRow& row : batch.entities) add(row.run, row.record.kind, row.record.label, hashValue(row.record.hash), row.id);
    // Decisions too, as group ("decision", their kind), hashed by what they say rather than by
    // the ids they name, so the same choice in two runs digests alike (decisionSignature).
    static const std::string decision = "decision";
    for (const DecisionRow& row : batch.decisions)
        add(row.run, decision, row.record.kind, decisionSignature(row.record.kind, row.record.choice, row.record.reason), row.id);
    for (const auto& [key, g] : touched) finished.push_back({key, (g->size - 1) / kBucketEntities, g->open});
    for (const Finished& t : finished) {
        const auto& [run, kind, label] = *t.key;
        addDigest_.bindInt(1, run);
        addDigest_.bindText(2, kind);
        addDigest_.bindText(3, label);
        addDigest_.bindInt(4, t.bucket);
        addDigest_.bindInt(5, t.digest.count);
        addDigest_.bindInt(6, static_cast<int64_t>(t.digest.sum));
        addDigest_.bindInt(7, static_cast<int64_t>(t.digest.mix));
        addDigest_.bindInt(8, t.digest.first);
        addDigest_.bindInt(9, t.digest.last);
        addDigest_.run();
    }
}

}  // namespace xdml::runtime::prov
