// Render.cpp — see Render.h.
#include "query/Render.h"

#include "query/ProvDb.h"

#include <cstdio>
#include <map>
#include <set>
#include <vector>

namespace xdml::query {

using nlohmann::json;

namespace {

/// A member of an answer, or null when it has none: reading a missing key of a const json with
/// operator[] is undefined, and answers differ in which members they carry.
const json& at(const json& j, const std::string& key) {
    static const json none;
    if (!j.is_object()) return none;
    auto it = j.find(key);
    return it == j.end() ? none : *it;
}

std::string text(const json& v, const std::string& otherwise = "") {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return otherwise;
    return v.dump();
}

std::string number(double v, const char* format = "%.4g") {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

std::string shortHash(const json& h) {
    return h.is_string() ? h.get<std::string>() : "-";
}

/// What an entity is, in the flow's words: "item frames[3]", "record stills", "file out.npy".
std::string nameOf(const json& e) {
    if (e.value("missing", false)) return "(not recorded)";
    const std::string kind = text(at(e, "kind"));
    if (kind == "item" && at(e, "stream").is_string() && at(e, "seq").is_number())
        return "item " + at(e, "stream").get<std::string>() + "[" + std::to_string(at(e, "seq").get<int64_t>()) + "]";
    return kind + (at(e, "label").is_string() ? " " + at(e, "label").get<std::string>() : "");
}

}  // namespace

std::string describeEntity(const json& e) {
    std::string line = "entity " + text(at(e, "id")) + ": " + nameOf(e);
    if (e.value("missing", false)) return line;
    line += "  hash " + shortHash(at(e, "hash"));
    if (at(e, "site").is_string()) line += "  at " + at(e, "site").get<std::string>();
    if (at(e, "path").is_string()) line += "  from " + at(e, "path").get<std::string>();
    if (e.contains("run") && e.contains("depth") == false) line += "  (run " + text(at(e, "run")) + ")";
    const json& valid = at(e, "valid");
    if ((valid.is_boolean() && !valid.get<bool>()) || (valid.is_number() && valid.get<int64_t>() == 0)) line += "  INVALID";
    return line;
}

std::string describeActivity(const json& a) {
    if (a.value("missing", false)) return "activity " + text(at(a, "id")) + ": (not recorded)";
    std::string line = "activity " + text(at(a, "id")) + ": " + text(at(a, "kind")) + " " + text(at(a, "name"));
    if (at(a, "site").is_string()) line += " at " + at(a, "site").get<std::string>();
    line += ", " + text(at(a, "status"));
    if (at(a, "started").is_number() && at(a, "ended").is_number())
        line += " in " + number((at(a, "ended").get<double>() - at(a, "started").get<double>()) * 1000, "%.3g") + " ms";
    if (at(a, "line").is_number()) line += " (line " + text(at(a, "line")) + ")";
    if (at(a, "error").is_string()) line += ": " + at(a, "error").get<std::string>();
    return line;
}

void renderRuns(const json& runs, std::ostream& out) {
    char line[512];
    std::snprintf(line, sizeof line, "%5s  %-10s  %-12s  %-16s  %-23s  %10s  %9s  %10s  %9s  %7s  %s\n", "run", "status",
                  "flow", "script hash", "started (UTC)", "duration", "entities", "activities", "decisions", "invalid",
                  "script");
    out << line;
    for (const json& r : runs) {
        const std::string duration = at(r, "ended").is_number()
                                         ? number(at(r, "ended").get<double>() - at(r, "started").get<double>(), "%.2f") + " s"
                                         : "-";
        std::snprintf(line, sizeof line, "%5lld  %-10s  %-12s  %-16s  %-23s  %10s  %9lld  %10lld  %9lld  %7lld  %s\n",
                      static_cast<long long>(at(r, "id").get<int64_t>()), text(at(r, "status")).c_str(),
                      text(at(r, "flow"), "(all)").empty() ? "(all)" : text(at(r, "flow"), "(all)").c_str(),
                      text(at(r, "script_hash"), "-").c_str(), formatTime(at(r, "started").get<double>()).c_str(), duration.c_str(),
                      static_cast<long long>(at(r, "entities").get<int64_t>()), static_cast<long long>(at(r, "activities").get<int64_t>()),
                      static_cast<long long>(at(r, "decisions").get<int64_t>()), static_cast<long long>(at(r, "invalid").get<int64_t>()),
                      text(at(r, "script_path"), "-").c_str());
        out << line;
        if (at(r, "replay_of").is_number()) out << "       (a replay of run " << at(r, "replay_of").get<int64_t>() << ")\n";
    }
}

void renderGraph(const json& graph, std::ostream& out) {
    const bool back = at(graph, "direction") == "backward";
    std::map<int64_t, const json*> entities, activities;
    for (const json& e : at(graph, "entities")) entities[at(e, "id").get<int64_t>()] = &e;
    for (const json& a : at(graph, "activities")) activities[at(a, "id").get<int64_t>()] = &a;
    // Children in the walk's direction: entity -> (activity, role) or (derived entity).
    struct Step {
        int64_t activity = -1;  // -1: a derivation without an activity step of its own
        int64_t entity = -1;
        std::string role;
    };
    std::map<int64_t, std::vector<Step>> fromEntity;   // entity -> activities reached from it
    std::map<int64_t, std::vector<Step>> fromActivity;  // activity -> entities reached from it
    for (const json& edge : at(graph, "edges")) {
        const std::string kind = at(edge, "kind");
        const int64_t e = at(edge, "entity").get<int64_t>();
        if (kind == "derived") {
            const int64_t from = at(edge, "from").get<int64_t>();
            if (back) fromEntity[e].push_back({-1, from, "derived from"});
            else fromEntity[from].push_back({-1, e, "derived into"});
        } else if (kind == "generated") {
            const int64_t a = at(edge, "activity").get<int64_t>();
            if (back) fromEntity[e].push_back({a, -1, "generated by"});
            else fromActivity[a].push_back({a, e, "generated"});
        } else {
            const int64_t a = at(edge, "activity").get<int64_t>();
            const std::string role = text(at(edge, "role"));
            if (back) fromActivity[a].push_back({a, e, role.empty() ? "used" : "used as " + role});
            else fromEntity[e].push_back({a, -1, role.empty() ? "used by" : "used as " + role + " by"});
        }
    }
    std::set<int64_t> shownEntities, shownActivities;
    auto entityLine = [&](int64_t id) {
        auto it = entities.find(id);
        return it == entities.end() ? "entity " + std::to_string(id) : describeEntity(*it->second);
    };
    auto activityLine = [&](int64_t id) {
        auto it = activities.find(id);
        return it == activities.end() ? "activity " + std::to_string(id) : describeActivity(*it->second);
    };
    // Depth-first, each node expanded once (a shared ancestor says "see above").
    std::function<void(int64_t, const std::string&)> showEntity = [&](int64_t id, const std::string& indent) {
        if (!shownEntities.insert(id).second) return;
        for (const Step& s : fromEntity[id]) {
            if (s.activity < 0) {
                const bool seen = shownEntities.count(s.entity) > 0;
                out << indent << (back ? "<- " : "-> ") << s.role << " " << entityLine(s.entity) << (seen ? "  (see above)" : "") << "\n";
                showEntity(s.entity, indent + "   ");
                continue;
            }
            const bool seen = !shownActivities.insert(s.activity).second;
            out << indent << (back ? "<- " : "-> ") << s.role << " " << activityLine(s.activity) << (seen ? "  (see above)" : "") << "\n";
            if (seen) continue;
            for (const Step& t : fromActivity[s.activity]) {
                const bool again = shownEntities.count(t.entity) > 0;
                out << indent << "   " << (back ? "<- " : "-> ") << t.role << " " << entityLine(t.entity)
                    << (again ? "  (see above)" : "") << "\n";
                showEntity(t.entity, indent + "      ");
            }
        }
    };
    const int64_t root = at(graph, "root").get<int64_t>();
    out << entityLine(root) << "\n";
    showEntity(root, "  ");
    const json& ends = at(graph, "ends");
    std::vector<int64_t> others;
    for (const json& id : ends)
        if (id.get<int64_t>() != root) others.push_back(id.get<int64_t>());
    out << "\n" << (back ? "sources" : "results") << " (" << others.size() << "):";
    if (others.empty()) out << " none";
    out << "\n";
    for (int64_t id : others) out << "  " << entityLine(id) << "\n";
    int invalid = 0;
    for (const json& e : at(graph, "entities"))
        if (at(e, "valid").is_boolean() && !at(e, "valid").get<bool>()) ++invalid;
    out << at(graph, "entities").size() << " entities, " << at(graph, "activities").size() << " activities";
    if (invalid) out << ", " << invalid << " invalid";
    if (at(graph, "truncated").get<bool>()) out << " (truncated: the walk stopped at its node limit)";
    if (graph.value("max_depth", 0) > 0)
        out << " within " << at(graph, "max_depth").get<int>() << " steps (--depth; without it the walk goes to the "
            << (back ? "sources" : "results") << ")";
    out << "\n";
}

void renderDot(const json& graph, std::ostream& out) {
    auto escape = [](const std::string& s) {
        std::string o;
        for (char c : s) {
            if (c == '"' || c == '\\') o += '\\';
            o += c;
        }
        return o;
    };
    out << "digraph lineage {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
    for (const json& e : at(graph, "entities")) {
        const bool invalid = at(e, "valid").is_boolean() && !at(e, "valid").get<bool>();
        std::string label = "e" + text(at(e, "id")) + "\\n" + escape(nameOf(e));
        if (at(e, "hash").is_string()) label += "\\n" + at(e, "hash").get<std::string>().substr(0, 8);
        out << "  e" << text(at(e, "id")) << " [shape=ellipse, style=filled, fillcolor=\"" << (invalid ? "#f4a3a3" : "#fffc87")
            << "\", label=\"" << label << (invalid ? "\\nINVALID" : "") << "\""
            << (at(e, "id") == at(graph, "root") ? ", penwidth=2" : "") << "];\n";
    }
    for (const json& a : at(graph, "activities"))
        out << "  a" << text(at(a, "id")) << " [shape=box, style=filled, fillcolor=\"#9fb1fc\", label=\"a" << text(at(a, "id"))
            << "\\n" << escape(text(at(a, "kind")) + " " + text(at(a, "name"))) << "\"];\n";
    for (const json& edge : at(graph, "edges")) {
        const std::string kind = at(edge, "kind");
        if (kind == "used")
            out << "  a" << text(at(edge, "activity")) << " -> e" << text(at(edge, "entity")) << " [label=\"used"
                << (text(at(edge, "role")).empty() ? "" : " (" + escape(text(at(edge, "role"))) + ")") << "\"];\n";
        else if (kind == "generated")
            out << "  e" << text(at(edge, "entity")) << " -> a" << text(at(edge, "activity")) << " [label=\"wasGeneratedBy\"];\n";
        else
            out << "  e" << text(at(edge, "entity")) << " -> e" << text(at(edge, "from")) << " [label=\"wasDerivedFrom\", style=dashed];\n";
    }
    out << "}\n";
}

namespace {

void renderWhyDecisions(const json& decisions, std::ostream& out) {
    if (decisions.empty()) {
        out << "decisions: none recorded (a plain firing of a declared type is said in full by its activity)\n";
        return;
    }
    out << "decisions:\n";
    for (const json& d : decisions) {
        out << "  " << text(at(d, "kind")) << " (" << text(at(d, "about")) << "): " << text(at(d, "choice"));
        if (at(d, "reason").is_string()) out << "\n      " << at(d, "reason").get<std::string>();
        if (at(d, "model_version").is_number()) out << "  [models row " << at(d, "model_version").get<int64_t>() << "]";
        out << "\n";
    }
}

std::string metricsText(const json& m) {
    if (!m.is_object() || m.empty()) return "";
    std::string s;
    for (const char* k : {"accuracy", "loss", "epochs", "trained", "held_out", "rehearsed", "seconds"})
        if (m.contains(k) && m[k].is_number()) s += std::string(s.empty() ? "" : ", ") + k + " " + number(m[k].get<double>());
    return s;
}

void renderModelRows(const json& models, std::ostream& out) {
    for (const json& m : models) {
        out << "  " << text(at(m, "model")) << " version " << text(at(m, "version")) << " (run " << text(at(m, "run")) << ", models row "
            << text(at(m, "id")) << ")";
        if (m.contains("how")) out << ": " << text(at(m, "how"));
        const std::string metrics = metricsText(at(m, "metrics"));
        if (!metrics.empty()) out << "\n      " << metrics;
        out << "\n";
    }
}

}  // namespace

void renderWhyNot(const json& answer, std::ostream& out) {
    out << describeEntity(at(answer, "entity")) << "\n";
    for (const json& h : at(answer, "handlers")) {
        out << (at(h, "handled").get<bool>() ? "  handled by " : "  not handled by ") << text(at(h, "title")) << " (handler "
            << text(at(h, "handler")) << "):\n      " << text(at(h, "why")) << "\n";
    }
}

void renderWhy(const json& why, std::ostream& out) {
    if (why.contains("entity")) {
        out << describeEntity(at(why, "entity")) << "\n";
        if (at(why, "made_by").empty()) out << "made by: no recorded activity (an input of the run)\n";
        for (const json& a : at(why, "made_by"))
            out << (a.contains("made") ? "which is derived from entity " + text(at(a, "made")) + ", made by " : "made by ")
                << describeActivity(a) << "\n";
    } else {
        out << describeActivity(at(why, "activity")) << "\n";
    }
    renderWhyDecisions(at(why, "decisions"), out);
    if (!at(why, "models").empty()) {
        out << "model versions:\n";
        renderModelRows(at(why, "models"), out);
    }
}

void renderProducedBy(const json& produced, std::ostream& out) {
    if (at(produced, "versions").empty()) {
        out << "no model version took part in making entity " << text(at(produced, "entity")) << "\n";
        return;
    }
    out << "model versions behind entity " << text(at(produced, "entity")) << " (nearest first):\n";
    renderModelRows(at(produced, "versions"), out);
}

void renderDecisions(const json& decisions, std::ostream& out) {
    const json& rows = at(decisions, "decisions");
    out << "run " << text(at(decisions, "run")) << ": " << text(at(decisions, "total")) << " decisions";
    std::string kinds;
    for (const auto& [kind, count] : at(decisions, "by_kind").items()) kinds += (kinds.empty() ? "" : ", ") + text(count) + " " + kind;
    out << (kinds.empty() ? "" : " (" + kinds + ")") << "\n";
    for (const json& d : rows) {
        out << "  " << text(at(d, "id")) << "  " << text(at(d, "kind")) << "  " << text(at(d, "subject"), "-");
        if (!text(at(d, "choice")).empty()) out << " -> " << text(at(d, "choice"));
        if (!text(at(d, "reason")).empty()) out << ": " << text(at(d, "reason"));
        out << "\n";
    }
    const std::size_t shown = rows.size();
    const int64_t matching = at(decisions, "matching").get<int64_t>();
    if (static_cast<int64_t>(shown) < matching) out << "  (" << shown << " of " << matching << " shown; --limit 0 lists all)\n";
}

void renderModels(const json& history, std::ostream& out) {
    const json& versions = at(history, "versions");
    out << "model " << text(at(history, "model")) << ", run " << text(at(history, "run")) << ": " << versions.size()
        << (versions.size() == 1 ? " version\n" : " versions\n");
    for (const json& v : versions) {
        out << "  v" << text(at(v, "version"));
        if (at(v, "parent_version").is_number()) {
            out << " <- v" << text(at(v, "parent_version"));
            if (at(v, "parent_run") != at(v, "run")) out << " (run " << text(at(v, "parent_run")) << ")";
        } else {
            out << " (initial)";
        }
        const std::string metrics = metricsText(at(v, "metrics"));
        if (!metrics.empty()) out << "  " << metrics;
        out << "\n";
        if (at(v, "trained_items").get<int64_t>() > 0 || at(v, "held_out_items").get<int64_t>() > 0) {
            out << "      data: " << at(v, "trained_items").get<int64_t>() << " items trained on, "
                << at(v, "held_out_items").get<int64_t>() << " held out";
            if (at(v, "items").is_object() && at(v, "items").contains("stream")) out << " (stream " << text(at(at(v, "items"), "stream")) << ")";
            out << "\n";
        }
        if (at(v, "snapshot").is_object() && !at(v, "snapshot").contains("entity"))
            out << "      rehearsal snapshot: empty (nothing to rehearse yet)\n";
        else if (at(v, "snapshot").is_object())
            out << "      rehearsal snapshot: entity " << text(at(at(v, "snapshot"), "entity")) << ", " << text(at(at(v, "snapshot"), "size"))
                << " items of " << text(at(at(v, "snapshot"), "stream")) << "\n";
        if (at(v, "train_stop").is_object()) out << "      stopped: " << text(at(at(v, "train_stop"), "reason")) << "\n";
        out << "      weights: entity " << text(at(v, "entity"), "-") << "  hash " << text(at(at(v, "weights"), "hash"), "-") << "  "
            << text(at(at(v, "weights"), "path"), "") << (at(at(v, "weights"), "valid").get<bool>() ? "" : "  INVALID") << "\n";
    }
}

void renderDiff(const json& diff, std::ostream& out) {
    const int64_t a = at(diff, "runs")[0].get<int64_t>(), b = at(diff, "runs")[1].get<int64_t>();
    out << "runs " << a << " and " << b << "\n";
    auto sameLine = [&](const char* what, const json& s) {
        out << "  " << what << ": ";
        auto shown = [](const json& v) { return v.is_string() && v.get<std::string>().empty() ? "(all)" : text(v, "none"); };
        if (at(s, "same").get<bool>()) out << "same: " << shown(at(s, "a")) << "\n";
        else out << "DIFFER: " << shown(at(s, "a")) << " | " << shown(at(s, "b")) << "\n";
    };
    sameLine("script", at(diff, "script"));
    sameLine("flow", at(diff, "flow"));
    sameLine("seed", at(diff, "seed"));
    sameLine("arguments", at(diff, "arguments"));
    // Python modules: only when a run called a Python task.
    if (const json& code = at(diff, "code"); !at(code, "a").empty() || !at(code, "b").empty()) {
        std::set<std::string> tasks;
        for (const char* side : {"a", "b"})
            for (const auto& [task, hashes] : at(code, side).items()) tasks.insert(task);
        for (const std::string& task : tasks) {
            auto hashes = [&](const char* side) {
                const json& h = at(code, side);
                std::string out;
                if (h.contains(task))
                    for (const json& x : h[task]) out += (out.empty() ? "" : ",") + x.get<std::string>();
                return out.empty() ? std::string("not called") : out;
            };
            const std::string ha = hashes("a"), hb = hashes("b");
            out << "  python " << task << ": " << (ha == hb ? "same: " + ha : "DIFFER: " + ha + " | " + hb) << "\n";
        }
    }
    std::map<std::string, std::vector<const json*>> byCategory;
    for (const json& g : at(diff, "groups")) byCategory[at(g, "category")].push_back(&g);
    for (const char* category : {"input", "output", "decision", "intermediate", "state"}) {
        const auto& groups = byCategory[category];
        if (std::string(category) == "state" && groups.empty()) continue;
        out << "  " << category << (std::string(category) == "state" ? " at the start" : "s") << ": " << (groups.empty() ? "same" : std::to_string(groups.size()) + " group(s) differ") << "\n";
        for (const json* g : groups) {
            out << "    " << text(at((*g), "group")) << ": " << at((*g), "count")[0].get<int64_t>() << " in run " << a << ", "
                << at((*g), "count")[1].get<int64_t>() << " in run " << b << "; " << at((*g), "only_a_count").get<int64_t>()
                << " only in run " << a << ", " << at((*g), "only_b_count").get<int64_t>() << " only in run " << b << "\n";
            for (const char* side : {"only_a", "only_b"}) {
                const char sign = side[5] == 'a' ? '-' : '+';
                for (const json& row : (*g)[side]) {
                    out << "      " << sign << " ";
                    if (g->value("kind", "") == "decision")
                        out << "decision " << text(at(row, "id")) << ": " << text(at(row, "choice")) << " (" << text(at(row, "reason")) << ")\n";
                    else
                        out << describeEntity(row) << "\n";
                }
                const int64_t listed = static_cast<int64_t>((*g)[side].size()), all = (*g)[std::string(side) + "_count"].get<int64_t>();
                if (all > listed) out << "      " << sign << " ... and " << all - listed << " more\n";
            }
        }
    }
    const json& same = at(diff, "identical");
    const bool identical = at(same, "script").get<bool>() && same.value("code", true) && at(same, "inputs").get<bool>() &&
                           at(same, "outputs").get<bool>() && at(same, "decisions").get<bool>();
    out << (identical ? "the runs are identical in script, code, inputs, decisions and outputs"
                      : "the runs differ")
        << " (" << at(diff, "same_groups").get<int>() << " groups equal)\n";
}

}  // namespace xdml::query
