// ReportData.cpp — see ReportData.h. One function per section of the page, each a few
// aggregate queries over the run's rows.
#include "report/ReportData.h"

#include "planformat/DotGraph.h"
#include "query/Decisions.h"
#include "query/Lineage.h"
#include "query/ModelHistory.h"
#include "query/Rows.h"
#include "query/RunCounts.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <queue>
#include <set>
#include <sstream>
#include <unistd.h>

namespace xdml::report {

using nlohmann::json;
using runtime::sqlite::Statement;

namespace {

/// The time axis every series shares: the run's start to its end (or to its last record while
/// it runs), cut into `bins`.
struct TimeAxis {
    double t0 = 0, t1 = 0, bin = 1;
    std::size_t bins = 1;
    std::size_t of(double t) const {
        const double b = std::floor((t - t0) / bin);
        return b < 0 ? 0 : std::min(bins - 1, static_cast<std::size_t>(b));
    }
    json toJson() const { return {{"t0", t0}, {"t1", t1}, {"bin", bin}, {"bins", bins}}; }
};

TimeAxis timeAxis(query::ProvDb& db, int64_t run, const json& header, std::size_t bins) {
    TimeAxis axis;
    axis.t0 = header["started"].get<double>();
    if (header["ended"].is_number()) {
        axis.t1 = header["ended"].get<double>();
    } else if (header["status"] != "running") {
        // It never ended (killed): up to its last record.
        auto s = db.sql().prepare(
            "SELECT max(COALESCE((SELECT max(COALESCE(ended, started)) FROM activities WHERE run = ?1), 0),"
            " COALESCE((SELECT max(time) FROM decisions WHERE run = ?1), 0),"
            " COALESCE((SELECT max(created) FROM entities WHERE run = ?1), 0))");
        s.bindInt(1, run);
        axis.t1 = s.step() ? s.columnDouble(0) : axis.t0;
    } else {
        // A run still going: up to now (or its last record, from a clock ahead of this one's).
        auto s = db.sql().prepare(
            "SELECT max(COALESCE((SELECT max(COALESCE(ended, started)) FROM activities WHERE run = ?1), 0),"
            " COALESCE((SELECT max(time) FROM decisions WHERE run = ?1), 0),"
            " COALESCE((SELECT max(created) FROM entities WHERE run = ?1), 0))");
        s.bindInt(1, run);
        const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        axis.t1 = std::max(now, s.step() ? s.columnDouble(0) : axis.t0);
    }
    axis.t1 = std::max(axis.t1, axis.t0 + 1e-3);
    axis.bins = std::max<std::size_t>(1, bins);
    axis.bin = (axis.t1 - axis.t0) / static_cast<double>(axis.bins);
    return axis;
}

/// A policy's duration as seconds: a number, text with a unit ("2 s", "500 ms"), or the name of
/// a const or param of the plan that holds one (`deadline: MAX_LATENCY`).
double seconds(const json& v, const json& plan, int depth = 0) {
    if (v.is_number()) return v.get<double>();
    if (!v.is_string() || depth > 8) return 0;
    const std::string text = v.get<std::string>();
    if (!text.empty() && (std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) {
        if (plan.contains("params") && plan["params"].is_array())
            for (const json& p : plan["params"])
                if (p.value("name", "") == text && p.contains("value")) return seconds(p["value"], plan, depth + 1);
        const json* consts = plan.contains("code") && plan["code"].contains("consts") ? &plan["code"]["consts"] : nullptr;
        if (consts && consts->contains(text) && (*consts)[text].contains("value")) {
            const json& value = (*consts)[text]["value"];
            return value.contains("value") ? seconds(value["value"], plan, depth + 1) : 0;
        }
        return 0;
    }
    char* end = nullptr;
    const double n = std::strtod(text.c_str(), &end);
    std::string unit(end ? end : "");
    unit.erase(0, unit.find_first_not_of(' '));
    if (unit == "ms") return n / 1e3;
    if (unit == "us" || unit == "µs") return n / 1e6;
    if (unit == "min") return n * 60;
    if (unit == "h") return n * 3600;
    return n;
}

double percentile(std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const std::size_t i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
    return sorted[std::min(sorted.size() - 1, i)];
}

json header(query::ProvDb& db, int64_t run) {
    json h = db.run(run);
    h["version"] = nullptr;
    if (db.hasSiteStatus()) {  // schema 5 recorded it
        auto s = db.sql().prepare("SELECT version FROM runs WHERE id = ?1");
        s.bindInt(1, run);
        if (s.step() && !s.isNull(0)) h["version"] = s.columnText(0);
    }
    const std::string status = h["status"].get<std::string>();
    // What `xdmlc run` exited with, where the status says it: a stopped run's depends on the
    // signal that stopped it (0 for Ctrl-C, 128 + N for a job manager's), which is not recorded.
    h["exit"] = status == "complete" ? json(0) : status == "failed" || status == "incomplete" ? json(1) : json(nullptr);
    h["duration"] = h["ended"].is_number() ? json(h["ended"].get<double>() - h["started"].get<double>()) : json(nullptr);
    return h;
}

/// Items per bin, per stream.
json streams(query::ProvDb& db, int64_t run, const TimeAxis& axis) {
    auto s = db.sql().prepare(
        "SELECT stream, CAST((created - ?2) / ?3 AS INTEGER), count(*) FROM entities"
        " WHERE run = ?1 AND kind = 'item' GROUP BY 1, 2 ORDER BY 1, 2");
    s.bindInt(1, run);
    s.bindDouble(2, axis.t0);
    s.bindDouble(3, axis.bin);
    std::map<std::string, std::vector<int64_t>> counts;
    while (s.step()) {
        auto& c = counts.try_emplace(s.isNull(0) ? "" : s.columnText(0), axis.bins, 0).first->second;
        const int64_t b = std::clamp<int64_t>(s.columnInt(1), 0, static_cast<int64_t>(axis.bins) - 1);
        c[static_cast<std::size_t>(b)] += s.columnInt(2);
    }
    json out = json::array();
    for (auto& [name, c] : counts) {
        int64_t total = 0;
        for (int64_t n : c) total += n;
        out.push_back({{"name", name}, {"items", total}, {"per_bin", c}});
    }
    return out;
}

/// Per handler: firings, failures, and the latency from each item's arrival to the end of the
/// firing that handled it, against the handler's deadline.
json handlers(query::ProvDb& db, int64_t run, const json& plan) {
    struct Latencies {
        std::string name, site;
        int64_t firings = 0, failed = 0;
        double deadline = 0;
        std::vector<double> seconds;
    };
    std::map<int64_t, Latencies> by;
    auto f = db.sql().prepare(
        "SELECT handler, min(id), count(*), sum(status = 'failed') FROM activities"
        " WHERE run = ?1 AND kind = 'handler' GROUP BY handler ORDER BY handler");
    f.bindInt(1, run);
    // A handler's name, site and policy are the same on every firing: read from its first.
    auto first = db.sql().prepare("SELECT name, site, policy FROM activities WHERE id = ?1");
    while (f.step()) {
        Latencies& l = by[f.isNull(0) ? -1 : f.columnInt(0)];
        l.firings += f.columnInt(2);
        l.failed += f.columnInt(3);
        first.reset();
        first.bindInt(1, f.columnInt(1));
        if (!first.step()) continue;
        l.name = first.isNull(0) ? "" : first.columnText(0);
        l.site = first.isNull(1) ? "" : first.columnText(1);
        if (!first.isNull(2)) {
            const json policy = json::parse(first.columnText(2), nullptr, false);
            if (policy.is_object() && policy.contains("deadline")) l.deadline = seconds(policy["deadline"], plan);
        }
    }
    auto s = db.sql().prepare(
        "SELECT a.handler, a.ended - e.created FROM activities a JOIN used u ON u.activity = a.id AND u.role = 'item'"
        " JOIN entities e ON e.id = u.entity WHERE a.run = ?1 AND a.kind = 'handler' AND a.ended IS NOT NULL");
    s.bindInt(1, run);
    while (s.step()) {
        auto it = by.find(s.isNull(0) ? -1 : s.columnInt(0));
        if (it != by.end()) it->second.seconds.push_back(std::max(0.0, s.columnDouble(1)));
    }
    json out = json::array();
    for (auto& [id, l] : by) {
        std::sort(l.seconds.begin(), l.seconds.end());
        json latency = nullptr;
        if (!l.seconds.empty()) {
            int64_t late = 0;
            if (l.deadline > 0) late = l.seconds.end() - std::upper_bound(l.seconds.begin(), l.seconds.end(), l.deadline);
            latency = {{"count", l.seconds.size()},         {"p50", percentile(l.seconds, 0.50)},
                       {"p95", percentile(l.seconds, 0.95)}, {"p99", percentile(l.seconds, 0.99)},
                       {"max", l.seconds.back()},           {"over_deadline", late}};
        }
        out.push_back({{"id", id},
                       {"title", l.name},
                       {"site", l.site},
                       {"firings", l.firings},
                       {"failed", l.failed},
                       {"deadline", l.deadline > 0 ? json(l.deadline) : json(nullptr)},
                       {"latency", latency}});
    }
    return out;
}

/// Every task, training, handler firing, transfer and shell command as a bar in a lane: lanes
/// are the site's workers (and handler threads), found by packing the bars that overlap, per
/// site and rank. Beyond `maxBars` the longest bars and every marked one are drawn, and the
/// density of all of them per bin and lane group says where the rest are.
json timeline(query::ProvDb& db, int64_t run, const TimeAxis& axis, std::size_t maxBars) {
    // Marks: the activities a decision says were late, retried or failed.
    std::map<int64_t, int> marks;  // activity -> bit set: 1 deadline miss, 2 start miss, 4 retried
    auto m = db.sql().prepare(
        "SELECT kind, subject FROM decisions WHERE run = ?1 AND kind IN ('deadline_miss', 'start_miss', 'retry')"
        " AND subject LIKE 'activity:%'");
    m.bindInt(1, run);
    while (m.step()) {
        const std::string kind = m.columnText(0);
        const int64_t a = std::atoll(m.columnText(1).c_str() + 9);
        marks[a] |= kind == "deadline_miss" ? 1 : kind == "start_miss" ? 2 : 4;
    }
    struct Bar {
        int64_t id;
        double start, end;
        int name, kind, group, lane = 0, flags = 0;
        bool failed;
    };
    std::vector<Bar> bars;
    std::vector<std::string> names, kinds, groups;
    std::map<std::string, int> nameIndex, kindIndex, groupIndex;
    auto index = [](std::map<std::string, int>& idx, std::vector<std::string>& list, const std::string& key) {
        auto [it, added] = idx.emplace(key, static_cast<int>(list.size()));
        if (added) list.push_back(key);
        return it->second;
    };
    auto s = db.sql().prepare(
        "SELECT id, kind, name, site, rank, started, COALESCE(ended, ?2), status FROM activities WHERE run = ?1"
        " AND kind IN ('task', 'training', 'handler', 'transfer', 'sh')");
    s.bindInt(1, run);
    s.bindDouble(2, axis.t1);
    while (s.step()) {
        const std::string kind = s.columnText(1);
        const std::string site = s.isNull(3) ? "" : s.columnText(3);
        const int64_t rank = s.columnInt(4);
        // Handlers run on their stream's threads, the rest on the site's workers.
        const std::string group = site + (rank > 0 ? " (rank " + std::to_string(rank) + ")" : "") +
                                  (kind == "handler" ? " · handlers" : " · workers");
        Bar b{s.columnInt(0),
              s.columnDouble(5),
              s.columnDouble(6),
              index(nameIndex, names, s.isNull(2) ? kind : s.columnText(2)),
              index(kindIndex, kinds, kind),
              index(groupIndex, groups, group),
              0,
              0,
              s.columnText(7) == "failed"};
        if (auto it = marks.find(b.id); it != marks.end()) b.flags = it->second;
        bars.push_back(b);
    }
    // Sorted here rather than by SQLite: twice as fast at half a million bars (ids are nearly in
    // start order already).
    std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return a.start < b.start; });
    // Lanes: per group, the lowest lane free at the bar's start (bars in start order).
    std::vector<std::priority_queue<std::pair<double, int>, std::vector<std::pair<double, int>>, std::greater<>>> busy(groups.size());
    std::vector<std::vector<int>> freeLanes(groups.size());
    std::vector<int> laneCount(groups.size(), 0);
    for (Bar& b : bars) {
        auto& q = busy[static_cast<std::size_t>(b.group)];
        auto& lanesFree = freeLanes[static_cast<std::size_t>(b.group)];
        while (!q.empty() && q.top().first <= b.start) {
            lanesFree.push_back(q.top().second);
            std::push_heap(lanesFree.begin(), lanesFree.end(), std::greater<>());
            q.pop();
        }
        if (!lanesFree.empty()) {
            std::pop_heap(lanesFree.begin(), lanesFree.end(), std::greater<>());
            b.lane = lanesFree.back();
            lanesFree.pop_back();
        } else {
            b.lane = laneCount[static_cast<std::size_t>(b.group)]++;
        }
        q.push({b.end, b.lane});
    }
    // Density over every bar: busy seconds per bin and group, so a capped timeline still shows
    // where the work was.
    std::vector<std::vector<double>> density(groups.size(), std::vector<double>(axis.bins, 0.0));
    for (const Bar& b : bars) {
        for (std::size_t i = axis.of(b.start), last = axis.of(b.end); i <= last; ++i) {
            const double lo = std::max(b.start, axis.t0 + static_cast<double>(i) * axis.bin);
            const double hi = std::min(b.end, axis.t0 + static_cast<double>(i + 1) * axis.bin);
            if (hi > lo) density[static_cast<std::size_t>(b.group)][i] += (hi - lo) / axis.bin;
        }
    }
    const std::size_t total = bars.size();
    if (bars.size() > maxBars) {
        // Keep the marked and failed bars, then the longest.
        std::stable_partition(bars.begin(), bars.end(), [](const Bar& b) { return b.flags || b.failed; });
        auto plain = std::find_if(bars.begin(), bars.end(), [](const Bar& b) { return !b.flags && !b.failed; });
        std::sort(plain, bars.end(), [](const Bar& a, const Bar& b) { return a.end - a.start > b.end - b.start; });
        bars.resize(maxBars);
    }
    json rows = json::array();
    for (const Bar& b : bars)
        rows.push_back({b.id, b.start - axis.t0, b.end - axis.t0, b.group, b.lane, b.kind, b.name, b.failed ? 1 : 0, b.flags});
    json groupList = json::array();
    for (std::size_t g = 0; g < groups.size(); ++g)
        groupList.push_back({{"name", groups[g]}, {"lanes", laneCount[g]}, {"busy_per_bin", density[g]}});
    return {{"groups", groupList},
            {"kinds", kinds},
            {"names", names},
            {"columns", {"activity", "start", "end", "group", "lane", "kind", "name", "failed", "flags"}},
            {"bars", rows},
            {"total", total},
            {"shown", bars.size()}};
}

/// Each site's recorded status over time, and the meta-controller's relocations.
json sites(query::ProvDb& db, int64_t run, const TimeAxis& axis) {
    json out = json::array();
    if (!db.hasSiteStatus()) return {{"sites", out}, {"relocations", json::array()}, {"recorded", false}};
    auto s = db.sql().prepare(
        "SELECT site, time, running, queued, capacity, estimated_wait FROM site_status WHERE run = ?1 ORDER BY site, time");
    s.bindInt(1, run);
    // At most two samples per bin (its busiest and its last): a day-long run stays small.
    std::map<std::string, std::map<std::size_t, std::array<double, 5>>> binned;
    while (s.step()) {
        auto& bins = binned[s.columnText(0)];
        const double t = s.columnDouble(1);
        std::array<double, 5> v{t - axis.t0, static_cast<double>(s.columnInt(2)), static_cast<double>(s.columnInt(3)),
                                static_cast<double>(s.columnInt(4)), s.columnDouble(5)};
        auto [it, added] = bins.emplace(axis.of(t), v);
        if (!added) {
            it->second[0] = v[0];
            it->second[1] = std::max(it->second[1], v[1]);
            it->second[2] = std::max(it->second[2], v[2]);
            it->second[3] = v[3];
            it->second[4] = std::max(it->second[4], v[4]);
        }
    }
    for (auto& [site, bins] : binned) {
        json samples = json::array();
        double maxQueued = 0;
        for (auto& [b, v] : bins) {
            samples.push_back({v[0], v[1], v[2], v[3], v[4]});
            maxQueued = std::max(maxQueued, v[2]);
        }
        out.push_back({{"name", site}, {"columns", {"time", "running", "queued", "capacity", "estimated_wait"}},
                       {"samples", samples}, {"max_queued", maxQueued}});
    }
    json relocations = json::array();
    auto r = db.sql().prepare(
        "SELECT time, choice, reason, inputs FROM decisions WHERE run = ?1 AND kind = 'placement'"
        " AND inputs LIKE '%planned_site%' ORDER BY time");
    r.bindInt(1, run);
    while (r.step()) {
        const json inputs = json::parse(r.isNull(3) ? "{}" : r.columnText(3), nullptr, false);
        relocations.push_back({{"time", r.columnDouble(0) - axis.t0},
                               {"to", r.columnText(1)},
                               {"from", inputs.is_object() ? inputs.value("planned_site", "") : ""},
                               {"reason", r.isNull(2) ? "" : r.columnText(2)}});
    }
    return {{"sites", out}, {"relocations", relocations}, {"recorded", true}};
}

/// Bytes moved per link and written per site, beside what the plan says they should be.
json bytes(query::ProvDb& db, int64_t run, const json& plan, const json& counts, const json& handlerRows) {
    std::map<std::string, std::pair<int64_t, int64_t>> measured;  // "a -> b": bytes, transfers
    // Added up here: SQLite builds the `generated` view whole for an aggregate over a join with it.
    auto s = db.sql().prepare(
        "SELECT a.name, e.bytes FROM activities a JOIN generated g ON g.activity = a.id"
        " JOIN entities e ON e.id = g.entity WHERE a.run = ?1 AND a.kind = 'transfer'");
    s.bindInt(1, run);
    while (s.step()) {
        auto& [bytes, transfers] = measured[s.isNull(0) ? "" : s.columnText(0)];
        bytes += s.columnInt(1);
        ++transfers;
    }
    // The plan's bytes per triggering item, times the firings of the handler they belong to.
    std::map<int64_t, int64_t> firings;
    for (const json& h : handlerRows) firings[h["id"].get<int64_t>()] += h["firings"].get<int64_t>();
    std::map<std::string, double> planned;
    if (plan.contains("transfers"))
        for (const json& t : plan["transfers"]) {
            const std::string link = t.value("from", "") + " -> " + t.value("to", "");
            const int64_t n = firings[t.value("handler", int64_t{-1})];
            planned[link] += t.value("bytes_per_item", 0.0) * static_cast<double>(n);
        }
    std::set<std::string> links;
    for (auto& [l, v] : measured) links.insert(l);
    for (auto& [l, v] : planned) links.insert(l);
    json linkRows = json::array();
    for (const std::string& l : links) {
        const auto m = measured.count(l) ? measured[l] : std::pair<int64_t, int64_t>{0, 0};
        linkRows.push_back({{"link", l}, {"measured", m.first}, {"transfers", m.second},
                            {"planned", planned.count(l) ? json(planned[l]) : json(nullptr)}});
    }
    json written = json::array();
    auto w = db.sql().prepare(
        std::string("SELECT COALESCE(site, ''), kind, COALESCE(SUM(bytes), 0), count(*) FROM entities e WHERE run = ?1 AND ") +
        query::kWrittenByRun + " GROUP BY 1, 2 ORDER BY 1, 2");
    w.bindInt(1, run);
    while (w.step())
        written.push_back({{"site", w.columnText(0)}, {"kind", w.columnText(1)}, {"bytes", w.columnInt(2)}, {"count", w.columnInt(3)}});
    // The plan's written bytes per item of its streams, times the items that came.
    double plannedWritten = 0;
    if (plan.contains("stats") && plan["stats"].contains("written_bytes_per_item"))
        plannedWritten = plan["stats"]["written_bytes_per_item"].get<double>() * static_cast<double>(counts["items"].get<int64_t>());
    return {{"links", linkRows}, {"written", written}, {"moved_total", counts["bytes_moved"]},
            {"written_total", counts["bytes_written"]}, {"planned_written", plannedWritten}};
}

/// Every model's versions with their metrics and why training stopped, and how many items each
/// version classified as what.
json models(query::ProvDb& db, int64_t run) {
    json out = json::array();
    std::vector<std::string> names;
    auto n = db.sql().prepare("SELECT DISTINCT model FROM models WHERE run = ?1 ORDER BY model");
    n.bindInt(1, run);
    while (n.step()) names.push_back(n.columnText(0));
    std::map<int64_t, json> classified;  // models row -> {class: count}
    auto c = db.sql().prepare(
        "SELECT model_version, choice, count(*) FROM decisions WHERE run = ?1 AND kind = 'inferred_type'"
        " GROUP BY model_version, choice");
    c.bindInt(1, run);
    while (c.step()) classified[c.isNull(0) ? -1 : c.columnInt(0)][c.isNull(1) ? "" : c.columnText(1)] = c.columnInt(2);
    for (const std::string& name : names) {
        json history = query::modelHistory(db, name, run);
        json versions = json::array();
        for (json& v : history["versions"]) {
            const int64_t row = v["id"].get<int64_t>();
            json entry = {{"version", v["version"]},
                          {"row", row},
                          {"parent_version", v.value("parent_version", json(nullptr))},
                          {"metrics", v.value("metrics", json(nullptr))},
                          {"created", v["created"]},
                          {"trained_items", v.value("trained_items", json(nullptr))},
                          {"held_out_items", v.value("held_out_items", json(nullptr))},
                          {"train_stop", v["train_stop"].is_object() ? v["train_stop"].value("reason", json(nullptr)) : json(nullptr)},
                          {"snapshot", v.value("snapshot", json(nullptr))},
                          {"classified", classified.count(row) ? classified[row] : json::object()}};
            versions.push_back(std::move(entry));
        }
        out.push_back({{"model", name}, {"versions", versions}});
    }
    return out;
}

json decisions(query::ProvDb& db, int64_t run, std::size_t perKind) {
    json all = query::runDecisions(db, run, "", 1);
    json out = {{"total", all["total"]}, {"by_kind", all["by_kind"]}, {"list", json::array()}};
    for (auto& [kind, count] : all["by_kind"].items()) {
        json some = query::runDecisions(db, run, kind, perKind);
        for (json& d : some["decisions"])
            out["list"].push_back({{"id", d["id"]}, {"kind", d["kind"]}, {"subject", d["subject"]}, {"choice", d["choice"]},
                                   {"reason", d["reason"]}, {"time", d["time"]}});
    }
    return out;
}

/// Failed activities with the script line they failed at, read from the script when it is
/// still there and unchanged.
json failures(query::ProvDb& db, int64_t run, const json& header, std::size_t max) {
    std::vector<std::string> lines;
    if (header["script_path"].is_string()) {
        std::ifstream in(db.here(header["script_path"].get<std::string>(), run));
        for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    auto s = db.sql().prepare(
        "SELECT id, kind, name, site, error, line, started FROM activities WHERE run = ?1 AND status = 'failed'"
        " ORDER BY id LIMIT ?2");
    s.bindInt(1, run);
    s.bindInt(2, static_cast<int64_t>(max));
    json out = json::array();
    while (s.step()) {
        const int64_t line = s.isNull(5) ? 0 : s.columnInt(5);
        out.push_back({{"activity", s.columnInt(0)},
                       {"kind", s.columnText(1)},
                       {"name", s.isNull(2) ? "" : s.columnText(2)},
                       {"site", s.isNull(3) ? "" : s.columnText(3)},
                       {"error", s.isNull(4) ? "" : s.columnText(4)},
                       {"line", line},
                       {"source", line > 0 && static_cast<std::size_t>(line) <= lines.size() ? json(lines[static_cast<std::size_t>(line) - 1]) : json(nullptr)},
                       {"time", s.columnDouble(6) - header["started"].get<double>()}});
    }
    auto c = db.sql().prepare("SELECT count(*) FROM activities WHERE run = ?1 AND status = 'failed'");
    c.bindInt(1, run);
    c.step();
    return {{"total", c.columnInt(0)}, {"list", out}};
}

/// The plan's dataflow graph as Graphviz draws it (`xdmlc build --emit=dot`), as SVG text;
/// null when the run recorded no plan. Throws a QueryError when Graphviz fails.
std::string graphSvg(const json& plan) {
    if (!plan.contains("nodes")) return "";
    planformat::DotGraph graph;
    if (plan.contains("sites"))
        for (const json& s : plan["sites"]) graph.sites.push_back(s.value("name", ""));
    std::map<int64_t, const json*> nodes;
    for (const json& n : plan["nodes"]) nodes[n.value("id", int64_t{0})] = &n;
    for (const json& n : plan["nodes"]) {
        const int64_t id = n.value("id", int64_t{0});
        graph.nodes.push_back({id, n.value("site", ""), n.value("kind", ""), n.value("label", ""), n.value("persist", false)});
        for (const json& in : n.value("inputs", json::array())) {
            const int64_t from = in.value("node", int64_t{0});
            // The handler side's rate, as --emit=dot labels it.
            const json* side = n.value("handler", -1) >= 0 || !nodes.count(from) ? &n : nodes[from];
            graph.edges.push_back({from, id, in.value("bytes", 0.0), in.value("control", false), side->value("rate", 0.0)});
        }
    }
    std::ostringstream dot;
    planformat::printDot(dot, graph);
    // Graphviz reads the graph from a file and writes SVG to a pipe.
    char path[] = "/tmp/xdml-report-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) throw query::QueryError("the dataflow graph: cannot make a temporary file");
    const std::string text = dot.str();
    const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    std::string svg;
    if (wrote) {
        if (FILE* p = popen(("dot -Tsvg " + std::string(path) + " 2>/dev/null").c_str(), "r")) {
            char buf[65536];
            for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) svg.append(buf, n);
            if (pclose(p) != 0) svg.clear();
        }
    }
    ::unlink(path);
    if (svg.empty())
        throw query::QueryError("Graphviz's `dot -Tsvg` failed to draw the dataflow graph (is the graphviz package installed?)");
    // The page inlines the <svg> element: the XML prologue and DOCTYPE stay out.
    if (const std::size_t at = svg.find("<svg"); at != std::string::npos) svg.erase(0, at);
    return svg;
}

/// The results the page can trace back: the run's latest catalog records and written files,
/// each with its lineage.
json results(query::ProvDb& db, int64_t run, std::size_t max, int depth) {
    auto s = db.sql().prepare(
        std::string("SELECT id FROM entities e WHERE run = ?1 AND ") + query::kWrittenByRun + " ORDER BY id DESC LIMIT ?2");
    s.bindInt(1, run);
    s.bindInt(2, static_cast<int64_t>(max));
    json out = json::array();
    while (s.step()) out.push_back(resultLineage(db, s.columnInt(0), depth));
    return out;
}

}  // namespace

