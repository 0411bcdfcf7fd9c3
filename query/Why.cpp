// Why.cpp — gathers decisions by their subject (decisions_by_subject) around one step.
#include "query/Why.h"

#include "query/Lineage.h"
#include "query/Rows.h"

#include <set>

namespace xdml::query {

namespace {

constexpr const char* kDecisionColumns =
    "SELECT id, run, kind, subject, choice, reason, inputs, model_version, time FROM decisions";

struct Gatherer {
    explicit Gatherer(ProvDb& db)
        : db(db),
          bySubject(db.sql().prepare(std::string(kDecisionColumns) + " WHERE subject = ?1 ORDER BY id")),
          used(db.sql().prepare("SELECT u.entity, u.role, e.kind FROM used u LEFT JOIN entities e ON e.id = u.entity"
                                " WHERE u.activity = ?1 ORDER BY u.entity, u.role")),
          madeBy(db.sql().prepare("SELECT activity FROM generated WHERE entity = ?1 ORDER BY activity")),
          modelByEntity(db.sql().prepare("SELECT id, run, model, version, parent, entity, metrics, items, snapshot,"
                                         " created FROM models WHERE entity = ?1")),
          modelById(db.sql().prepare("SELECT id, run, model, version, parent, entity, metrics, items, snapshot,"
                                     " created FROM models WHERE id = ?1")),
          placements(db.sql().prepare(std::string(kDecisionColumns) +
                                      " WHERE run = ?1 AND kind = 'placement' AND ((json_valid(inputs) AND json_extract(inputs, '$.label') = ?2)"
                                      " OR reason LIKE 'task ''' || ?2 || ''' moved%') ORDER BY id")) {}

    void decisionsAbout(const std::string& subject, const std::string& about) {
        bySubject.reset();
        bySubject.bindText(1, subject);
        while (bySubject.step()) {
            nlohmann::json d = rowJson(bySubject, {"inputs"});
            if (!seen.insert(d["id"].get<int64_t>()).second) continue;
            d["about"] = about;
            if (d["model_version"].is_number()) addModel(modelById, d["model_version"].get<int64_t>(), "decided");
            decisions.push_back(std::move(d));
        }
    }

    void addModel(runtime::sqlite::Statement& s, int64_t key, const std::string& how) {
        s.reset();
        s.bindInt(1, key);
        if (!s.step()) return;
        nlohmann::json m = rowJson(s, {"metrics", "items", "snapshot"});
        s.reset();
        if (!modelsSeen.insert(m["id"].get<int64_t>()).second) return;
        m["how"] = how;
        models.push_back(std::move(m));
    }

    /// An activity's own decisions, its placement, and those about what it used.
    void aroundActivity(const nlohmann::json& a) {
        const int64_t id = a["id"].get<int64_t>();
        decisionsAbout("activity:" + std::to_string(id), "activity " + std::to_string(id));
        if (a["kind"] == "task" && a["name"].is_string()) {
            placements.reset();
            placements.bindInt(1, a["run"].get<int64_t>());
            const std::string task = a["name"].get<std::string>();  // bound, not copied: kept alive
            placements.bindText(2, task);
            while (placements.step()) {
                nlohmann::json d = rowJson(placements, {"inputs"});
                if (!seen.insert(d["id"].get<int64_t>()).second) continue;
                d["about"] = "task " + a["name"].get<std::string>();
                decisions.push_back(std::move(d));
            }
        }
        used.reset();
        used.bindInt(1, id);
        std::vector<std::tuple<int64_t, std::string, std::string>> inputs;
        while (used.step()) inputs.emplace_back(used.columnInt(0), used.columnText(1), used.isNull(2) ? "" : used.columnText(2));
        for (const auto& [e, role, kind] : inputs) {
            if (kind == "model_version") addModel(modelByEntity, e, "used by activity " + std::to_string(id));
            // The item's inferred type or invalidation; a training's thousand items would bury
            // the answer, so only the inputs of other steps are asked about.
            if (a["kind"] != "training")
                decisionsAbout("entity:" + std::to_string(e), "entity " + std::to_string(e) + " (" +
                                                                   (role.empty() ? "used" : role) + ")");
        }
    }

