// ProvenanceQueries.cpp — each query timed alone (its check runs outside the clock), on a
// different subject every repetition so that SQLite's page cache does not answer from the last.
#include "ProvenanceQueries.h"

#include "query/Lineage.h"
#include "query/ModelHistory.h"
#include "query/RunDiff.h"
#include "query/Why.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace xdml::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

/// Repetition `rep` of `reps` picks its subject from the middle of the rep-th slice of `n`.
std::size_t spread(int rep, int reps, std::size_t n) {
    return std::min(n - 1, (2 * static_cast<std::size_t>(rep) + 1) * n / (2 * static_cast<std::size_t>(reps)));
}

/// `ask(rep)` answers; `check(rep, answer)` says what is wrong with it ("" when right);
/// `describe(answer)` sums the last answer up for the output.
template <class Ask, class Check, class Describe>
QueryFigure timed(std::string name, bool judged, int reps, Ask ask, Check check, Describe describe) {
    QueryFigure f{.name = std::move(name), .judged = judged, .reps = reps};
    std::vector<double> ms;
    json answer;
    for (int rep = 0; rep < reps; ++rep) {
        const auto start = Clock::now();
        answer = ask(rep);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (std::string wrong = check(rep, answer); !wrong.empty() && f.wrong.empty()) f.wrong = wrong;
    }
    std::sort(ms.begin(), ms.end());
    f.medianMs = ms[ms.size() / 2];
    f.maxMs = ms.back();
    f.answer = describe(answer);
    return f;
}

std::string idText(int64_t id) { return std::to_string(id); }

QueryFigure lineageDepth10(query::ProvDb& db, const CapturedRun& run, int reps) {
    auto chainAt = [&](int rep) -> const Chain& { return run.chains[spread(rep, reps, run.chains.size())]; };
    constexpr int depth = RunShape::kChainSteps;
    return timed(
        "lineage depth 10", true, reps,
        [&](int rep) {
            return query::walk(db, chainAt(rep).values[depth], query::Direction::Backward,
                               query::WalkLimits{.maxDepth = depth});
        },
        [&](int rep, const json& g) -> std::string {
            const Chain& c = chainAt(rep);
            const std::string from = "backward from entity " + idText(c.values[depth]) + ": ";
            if (g["entities"].size() != depth + 1 || g["activities"].size() != depth)
                return from + std::to_string(g["entities"].size()) + " entities and " +
                       std::to_string(g["activities"].size()) + " activities, expected 11 and 10";
            int deepest = -1;
            for (const json& e : g["entities"]) {
                const int d = e["depth"].get<int>();
                if (d < 0 || d > depth || e["id"].get<int64_t>() != c.values[static_cast<std::size_t>(depth - d)])
                    return from + "entity " + e["id"].dump() + " at depth " + std::to_string(d) + " is not in its chain";
                deepest = std::max(deepest, d);
            }
            return deepest == depth ? "" : from + "deepest entity at depth " + std::to_string(deepest) + ", expected 10";
        },
        [](const json& g) {
            return std::to_string(g["entities"].size()) + " entities and " + std::to_string(g["activities"].size()) +
                   " activities, the deepest at depth " + g["entities"].back()["depth"].dump();
        });
}

QueryFigure producedByModel(query::ProvDb& db, const CapturedRun& run, int reps) {
    auto at = [&](int rep) -> const Inference& { return run.inferences[spread(rep, reps, run.inferences.size())]; };
    return timed(
        "which model version produced this", true, reps, [&](int rep) { return query::producedBy(db, at(rep).value); },
        [&](int rep, const json& a) -> std::string {
            const Inference& want = at(rep);
            const std::string expected = ", expected peaks version " + idText(want.version) + " (models row " +
                                         idText(want.modelRow) + ")";
            if (a["versions"].empty()) return "entity " + idText(want.value) + ": no version" + expected;
            const json& first = a["versions"][0];
            if (first["id"].get<int64_t>() != want.modelRow || first["version"].get<int64_t>() != want.version)
                return "entity " + idText(want.value) + ": " + first["model"].get<std::string>() + " version " +
                       first["version"].dump() + " first" + expected;
            return "";
        },
        [](const json& a) {
            const json& first = a["versions"][0];
            return "peaks version " + first["version"].dump() + " first (" + first["how"].get<std::string>() + "), " +
                   std::to_string(a["versions"].size()) + " versions within 16 hops";
        });
}

QueryFigure forwardImpact(query::ProvDb& db, const CapturedRun& run, int reps) {
    auto chainAt = [&](int rep) -> const Chain& { return run.chains[spread(rep, reps, run.chains.size())]; };
    return timed(
        "forward impact", true, reps,
        [&](int rep) { return query::walk(db, chainAt(rep).item, query::Direction::Forward); },
        [&](int rep, const json& g) -> std::string {
            const Chain& c = chainAt(rep);
            std::set<int64_t> want(c.values.begin(), c.values.end()), got;
            want.insert(c.item);
            for (const json& e : g["entities"]) got.insert(e["id"].get<int64_t>());
            const std::string from = "forward from frame entity " + idText(c.item) + ": ";
            if (got != want)
                return from + std::to_string(got.size()) + " entities, expected its peaks and their chain (" +
                       std::to_string(want.size()) + ")";
            if (g["ends"] != json::array({c.values.back()}) || g["truncated"].get<bool>())
                return from + "ends " + g["ends"].dump() + ", expected [" + idText(c.values.back()) + "]";
            return "";
        },
        [](const json& g) {
            return std::to_string(g["entities"].size()) + " entities and " + std::to_string(g["activities"].size()) +
                   " activities, ending at one hits record";
        });
}

