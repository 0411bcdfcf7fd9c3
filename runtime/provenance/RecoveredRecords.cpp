// RecoveredRecords.cpp — see RecoveredRecords.h.
#include "runtime/provenance/RecoveredRecords.h"

#include "runtime/provenance/Clock.h"
#include "runtime/provenance/Digest.h"
#include "runtime/provenance/Kinds.h"

#include <map>
#include <set>

namespace xdml::runtime::prov {

namespace {

/// The rows of `catalog` that already have their record entity in `run`.
std::set<int64_t> rowsWithEntities(sqlite::Connection& db, int64_t run, const std::string& catalog) {
    sqlite::Statement q = db.prepare(
        "SELECT seq FROM entities WHERE run = ?1 AND kind = 'record' AND label = ?2 AND seq IS NOT NULL");
    q.bindInt(1, run);
    q.bindText(2, catalog);
    std::set<int64_t> out;
    while (q.step()) out.insert(q.columnInt(0));
    return out;
}

/// Whether `table` has row `id` in `run`: ids of a killed run that never committed may have
/// been given to a later run's rows, which a recovered link must not name.
bool belongsTo(sqlite::Connection& db, const char* table, int64_t id, int64_t run) {
    if (id <= 0) return false;
    sqlite::Statement q = db.prepare(std::string("SELECT count(*) FROM ") + table + " WHERE id = ?1 AND run = ?2");
    q.bindInt(1, id);
    q.bindInt(2, run);
    return q.step() && q.columnInt(0) > 0;
}

/// Writes the digests of group (run, 'record', catalog) again from its entities in id order,
/// as the group writer would have (Digest.h): its buckets now count the recovered entities.
void rebuildDigests(sqlite::Connection& db, int64_t run, const std::string& catalog) {
    const std::string kind(entity_kind::record);
    sqlite::Statement clear = db.prepare("DELETE FROM digests WHERE run = ?1 AND kind = ?2 AND label = ?3");
    clear.bindInt(1, run);
    clear.bindText(2, kind);
    clear.bindText(3, catalog);
    clear.run();
    std::map<int64_t, BucketDigest> buckets;
    sqlite::Statement q =
        db.prepare("SELECT id, hash FROM entities WHERE run = ?1 AND kind = ?2 AND label = ?3 ORDER BY id");
    q.bindInt(1, run);
    q.bindText(2, kind);
    q.bindText(3, catalog);
    for (int64_t ordinal = 0; q.step(); ++ordinal)
        buckets[ordinal / kBucketEntities].add(hashValue(q.columnText(1)), q.columnInt(0));
    sqlite::Statement put = db.prepare(
        "INSERT INTO digests (run, kind, label, bucket, count, sum, mix, first_id, last_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const auto& [bucket, d] : buckets) {
        put.bindInt(1, run);
        put.bindText(2, kind);
        put.bindText(3, catalog);
        put.bindInt(4, bucket);
        put.bindInt(5, d.count);
        put.bindInt(6, static_cast<int64_t>(d.sum));
        put.bindInt(7, static_cast<int64_t>(d.mix));
        put.bindInt(8, d.first);
        put.bindInt(9, d.last);
        put.run();
    }
}

}  // namespace

int writeRecoveredRecords(sqlite::Connection& db, int64_t nextId, const std::string& catalog,
                          const std::vector<RecordOrigin>& origins) {
    sqlite::Transaction tx(db, sqlite::Transaction::Mode::Write);
    sqlite::Statement entity = db.prepare(
        "INSERT INTO entities (id, run, kind, label, hash, bytes, site, seq, created, valid)"
        " VALUES (?1, ?2, 'record', ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    sqlite::Statement derivation =
        db.prepare("INSERT INTO derivations (entity, from_entity, activity) VALUES (?1, ?2, ?3)");
    sqlite::Statement generated = db.prepare("INSERT OR IGNORE INTO generated (entity, activity) VALUES (?1, ?2)");
    sqlite::Statement sourceValid = db.prepare("SELECT valid FROM entities WHERE id = ?1");
    std::map<int64_t, std::set<int64_t>> present;  // per run, the rows that have their entity
    std::set<int64_t> touchedRuns;
    const double now = secondsNow();
    int written = 0;
    for (const RecordOrigin& o : origins) {
        auto [it, fresh] = present.try_emplace(o.run);
        if (fresh) it->second = rowsWithEntities(db, o.run, catalog);
        if (!it->second.insert(o.row).second) continue;
        const bool hasSource = belongsTo(db, "entities", o.from, o.run);
        const bool hasActivity = belongsTo(db, "activities", o.activity, o.run);
        // Made from invalidated data, the record is invalid too, as endRun would have marked it.
        bool valid = true;
        if (hasSource) {
            sourceValid.bindInt(1, o.from);
            valid = !sourceValid.step() || sourceValid.columnInt(0) != 0;
            sourceValid.reset();
        }
        const int64_t id = nextId++;
        entity.bindInt(1, id);
        entity.bindInt(2, o.run);
        entity.bindText(3, catalog);
        entity.bindTextOrNull(4, o.hash);
        entity.bindInt(5, o.bytes);
        entity.bindTextOrNull(6, o.site);
        entity.bindInt(7, o.row);
        entity.bindDouble(8, now);
        entity.bindInt(9, valid ? 1 : 0);
        entity.run();
        if (hasSource) {
            derivation.bindInt(1, id);
            derivation.bindInt(2, o.from);
            derivation.bindId(3, hasActivity ? o.activity : -1);
            derivation.run();
        }
        if (hasActivity) {
            generated.bindInt(1, id);
            generated.bindInt(2, o.activity);
            generated.run();
        }
        touchedRuns.insert(o.run);
        ++written;
    }
    for (int64_t run : touchedRuns) rebuildDigests(db, run, catalog);
    tx.commit();
    return written;
}

}  // namespace xdml::runtime::prov