    ProvDb& db;
    runtime::sqlite::Statement bySubject, used, madeBy, modelByEntity, modelById, placements;
    nlohmann::json decisions = nlohmann::json::array(), models = nlohmann::json::array();
    std::set<int64_t> seen, modelsSeen;
};

}  // namespace

nlohmann::json why(ProvDb& db, Subject subject) {
    ReadSnapshot snapshot(db);
    Gatherer g(db);
    nlohmann::json out;
    if (subject.kind == Subject::Kind::Activity) {
        nlohmann::json a = db.activity(subject.id);
        g.aroundActivity(a);
        out["activity"] = std::move(a);
    } else {
        nlohmann::json e = db.entity(subject.id);
        g.decisionsAbout("entity:" + std::to_string(subject.id), "entity " + std::to_string(subject.id));
        if (e["kind"] == "model_version") g.addModel(g.modelByEntity, subject.id, "this version");
        // The steps that made it, and those that made what it was derived from (a record is
        // derived from the task's value, a copy from its original): the decisions behind a
        // result are mostly about the task that computed it.
        auto from = db.sql().prepare("SELECT from_entity FROM derivations WHERE entity = ?1");
        std::vector<int64_t> chain{subject.id};
        std::set<int64_t> inChain{subject.id};
        for (std::size_t i = 0; i < chain.size() && chain.size() < 64; ++i) {
            from.reset();
            from.bindInt(1, chain[i]);
            while (from.step())
                if (inChain.insert(from.columnInt(0)).second) chain.push_back(from.columnInt(0));
        }
        nlohmann::json made = nlohmann::json::array(), derived = nlohmann::json::array();
        std::set<int64_t> makersSeen;
        for (int64_t id : chain) {
            g.madeBy.reset();
            g.madeBy.bindInt(1, id);
            std::vector<int64_t> makers;
            while (g.madeBy.step()) makers.push_back(g.madeBy.columnInt(0));
            for (int64_t a : makers) {
                if (!makersSeen.insert(a).second) continue;
                nlohmann::json row = db.activity(a);
                g.aroundActivity(row);
                if (id != subject.id) row["made"] = id;
                made.push_back(std::move(row));
            }
            if (id != subject.id) {
                g.decisionsAbout("entity:" + std::to_string(id), "entity " + std::to_string(id));
                derived.push_back(id);
            }
        }
        out["derived_from"] = std::move(derived);
        out["entity"] = std::move(e);
        out["made_by"] = std::move(made);
    }
    out["decisions"] = std::move(g.decisions);
    out["models"] = std::move(g.models);
    return out;
}

nlohmann::json producedBy(ProvDb& db, int64_t entity, int depth) {
    ReadSnapshot snapshot(db);
    // Nearest first: the walk lists entities by depth, and each step's models are added in
    // turn. A model version ends its path: what trained it is its own history (`models`).
    WalkLimits limits{depth, 20000};
    limits.stopAtKind = "model_version";
    nlohmann::json graph = walk(db, entity, Direction::Backward, limits);
    Gatherer g(db);
    for (const nlohmann::json& e : graph["entities"]) {
        const int64_t id = e["id"].get<int64_t>();
        g.decisionsAbout("entity:" + std::to_string(id), "entity " + std::to_string(id));
        if (e.value("kind", "") == "model_version") g.addModel(g.modelByEntity, id, "in its lineage at depth " + std::to_string(e["depth"].get<int>()));
    }
    for (const nlohmann::json& a : graph["activities"]) {
        g.used.reset();
        g.used.bindInt(1, a["id"].get<int64_t>());
        std::vector<int64_t> weights;
        while (g.used.step())
            if (!g.used.isNull(2) && g.used.columnText(2) == "model_version") weights.push_back(g.used.columnInt(0));
        for (int64_t w : weights) g.addModel(g.modelByEntity, w, "used by activity " + std::to_string(a["id"].get<int64_t>()));
    }
    return {{"entity", entity}, {"versions", std::move(g.models)}};
}

}  // namespace xdml::query