nlohmann::json dataflowGraph(const nlohmann::json& plan) {
    try {
        const std::string svg = graphSvg(plan);
        return {{"graph_svg", svg.empty() ? json(nullptr) : json(svg)}, {"graph_error", nullptr}};
    } catch (const query::QueryError& e) {
        return {{"graph_svg", nullptr}, {"graph_error", e.what()}};
    }
}

nlohmann::json resultLineage(query::ProvDb& db, int64_t entity, int depth) {
    const json e = db.entity(entity);
    auto text = [](const json& v, const std::string& otherwise) { return v.is_string() ? v.get<std::string>() : otherwise; };
    const std::string kind = text(e["kind"], "entity");
    const std::string seq = e["seq"].is_number() ? std::to_string(e["seq"].get<int64_t>()) : "?";
    const std::string title = kind == "record" ? text(e["label"], "record") + "#" + seq
                              : kind == "file" ? text(e["path"], "file")
                              : kind == "item" ? text(e["stream"], "stream") + "[" + seq + "]"
                                               : kind + " " + text(e["label"], std::to_string(entity));
    query::WalkLimits limits;
    limits.maxDepth = depth;
    limits.maxNodes = 400;
    const json graph = query::walk(db, entity, query::Direction::Backward, limits);
    json nodes = json::array(), edges = json::array();
    for (const json& n : graph["entities"])
        nodes.push_back({{"id", "e" + std::to_string(n["id"].get<int64_t>())},
                         {"kind", n["kind"]},
                         {"label", n.value("label", json(nullptr))},
                         {"depth", n["depth"]},
                         {"site", n.value("site", json(nullptr))}});
    for (const json& a : graph["activities"])
        nodes.push_back({{"id", "a" + std::to_string(a["id"].get<int64_t>())},
                         {"kind", a["kind"]},
                         {"label", a.value("name", json(nullptr))},
                         {"depth", a["depth"]},
                         {"site", a.value("site", json(nullptr))}});
    for (const json& edge : graph["edges"]) edges.push_back(edge);
    return {{"entity", entity}, {"title", title}, {"kind", kind}, {"nodes", nodes}, {"edges", edges},
            {"truncated", graph.value("truncated", false)}};
}

