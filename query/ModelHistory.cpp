// ModelHistory.cpp — the models rows of one model (models_by_name) joined with their weights
// entity and their training's train_stop decision.
#include "query/ModelHistory.h"

#include "query/Rows.h"

namespace xdml::query {

namespace {

/// How many entity ids the ranges [[first, last], ...] of a models.items field cover.
int64_t countRanges(const nlohmann::json& ranges) {
    int64_t n = 0;
    if (!ranges.is_array()) return 0;
    for (const nlohmann::json& r : ranges)
        if (r.is_array() && r.size() == 2 && r[0].is_number_integer() && r[1].is_number_integer())
            n += r[1].get<int64_t>() - r[0].get<int64_t>() + 1;
    return n;
}

}  // namespace

nlohmann::json modelHistory(ProvDb& db, const std::string& model, int64_t run) {
    ReadSnapshot snapshot(db);
    auto s = db.sql().prepare(
        "SELECT m.id, m.run, m.model, m.version, m.parent, p.version AS parent_version, p.run AS parent_run,"
        " m.entity, m.metrics, m.items, m.snapshot, m.created, e.hash, e.path, e.valid,"
        " (SELECT g.activity FROM generated g WHERE g.entity = m.entity ORDER BY g.activity LIMIT 1) AS training"
        " FROM models m LEFT JOIN models p ON p.id = m.parent LEFT JOIN entities e ON e.id = m.entity"
        " WHERE m.model = ?1 AND m.run = ?2 ORDER BY m.version, m.id");
    s.bindText(1, model);
    s.bindInt(2, run);
    auto stop = db.sql().prepare(
        "SELECT id, kind, subject, choice, reason, inputs, time FROM decisions WHERE subject = ?1 AND kind = 'train_stop'");
    nlohmann::json versions = nlohmann::json::array();
    while (s.step()) {
        nlohmann::json v = rowJson(s, {"metrics", "items", "snapshot"});
        v["weights"] = {{"hash", v["hash"]}, {"path", v["path"]}, {"valid", v["valid"].is_null() || v["valid"].get<int64_t>() != 0}};
        v.erase("hash");
        v.erase("path");
        v.erase("valid");
        const nlohmann::json& items = v["items"];
        v["trained_items"] = items.is_object() ? countRanges(items.value("train", nlohmann::json())) : 0;
        v["held_out_items"] = items.is_object() ? countRanges(items.value("heldout", nlohmann::json())) : 0;
        v["train_stop"] = nullptr;
        if (v["training"].is_number()) {
            stop.reset();
            const std::string subject = "activity:" + std::to_string(v["training"].get<int64_t>());
            stop.bindText(1, subject);  // not copied: it must live until step() has run
            if (stop.step()) v["train_stop"] = rowJson(stop, {"inputs"});
        }
        versions.push_back(std::move(v));
    }
    if (versions.empty()) {
        auto others = db.sql().prepare("SELECT DISTINCT run FROM models WHERE model = ?1 ORDER BY run");
        others.bindText(1, model);
        std::string runs;
        while (others.step()) runs += (runs.empty() ? "" : ", ") + std::to_string(others.columnInt(0));
        auto names = db.sql().prepare("SELECT DISTINCT model FROM models WHERE run = ?1 ORDER BY model");
        names.bindInt(1, run);
        std::string here;
        while (names.step()) here += (here.empty() ? "" : ", ") + names.columnText(0);
        throw QueryError("run " + std::to_string(run) + " has no model '" + model + "'" +
                         (runs.empty() ? "" : " (runs with it: " + runs + "; pass --run)") +
                         (here.empty() ? "; it has no models" : "; its models: " + here));
    }
    return {{"model", model}, {"run", run}, {"versions", std::move(versions)}};
}

}  // namespace xdml::query
