// Invalidate.cpp — the forward closure (Lineage.h), marked in one transaction with its reason.
#include "query/Invalidate.h"

#include "query/Lineage.h"

#include <ctime>

namespace xdml::query {

nlohmann::json invalidate(ProvDb& db, int64_t entity, const std::string& reason) {
    const nlohmann::json root = db.entity(entity);
    const nlohmann::json graph = walk(db, entity, Direction::Forward, WalkLimits{0, 50'000'000});
    runtime::sqlite::Transaction tx(db.sql(), runtime::sqlite::Transaction::Mode::Write);
    auto mark = db.sql().prepare("UPDATE entities SET valid = 0 WHERE id = ?1 AND valid = 1");
    auto changed = db.sql().prepare("SELECT changes()");
    int64_t marked = 0, already = 0;
    nlohmann::json listed = nlohmann::json::array();
    for (const nlohmann::json& e : graph["entities"]) {
        if (e.value("missing", false)) continue;
        mark.reset();
        mark.bindInt(1, e["id"].get<int64_t>());
        mark.run();
        changed.reset();
        changed.step();
        if (changed.columnInt(0) > 0) ++marked;
        else ++already;
        if (listed.size() < 100) listed.push_back(e["id"]);
    }
    if (marked == 0) {  // nothing new: the first invalidation's decision already says why
        tx.commit();
        return {{"root", entity}, {"reason", ""}, {"invalidated", 0}, {"already_invalid", already},
                {"entities", listed}, {"truncated", graph["truncated"]}, {"decision", nullptr}};
    }
    // Decision ids are handed out by a run's store from MAX(id) + 1; the writer lock this
    // connection holds means no store is open, so the next id is free.
    const int64_t id = db.sql().queryInt("SELECT COALESCE(MAX(id), 0) + 1 FROM decisions");
    auto d = db.sql().prepare(
        "INSERT INTO decisions (id, run, kind, subject, choice, reason, inputs, model_version, time)"
        " VALUES (?1, ?2, 'invalidation', ?3, 'invalid', ?4, ?5, NULL, ?6)");
    d.bindInt(1, id);
    d.bindInt(2, root["run"].get<int64_t>());
    // Bound text is not copied (Sqlite.h): every string lives until the insert has run.
    const std::string subject = "entity:" + std::to_string(entity);
    const std::string why = reason.empty() ? "invalidated by a user (no reason given)" : reason;
    const std::string inputs = nlohmann::json({{"invalidated", marked}, {"already_invalid", already}}).dump();
    d.bindText(3, subject);
    d.bindText(4, why);
    d.bindText(5, inputs);
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    d.bindDouble(6, static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9);
    d.run();
    tx.commit();
    return {{"root", entity}, {"reason", why}, {"invalidated", marked}, {"already_invalid", already},
            {"entities", listed}, {"truncated", graph["truncated"]}, {"decision", id}};
}

}  // namespace xdml::query
