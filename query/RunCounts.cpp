// RunCounts.cpp — see RunCounts.h.
#include "query/RunCounts.h"

namespace xdml::query {

nlohmann::json runCounts(ProvDb& db, int64_t run) {
    ReadSnapshot snapshot(db);
    // Each count is one index range (entities_by_group, activities_by_run, decisions_by_kind).
    auto s = db.sql().prepare(
        "SELECT (SELECT count(*) FROM entities WHERE run = ?1),"
        " (SELECT count(*) FROM activities WHERE run = ?1),"
        " (SELECT count(*) FROM decisions WHERE run = ?1),"
        " (SELECT count(*) FROM models WHERE run = ?1),"
        " (SELECT count(*) FROM entities WHERE run = ?1 AND valid = 0),"
        " (SELECT count(*) FROM entities WHERE run = ?1 AND kind = 'item'),"
        " (SELECT count(*) FROM activities WHERE run = ?1 AND kind = 'handler'),"
        " (SELECT count(*) FROM activities WHERE run = ?1 AND kind = 'task'),"
        // An aggregate over a join with the `generated` view would build the view whole; an IN
        // subquery searches it by index (docs/provenance.md "Queries").
        " (SELECT COALESCE(SUM(e.bytes), 0) FROM entities e WHERE e.id IN (SELECT entity FROM generated"
        "   WHERE activity IN (SELECT id FROM activities WHERE run = ?1 AND kind = 'transfer'))),"
        " (SELECT COALESCE(SUM(e.bytes), 0) FROM entities e WHERE e.run = ?1 AND " + std::string(kWrittenByRun) + ")");
    s.bindInt(1, run);
    s.step();
    static const char* names[] = {"entities", "activities", "decisions", "model_versions", "invalid",
                                  "items",    "firings",    "tasks",     "bytes_moved",    "bytes_written"};
    nlohmann::json out = nlohmann::json::object();
    for (int c = 0; c < 10; ++c) out[names[c]] = s.columnInt(c);
    return out;
}

}  // namespace xdml::query
