// Lineage.cpp — breadth-first over the lineage links, with prepared statements reused for
// every step (a step is two or three index lookups: docs/provenance.md, Indexes).
#include "query/Lineage.h"

#include "query/Rows.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace xdml::query {

namespace {

struct Walker {
    explicit Walker(ProvDb& db)
        : entityRow(db.sql().prepare("SELECT id, run, kind, label, type, hash, bytes, site, stream, seq, path, created,"
                                     " valid FROM entities WHERE id = ?1")),
          activityRow(db.sql().prepare("SELECT id, run, kind, name, handler, site, started, ended, status, error, line"
                                       " FROM activities WHERE id = ?1")),
          // Ordered as the tables' keys ordered them before the links became views (schema 6):
          // the walk's order, and what it keeps when it stops at its limit, stay the same.
          generatedBy(db.sql().prepare("SELECT activity FROM generated WHERE entity = ?1 ORDER BY activity")),
          usedBy(db.sql().prepare("SELECT entity, role FROM used WHERE activity = ?1 ORDER BY entity, role")),
          derivedFrom(db.sql().prepare("SELECT from_entity, activity FROM derivations WHERE entity = ?1")),
          usersOf(db.sql().prepare("SELECT activity, role FROM used WHERE entity = ?1 ORDER BY activity, role")),
          generatedIn(db.sql().prepare("SELECT entity FROM generated WHERE activity = ?1 ORDER BY entity")),
          derivedInto(db.sql().prepare("SELECT entity, activity FROM derivations WHERE from_entity = ?1")) {}

    runtime::sqlite::Statement entityRow, activityRow, generatedBy, usedBy, derivedFrom, usersOf, generatedIn,
        derivedInto;
};

nlohmann::json fetch(runtime::sqlite::Statement& s, int64_t id) {
    s.reset();
    s.bindInt(1, id);
    if (!s.step()) return nullptr;  // a dangling link (keys are not enforced): shown as missing
    nlohmann::json row = rowJson(s);
    s.reset();
    return row;
}

}  // namespace