nlohmann::json reportData(query::ProvDb& db, int64_t run, const ReportLimits& limits) {
    run = db.runOrLatest(run);
    query::ReadSnapshot snapshot(db);
    json data;
    data["xdml_report"] = 1;
    json h = header(db, run);
    const json plan = json::parse(db.runPlan(run), nullptr, false);
    const json planObject = plan.is_object() ? plan : json::object();
    const TimeAxis axis = timeAxis(db, run, h, limits.bins);
    // The flows that ran: the one named, or every flow of the plan.
    std::set<std::string> flows;
    if (h["flow"].is_string() && !h["flow"].get<std::string>().empty()) flows.insert(h["flow"].get<std::string>());
    else if (planObject.contains("handlers"))
        for (const json& handler : planObject["handlers"]) flows.insert(handler.value("flow", ""));
    h["flows"] = flows;
    data["run"] = h;
    data["axis"] = axis.toJson();
    data["counts"] = query::runCounts(db, run);
    data["streams"] = streams(db, run, axis);
    data["handlers"] = handlers(db, run, planObject);
    data["timeline"] = timeline(db, run, axis, limits.maxBars);
    data["sites"] = sites(db, run, axis);
    data["bytes"] = bytes(db, run, planObject, data["counts"], data["handlers"]);
    data["models"] = models(db, run);
    data["decisions"] = decisions(db, run, limits.maxDecisions);
    data["failures"] = failures(db, run, h, limits.maxFailures);
    data["graph_svg"] = nullptr;
    if (limits.graph) data.update(dataflowGraph(planObject));
    data["results"] = results(db, run, limits.maxResults, limits.lineageDepth);
    return data;
}

}  // namespace xdml::report