QueryFigure runDiff(query::ProvDb& db, const CapturedRun& first, const CapturedRun& second, int64_t alteredSeq,
                    int reps) {
    const int64_t inA = first.itemIds[static_cast<std::size_t>(alteredSeq)];
    const int64_t inB = second.itemIds[static_cast<std::size_t>(alteredSeq)];
    struct Expected {
        std::string category;
        int64_t differing;
    };
    // The altered frame, and what was made from it: its peaks and its refinement chain.
    const std::map<std::string, Expected> expected = {{"item frames", {"input", 1}},
                                                      {"value peaks", {"intermediate", 1}},
                                                      {"value refined", {"intermediate", RunShape::kChainSteps - 1}},
                                                      {"record hits", {"output", 1}}};
    return timed(
        "run diff", true, reps, [&](int) { return query::diffRuns(db, first.run, second.run); },
        [&](int, const json& d) -> std::string {
            std::string names;
            for (const json& g : d["groups"]) names += (names.empty() ? "" : ", ") + g["group"].get<std::string>();
            if (d["groups"].size() != expected.size())
                return std::to_string(d["groups"].size()) + " groups differ (" + names +
                       "), expected item frames, value peaks, value refined, record hits";
            for (const json& g : d["groups"]) {
                auto it = expected.find(g["group"].get<std::string>());
                if (it == expected.end()) return "group " + g["group"].get<std::string>() + " differs, expected not";
                const Expected& e = it->second;
                if (g["category"] != e.category || g["only_a_count"] != e.differing || g["only_b_count"] != e.differing)
                    return "group " + it->first + ": " + g["category"].get<std::string>() + ", " +
                           g["only_a_count"].dump() + " only in run " + idText(first.run) + " and " +
                           g["only_b_count"].dump() + " only in run " + idText(second.run) + ", expected " +
                           e.category + " with " + std::to_string(e.differing) + " on each side";
                if (e.category == "input" && (g["only_a"][0]["id"] != inA || g["only_b"][0]["id"] != inB))
                    return "the differing frames are " + g["only_a"][0]["id"].dump() + " and " +
                           g["only_b"][0]["id"].dump() + ", expected " + idText(inA) + " and " + idText(inB);
            }
            if (!d["identical"]["decisions"].get<bool>()) return "decisions differ, expected the same";
            return "";
        },
        [&](const json& d) {
            return "1 input differs (frames[" + idText(alteredSeq) + "]: entity " + idText(inA) + " vs " +
                   idText(inB) + "), downstream 1 peaks, " + std::to_string(RunShape::kChainSteps - 1) +
                   " refined, 1 hits; " + d["same_groups"].dump() + " groups the same";
        });
}

QueryFigure modelVersions(query::ProvDb& db, const CapturedRun& run, int reps) {
    return timed(
        "model history", false, reps, [&](int) { return query::modelHistory(db, "peaks", run.run); },
        [&](int, const json& h) -> std::string {
            const json& v = h["versions"];
            if (static_cast<int64_t>(v.size()) != run.versions + 1 || v.back()["train_stop"].is_null())
                return std::to_string(v.size()) + " versions, expected " + std::to_string(run.versions + 1) +
                       ", the last with its train_stop";
            return "";
        },
        [](const json& h) { return std::to_string(h["versions"].size()) + " versions, each with its train_stop"; });
}

QueryFigure impactOfTrainedFrame(query::ProvDb& db, const CapturedRun& run, int reps) {
    const int64_t frame = run.trainedItems[run.trainedItems.size() / 2];
    return timed(
        "forward impact of a frame trained on", false, reps,
        [&](int) { return query::walk(db, frame, query::Direction::Forward); },
        [&](int, const json& g) -> std::string {
            return g["entities"].size() > 2 ? "" : "forward from frame entity " + idText(frame) + " reached no model";
        },
        [](const json& g) {
            return std::to_string(g["entities"].size()) + " entities and " + std::to_string(g["activities"].size()) +
                   " activities" + (g["truncated"].get<bool>() ? ", truncated at WalkLimits::maxNodes" : "");
        });
}

}  // namespace

std::vector<QueryFigure> timeQueries(query::ProvDb& db, const CapturedRun& first, const CapturedRun& second,
                                     int64_t alteredSeq, int reps) {
    std::vector<QueryFigure> out;
    out.push_back(lineageDepth10(db, first, reps));
    out.push_back(producedByModel(db, first, reps));
    out.push_back(forwardImpact(db, first, reps));
    out.push_back(runDiff(db, first, second, alteredSeq, reps));
    out.push_back(modelVersions(db, first, std::min(reps, 5)));
    // Everything every later version classified: the impact of bad training data. Once: it
    // walks until WalkLimits::maxNodes at full size.
    out.push_back(impactOfTrainedFrame(db, first, 1));
    return out;
}

}  // namespace xdml::bench
