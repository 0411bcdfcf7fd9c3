// WhyNot.cpp — see WhyNot.h. The handlers come from the run's plan, the answers from the item's
// decisions (decisions_by_subject) and the firings that used it (used_by_entity).
#include "query/WhyNot.h"

#include "query/Rows.h"

#include <algorithm>
#include <map>

namespace xdml::query {

using nlohmann::json;

namespace {

/// The chain of a type and its bases, the type first, as the plan declares them.
std::vector<std::pair<std::string, const json*>> typeChain(const json& types, std::string type) {
    std::vector<std::pair<std::string, const json*>> chain;
    while (types.contains(type) && chain.size() < 64) {
        const json& t = types[type];
        chain.emplace_back(type, &t);
        if (!t.contains("is") || t["is"].value("kind", "") != "named") break;
        type = t["is"].value("name", "");
    }
    return chain;
}

std::string title(const json& h) {
    std::string t = "on new data of type " + h.value("type", "") + " in " + h.value("stream", "");
    if (h.value("every", 1) > 1) t += " every " + std::to_string(h.value("every", 1));
    return t;
}

}  // namespace

json whyNot(ProvDb& db, int64_t entity, const std::string& handlerText) {
    ReadSnapshot snapshot(db);
    json item = db.entity(entity);
    if (item["kind"] != "item")
        throw QueryError("entity " + std::to_string(entity) + " is a " + item["kind"].get<std::string>() +
                         ", not a stream item: why-not asks about the items handlers take");
    const int64_t run = item["run"].get<int64_t>();
    const std::string stream = item["stream"].is_string() ? item["stream"].get<std::string>() : "";
    const json plan = json::parse(db.runPlan(run), nullptr, false);
    if (!plan.is_object() || !plan.contains("handlers"))
        throw QueryError("run " + std::to_string(run) + " recorded no plan: its handlers are not known");
    const json types = plan.contains("code") && plan["code"].contains("types") ? plan["code"]["types"] : json::object();

    // What the run decided about the item, by kind.
    std::vector<json> decisions;
    auto d = db.sql().prepare(
        "SELECT id, kind, subject, choice, reason, inputs, model_version, time FROM decisions WHERE subject = ?1 ORDER BY id");
    const std::string subject = "entity:" + std::to_string(entity), streamSubject = "stream:" + stream;
    d.bindText(1, subject);  // bound without a copy: the text outlives the statement's steps
    while (d.step()) decisions.push_back(rowJson(d, {"inputs"}));
    // The type tests counted rather than recorded one by one (ItemTypes::kTestBlock), whose range
    // holds the item.
    std::vector<json> counted;
    auto c = db.sql().prepare(
        "SELECT id, kind, subject, choice, reason, inputs, model_version, time FROM decisions"
        " WHERE run = ?1 AND kind = 'type_test' AND subject = ?2 ORDER BY id");
    c.bindInt(1, run);
    c.bindText(2, streamSubject);
    const int64_t seq = item["seq"].is_number() ? item["seq"].get<int64_t>() : -1;
    while (c.step()) {
        json x = rowJson(c, {"inputs"});
        if (x["inputs"].is_object() && x["inputs"].value("first_seq", int64_t{-1}) <= seq && seq <= x["inputs"].value("last_seq", int64_t{-1}))
            counted.push_back(std::move(x));
    }
    // The handler firings that used it.
    std::map<int64_t, int64_t> firedBy;  // handler -> activity
    std::map<int64_t, std::string> failedBy;
    auto f = db.sql().prepare(
        "SELECT a.handler, a.id, a.status, a.error FROM used u JOIN activities a ON a.id = u.activity"
        " WHERE u.entity = ?1 AND a.kind = 'handler' ORDER BY a.id");
    f.bindInt(1, entity);
    while (f.step()) {
        if (f.isNull(0)) continue;
        firedBy.emplace(f.columnInt(0), f.columnInt(1));
        if (f.columnText(2) == "failed") failedBy[f.columnInt(0)] = f.isNull(3) ? "" : f.columnText(3);
    }

    json handlers = json::array();
    bool matched = false;
    for (const json& h : plan["handlers"]) {
        if (h.value("kind", "") != "data" || h.value("stream", "") != stream) continue;
        const int64_t id = h.value("id", int64_t{-1});
        const std::string type = h.value("type", "");
        const std::string name = title(h);
        if (!handlerText.empty() && handlerText != std::to_string(id) && handlerText != type &&
            name.find(handlerText) == std::string::npos)
            continue;
        matched = true;
        json answer = {{"handler", id}, {"title", name}, {"type", type}, {"flow", h.value("flow", "")}};
        // The chain's decisions, from the base down; the first that did not hold says why.
        json because = json::array();
        std::string why;
        auto chain = typeChain(types, type);
        std::reverse(chain.begin(), chain.end());
        for (const auto& [link, t] : chain) {
            if (t->contains("where")) {
                bool tested = false;
                for (const json& x : decisions)
                    if (x["kind"] == "type_test" && x["inputs"].is_object() && x["inputs"].value("type", "") == link) {
                        because.push_back(x);
                        tested = true;
                        if (!x["inputs"].value("holds", true) && why.empty()) why = x["reason"].get<std::string>();
                    }
                for (const json& x : counted)
                    if (!tested && x["inputs"].value("type", "") == link && firedBy.count(id) == 0) {
                        because.push_back(x);
                        if (why.empty())
                            why = "item " + std::to_string(seq) + " of " + stream + " is not a " + link +
                                  ": its test was counted, not recorded with its values: " + x["reason"].get<std::string>();
                    }
            } else if (t->contains("classified_by")) {
                const std::string model = (*t)["classified_by"].value("model", "");
                const std::string cls = (*t)["classified_by"].value("class", "");
                for (const json& x : decisions)
                    if (x["kind"] == "inferred_type" && x["inputs"].is_object() && x["inputs"].value("model", "") == model) {
                        because.push_back(x);
                        if (x["choice"] != cls && why.empty())
                            why = x["reason"].get<std::string>() + ", not as \"" + cls + "\" (type " + link + ")";
                    }
            }
            if (!why.empty()) break;
        }
        if (auto it = firedBy.find(id); it != firedBy.end()) {
            answer["handled"] = true;
            answer["activity"] = it->second;
            answer["why"] = failedBy.count(id) ? "it was handled, and the firing failed: " + failedBy[id]
                                               : "it was handled (activity " + std::to_string(it->second) + ")";
        } else {
            answer["handled"] = false;
            for (const json& x : decisions)
                if (x["kind"] == "reuse" || x["kind"] == "backpressure" || x["kind"] == "invalidation") {
                    because.push_back(x);
                    if (why.empty()) why = x["kind"].get<std::string>() + ": " + (x["reason"].is_string() ? x["reason"].get<std::string>() : "");
                }
            if (why.empty())
                why = h.value("every", 1) > 1 ? "no firing used it: a group of " + std::to_string(h.value("every", 1)) +
                                                    " it belonged to was not complete when the stream ended"
                      : std::none_of(chain.begin(), chain.end(), [](const auto& c) {
                            return c.second->contains("where") || c.second->contains("classified_by");
                        })
                          ? "no firing used it, and its type is not decided per item: the run ended or was stopped before "
                            "the item was dispatched, or the firing was dropped"
                          : "no decision about it was recorded: the run ended or was stopped before the item was dispatched";
            answer["why"] = why;
        }
        answer["decisions"] = because;
        handlers.push_back(std::move(answer));
    }
    if (!matched)
        throw QueryError(handlerText.empty() ? "no handler of run " + std::to_string(run) + " takes items of stream " + stream
                                             : "no handler of stream " + stream + " matches '" + handlerText +
                                                   "' (give its type, its number or part of its title)");
    return {{"entity", item}, {"handlers", handlers}};
}

}  // namespace xdml::query