nlohmann::json walk(ProvDb& db, int64_t entity, Direction direction, WalkLimits limits) {
    ReadSnapshot snapshot(db);
    Walker w(db);
    const bool back = direction == Direction::Backward;
    std::map<int64_t, int> entityDepth, activityDepth;
    std::set<std::tuple<std::string, int64_t, int64_t, std::string>> edgeSet;
    nlohmann::json edges = nlohmann::json::array();
    std::deque<int64_t> queue{entity};
    entityDepth[entity] = 0;
    bool truncated = false;
    std::set<int64_t> hasNext;  // entities with a further step in the walk's direction

    auto addEdge = [&](const std::string& kind, int64_t a, int64_t b, const std::string& extra, nlohmann::json edge) {
        if (edgeSet.emplace(kind, a, b, extra).second) edges.push_back(std::move(edge));
    };
    auto reach = [&](int64_t next, int depth) {
        if (entityDepth.count(next)) return;
        if (entityDepth.size() + activityDepth.size() >= limits.maxNodes) {
            truncated = true;
            return;
        }
        entityDepth[next] = depth;
        queue.push_back(next);
    };
    auto reachActivity = [&](int64_t a, int depth) {
        if (activityDepth.count(a)) return true;
        if (entityDepth.size() + activityDepth.size() >= limits.maxNodes) {
            truncated = true;
            return false;
        }
        activityDepth[a] = depth;
        return true;
    };

    while (!queue.empty()) {
        const int64_t e = queue.front();
        queue.pop_front();
        const int depth = entityDepth[e];
        bool deeper = limits.maxDepth == 0 || depth < limits.maxDepth;
        if (deeper && !limits.stopAtKind.empty() && e != entity) {
            w.entityRow.reset();
            w.entityRow.bindInt(1, e);
            if (w.entityRow.step() && w.entityRow.columnText(2) == limits.stopAtKind) deeper = false;
            w.entityRow.reset();
        }
        if (back) {
            std::vector<int64_t> makers;
            w.generatedBy.reset();
            w.generatedBy.bindInt(1, e);
            while (w.generatedBy.step()) makers.push_back(w.generatedBy.columnInt(0));
            for (int64_t a : makers) {
                hasNext.insert(e);
                if (!deeper) continue;
                addEdge("generated", e, a, "", {{"kind", "generated"}, {"entity", e}, {"activity", a}});
                if (!reachActivity(a, depth)) continue;
                w.usedBy.reset();
                w.usedBy.bindInt(1, a);
                std::vector<std::pair<int64_t, std::string>> inputs;
                while (w.usedBy.step()) inputs.emplace_back(w.usedBy.columnInt(0), w.usedBy.columnText(1));
                for (const auto& [input, role] : inputs) {
                    addEdge("used", a, input, role, {{"kind", "used"}, {"activity", a}, {"entity", input}, {"role", role}});
                    reach(input, depth + 1);
                }
            }
            w.derivedFrom.reset();
            w.derivedFrom.bindInt(1, e);
            std::vector<std::pair<int64_t, int64_t>> froms;
            while (w.derivedFrom.step())
                froms.emplace_back(w.derivedFrom.columnInt(0), w.derivedFrom.isNull(1) ? -1 : w.derivedFrom.columnInt(1));
            for (const auto& [from, a] : froms) {
                hasNext.insert(e);
                if (!deeper) continue;
                addEdge("derived", e, from, "", {{"kind", "derived"}, {"entity", e}, {"from", from},
                                                 {"activity", a > 0 ? nlohmann::json(a) : nlohmann::json(nullptr)}});
                reach(from, depth + 1);
            }
        } else {
            std::vector<std::pair<int64_t, std::string>> users;
            w.usersOf.reset();
            w.usersOf.bindInt(1, e);
            while (w.usersOf.step()) users.emplace_back(w.usersOf.columnInt(0), w.usersOf.columnText(1));
            for (const auto& [a, role] : users) {
                if (!deeper) {
                    hasNext.insert(e);
                    continue;
                }
                addEdge("used", a, e, role, {{"kind", "used"}, {"activity", a}, {"entity", e}, {"role", role}});
                if (!reachActivity(a, depth)) continue;
                w.generatedIn.reset();
                w.generatedIn.bindInt(1, a);
                std::vector<int64_t> outputs;
                while (w.generatedIn.step()) outputs.push_back(w.generatedIn.columnInt(0));
                for (int64_t out : outputs) {
                    hasNext.insert(e);
                    addEdge("generated", out, a, "", {{"kind", "generated"}, {"entity", out}, {"activity", a}});
                    reach(out, depth + 1);
                }
            }
            w.derivedInto.reset();
            w.derivedInto.bindInt(1, e);
            std::vector<std::pair<int64_t, int64_t>> intos;
            while (w.derivedInto.step())
                intos.emplace_back(w.derivedInto.columnInt(0), w.derivedInto.isNull(1) ? -1 : w.derivedInto.columnInt(1));
            for (const auto& [into, a] : intos) {
                hasNext.insert(e);
                if (!deeper) continue;
                addEdge("derived", into, e, "", {{"kind", "derived"}, {"entity", into}, {"from", e},
                                                 {"activity", a > 0 ? nlohmann::json(a) : nlohmann::json(nullptr)}});
                reach(into, depth + 1);
            }
        }
    }

    std::vector<std::pair<int, int64_t>> order;
    for (const auto& [id, d] : entityDepth) order.emplace_back(d, id);
    std::sort(order.begin(), order.end());
    nlohmann::json entities = nlohmann::json::array(), ends = nlohmann::json::array();
    for (const auto& [d, id] : order) {
        nlohmann::json row = fetch(w.entityRow, id);
        if (row.is_null()) row = {{"id", id}, {"missing", true}};
        else row["valid"] = row["valid"].get<int64_t>() != 0;
        row["depth"] = d;
        entities.push_back(std::move(row));
        if (!hasNext.count(id)) ends.push_back(id);
    }
    nlohmann::json activities = nlohmann::json::array();
    for (const auto& [id, d] : activityDepth) {
        nlohmann::json row = fetch(w.activityRow, id);
        if (row.is_null()) row = {{"id", id}, {"missing", true}};
        row["depth"] = d;
        activities.push_back(std::move(row));
    }
    return {{"root", entity},
            {"direction", back ? "backward" : "forward"},
            {"entities", std::move(entities)},
            {"activities", std::move(activities)},
            {"edges", std::move(edges)},
            {"ends", std::move(ends)},
            {"max_depth", limits.maxDepth},
            {"truncated", truncated}};
}

}  // namespace xdml::query
