// RunDiff.cpp — group digests first, then rows of the buckets that differ, matched by hash.
#include "query/RunDiff.h"

#include "query/Rows.h"
#include "runtime/provenance/Digest.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace xdml::query {

namespace {

namespace prov = runtime::prov;
using GroupKey = std::pair<std::string, std::string>;  // (kind, label); ("decision", kind)
using Buckets = std::map<int64_t, prov::BucketDigest>;

bool isDecisionGroup(const GroupKey& k) {
    return k.first == "decision";
}

/// Rehearsal snapshots are hashed over their members' ids, which every run numbers afresh;
/// the versions trained from them carry their effect, so they are not compared.
bool compared(const GroupKey& k) {
    return k.first != "rehearsal_snapshot";
}

/// The digests of run `run`: as the writer kept them, or computed from the rows for a run
/// without them (recorded before schema 2, or one whose groups were lost).
std::map<GroupKey, Buckets> digestsOf(ProvDb& db, int64_t run) {
    std::map<GroupKey, Buckets> out;
    const std::string status = db.run(run).value("status", "");
    if (db.hasDigests() && status != "incomplete") {
        auto s = db.sql().prepare(
            "SELECT kind, label, bucket, count, sum, mix, first_id, last_id FROM digests WHERE run = ?1");
        s.bindInt(1, run);
        // Rows come in key order (run, kind, label, bucket): a group's key is made once.
        Buckets* group = nullptr;
        std::string kind, label;
        while (s.step()) {
            if (!group || s.columnBlob(0) != kind || s.columnBlob(1) != label) {
                kind = s.columnBlob(0);
                label = s.columnBlob(1);
                group = &out[{kind, label}];
            }
            prov::BucketDigest d;
            d.count = s.columnInt(3);
            d.sum = static_cast<uint64_t>(s.columnInt(4));
            d.mix = static_cast<uint64_t>(s.columnInt(5));
            d.first = s.columnInt(6);
            d.last = s.columnInt(7);
            group->emplace_hint(group->end(), s.columnInt(2), d);
        }
        if (!out.empty() || db.sql().queryInt("SELECT count(*) FROM entities WHERE run = " + std::to_string(run)) == 0)
            return out;
    }
    // Computed as the writer does: each group's members in id order, kBucketEntities a bucket.
    std::map<GroupKey, int64_t> sizes;
    auto add = [&](GroupKey key, uint64_t hash, int64_t id) {
        int64_t& n = sizes[key];
        out[key][n / prov::kBucketEntities].add(hash, id);
        ++n;
    };
    auto e = db.sql().prepare("SELECT id, kind, COALESCE(label, ''), hash FROM entities WHERE run = ?1 ORDER BY id");
    e.bindInt(1, run);
    while (e.step()) add({e.columnText(1), e.columnText(2)}, prov::hashValue(e.isNull(3) ? "" : e.columnText(3)), e.columnInt(0));
    auto d = db.sql().prepare(
        "SELECT id, kind, COALESCE(choice, ''), COALESCE(reason, '') FROM decisions WHERE run = ?1 ORDER BY id");
    d.bindInt(1, run);
    while (d.step()) {
        const std::string kind = d.columnText(1);
        add({"decision", kind}, prov::decisionSignature(kind, d.columnText(2), d.columnText(3)), d.columnInt(0));
    }
    return out;
}

prov::BucketDigest total(const Buckets& b) {
    prov::BucketDigest t;
    for (const auto& [i, d] : b) t.merge(d);
    return t;
}

struct Member {
    int64_t id;
    uint64_t hash;
    int64_t seq;        // where it sits in its run: a stream position, or -1
    std::string file;   // else the file's name ("" none)
};

/// The members of the given buckets of one group in one run, with their comparison hash.
std::vector<Member> membersOf(ProvDb& db, int64_t run, const GroupKey& key, const std::vector<prov::BucketDigest>& buckets) {
    std::vector<Member> out;
    const bool decisions = isDecisionGroup(key);
    auto s = db.sql().prepare(
        decisions ? "SELECT id, COALESCE(choice, ''), COALESCE(reason, '') FROM decisions"
                    " WHERE run = ?3 AND kind = ?4 AND id BETWEEN ?1 AND ?2"
                  // entities_by_group (run, kind, label) then the id range: only the bucket's rows
                  // are read, however sparse the group is among the run's entities.
                  : "SELECT id, hash, seq, path FROM entities WHERE run = ?3 AND kind = ?4 AND label IS ?5"
                    " AND id BETWEEN ?1 AND ?2");
    for (const prov::BucketDigest& b : buckets) {
        s.reset();
        s.bindInt(1, b.first);
        s.bindInt(2, b.last);
        s.bindInt(3, run);
        s.bindText(4, decisions ? key.second : key.first);
        if (!decisions) s.bindTextOrNull(5, key.second);  // an empty label is stored as NULL
        while (s.step()) {
            const uint64_t h = decisions ? prov::decisionSignature(key.second, s.columnBlob(1), s.columnBlob(2))
                                         : prov::hashValue(s.columnBlob(1));
            Member m{s.columnInt(0), h, -1, {}};
            if (!decisions && !s.isNull(2)) m.seq = s.columnInt(2);
            else if (!decisions && !s.isNull(3)) m.file = std::filesystem::path(s.columnText(3)).filename().string();
            out.push_back(std::move(m));
        }
    }
    return out;
}

nlohmann::json rowsOf(ProvDb& db, bool decisions, const std::vector<int64_t>& ids) {
    nlohmann::json rows = nlohmann::json::array();
    auto s = db.sql().prepare(decisions ? "SELECT id, kind, subject, choice, reason FROM decisions WHERE id = ?1"
                                        : "SELECT id, run, kind, label, stream, seq, path, hash, valid FROM entities WHERE id = ?1");
    for (int64_t id : ids) {
        s.reset();
        s.bindInt(1, id);
        if (!s.step()) continue;
        nlohmann::json row = rowJson(s);
        if (row.contains("valid") && row["valid"].is_number()) row["valid"] = row["valid"].get<int64_t>() != 0;
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string categoryOf(ProvDb& db, const GroupKey& key, const Buckets& a, const Buckets& b) {
    // What a catalog held when the run started is state the run found, not a choice it made.
    if (isDecisionGroup(key)) return key.second == "catalog_state" ? "state" : "decision";
    const std::string& kind = key.first;
    if (kind == "record" || kind == "model_version") return "output";
    if (kind == "value") return "intermediate";
    // Items and files: made by a step of the run (emitted, written) or taken in from outside.
    for (const Buckets* side : {&a, &b})
        if (!side->empty()) {
            auto s = db.sql().prepare("SELECT count(*) FROM generated WHERE entity = ?1");
            s.bindInt(1, side->begin()->second.first);
            s.step();
            return s.columnInt(0) > 0 ? "output" : "input";
        }
    return "input";
}

nlohmann::json same(const nlohmann::json& a, const nlohmann::json& b) {
    return {{"same", a == b}, {"a", a}, {"b", b}};
}

/// The code a run's Python task calls ran: each task's module hashes (one, unless the file
/// changed while the run went on), from its activities.
nlohmann::json pythonCode(ProvDb& db, int64_t run) {
    nlohmann::json code = nlohmann::json::object();
    auto s = db.sql().prepare(kPythonCodeOfRunSql);
    s.bindInt(1, run);
    while (s.step()) code[s.columnText(0)].push_back(s.columnText(1));
    return code;
}

}  // namespace

nlohmann::json diffRuns(ProvDb& db, int64_t a, int64_t b, DiffOptions options) {
    ReadSnapshot snapshot(db);
    const nlohmann::json runA = db.run(a), runB = db.run(b);
    nlohmann::json out;
    out["runs"] = {a, b};
    out["script"] = same(runA["script_hash"], runB["script_hash"]);
    out["script"]["path_a"] = runA["script_path"];
    out["script"]["path_b"] = runB["script_path"];
    out["flow"] = same(runA["flow"], runB["flow"]);
    out["seed"] = same(runA["seed"], runB["seed"]);
    out["arguments"] = same(runA["arguments"], runB["arguments"]);
    // The Python functions' modules, compared as the script is: an edited module is an edited flow.
    out["code"] = same(pythonCode(db, a), pythonCode(db, b));

    const auto digestsA = digestsOf(db, a), digestsB = digestsOf(db, b);
    std::set<GroupKey> keys;
    for (const auto& [k, v] : digestsA) keys.insert(k);
    for (const auto& [k, v] : digestsB) keys.insert(k);
    static const Buckets kNone;
    nlohmann::json groups = nlohmann::json::array();
    std::map<std::string, bool> identical = {
        {"inputs", true}, {"outputs", true}, {"intermediates", true}, {"decisions", true}, {"state", true}};
    int sameGroups = 0;
    for (const GroupKey& key : keys) {
        if (!compared(key)) continue;
        auto ia = digestsA.find(key), ib = digestsB.find(key);
        const Buckets& ba = ia == digestsA.end() ? kNone : ia->second;
        const Buckets& bb = ib == digestsB.end() ? kNone : ib->second;
        const prov::BucketDigest ta = total(ba), tb = total(bb);
        if (ta.sameContent(tb)) {
            ++sameGroups;
            continue;
        }
        // Buckets at the same position with the same content hold the same members; the rest
        // are read and matched by hash across the whole group.
        std::vector<prov::BucketDigest> readA, readB;
        for (const auto& [i, d] : ba) {
            auto o = bb.find(i);
            if (o == bb.end() || !o->second.sameContent(d)) readA.push_back(d);
        }
        for (const auto& [i, d] : bb) {
            auto o = ba.find(i);
            if (o == ba.end() || !o->second.sameContent(d)) readB.push_back(d);
        }
        std::vector<Member> ma = membersOf(db, a, key, readA), mb = membersOf(db, b, key, readB);
        // Matched by content, preferring the same place: of two equal frames, the one at the
        // same stream position is the counterpart, so a change is reported where it happened.
        std::map<std::tuple<uint64_t, int64_t, std::string_view>, std::vector<std::size_t>> samePlace;
        for (std::size_t i = 0; i < mb.size(); ++i) samePlace[{mb[i].hash, mb[i].seq, mb[i].file}].push_back(i);
        std::vector<bool> matchedB(mb.size(), false);
        std::vector<const Member*> restA;
        for (const Member& m : ma) {
            auto it = samePlace.find({m.hash, m.seq, m.file});
            if (it != samePlace.end() && !it->second.empty()) {
                matchedB[it->second.back()] = true;
                it->second.pop_back();
            } else {
                restA.push_back(&m);
            }
        }
        std::map<uint64_t, std::vector<std::size_t>> pool;  // hash -> b's members still unmatched
        for (std::size_t i = 0; i < mb.size(); ++i)
            if (!matchedB[i]) pool[mb[i].hash].push_back(i);
        std::vector<int64_t> onlyA, onlyB;
        for (const Member* m : restA) {
            auto it = pool.find(m->hash);
            if (it != pool.end() && !it->second.empty()) {
                matchedB[it->second.back()] = true;
                it->second.pop_back();
            } else {
                onlyA.push_back(m->id);
            }
        }
        for (std::size_t i = 0; i < mb.size(); ++i)
            if (!matchedB[i]) onlyB.push_back(mb[i].id);
        std::sort(onlyA.begin(), onlyA.end());
        std::sort(onlyB.begin(), onlyB.end());
        const std::string category = categoryOf(db, key, ba, bb);
        identical[category == "decision" ? "decisions" : category == "intermediate" ? "intermediates"
                  : category == "state" ? "state" : category + "s"] = false;
        const bool decisions = isDecisionGroup(key);
        const std::size_t na = onlyA.size(), nb = onlyB.size();
        onlyA.resize(std::min(na, options.maxListed));
        onlyB.resize(std::min(nb, options.maxListed));
        groups.push_back({{"group", (decisions ? "decision " + key.second : key.first + (key.second.empty() ? "" : " " + key.second))},
                          {"kind", key.first},
                          {"label", key.second},
                          {"category", category},
                          {"count", {ta.count, tb.count}},
                          {"only_a", rowsOf(db, decisions, onlyA)},
                          {"only_b", rowsOf(db, decisions, onlyB)},
                          {"only_a_count", na},
                          {"only_b_count", nb}});
    }
    out["groups"] = std::move(groups);
    out["same_groups"] = sameGroups;
    out["identical"] = identical;
    out["identical"]["script"] = out["script"]["same"];
    out["identical"]["code"] = out["code"]["same"];
    return out;
}

}  // namespace xdml::query
