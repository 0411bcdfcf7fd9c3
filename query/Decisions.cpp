// Decisions.cpp — decisions_by_kind serves both the counts and a kind's rows.
#include "query/Decisions.h"

#include "query/Rows.h"

namespace xdml::query {

nlohmann::json runDecisions(ProvDb& db, int64_t run, const std::string& kind, std::size_t limit) {
    ReadSnapshot snapshot(db);
    nlohmann::json byKind = nlohmann::json::object();
    int64_t total = 0;
    auto counts = db.sql().prepare("SELECT kind, count(*) FROM decisions WHERE run = ?1 GROUP BY kind ORDER BY kind");
    counts.bindInt(1, run);
    while (counts.step()) {
        byKind[counts.columnText(0)] = counts.columnInt(1);
        total += counts.columnInt(1);
    }
    if (!kind.empty() && !byKind.contains(kind)) {
        std::string kinds;
        for (const auto& [k, count] : byKind.items()) kinds += (kinds.empty() ? "" : ", ") + k;
        throw QueryError("run " + std::to_string(run) + " has no decisions of kind '" + kind + "'" +
                         (kinds.empty() ? ": it recorded no decisions" : "; its kinds: " + kinds));
    }
    auto rows = db.sql().prepare(
        "SELECT id, kind, subject, choice, reason, inputs, model_version, time FROM decisions"
        " WHERE run = ?1 AND (?2 = '' OR kind = ?2) ORDER BY time, id LIMIT ?3");
    rows.bindInt(1, run);
    rows.bindText(2, kind);
    rows.bindInt(3, limit == 0 ? -1 : static_cast<int64_t>(limit));
    const int64_t matching = kind.empty() ? total : byKind.value(kind, int64_t{0});
    return {{"run", run},           {"total", total}, {"by_kind", byKind}, {"kind", kind},
            {"matching", matching}, {"decisions", allRows(rows, {"inputs"})}};
}

}  // namespace xdml::query
