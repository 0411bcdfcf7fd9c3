// ReportPage.cpp — see ReportPage.h.
#include "report/ReportPage.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace xdml::report {

using nlohmann::json;

namespace {

constexpr const char* kPage =
#include "report/PageSource.inc"
    ;

void replace(std::string& page, const std::string& marker, const std::string& with) {
    const std::size_t at = page.find(marker);
    if (at != std::string::npos) page.replace(at, marker.size(), with);
}

std::string seconds(const json& v) {
    if (!v.is_number()) return "-";
    const double s = v.get<double>();
    char text[32];
    if (s < 1e-3) std::snprintf(text, sizeof text, "%.0f us", s * 1e6);
    else if (s < 1) std::snprintf(text, sizeof text, "%.1f ms", s * 1e3);
    else std::snprintf(text, sizeof text, "%.2f s", s);
    return text;
}

std::string text(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_null() ? "-" : v.dump();
}

}  // namespace

std::string htmlEscape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string scriptSafeJson(const json& data) {
    const std::string raw = data.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out;
    out.reserve(raw.size() + raw.size() / 64);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        // "</script>" or "<!--" inside the island would end or confuse the element; U+2028 and
        // U+2029 end lines in older script parsers. All are legal JSON when escaped.
        if (raw[i] == '<') out += "\\u003c";
        else if (raw.compare(i, 3, "\xE2\x80\xA8") == 0 || raw.compare(i, 3, "\xE2\x80\xA9") == 0) {
            out += raw[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else out += raw[i];
    }
    return out;
}

std::string htmlPage(const json& data, const LiveSource* live) {
    std::string page = kPage;
    const json& run = data["run"];
    replace(page, "@XDML_TITLE@",
            htmlEscape("XDML run " + std::to_string(run["id"].get<int64_t>()) + ": " + text(run["flow"])));
    json liveJson = nullptr;
    if (live) liveJson = {{"data", live->dataUrl}, {"interval", live->intervalMs}, {"lineage", live->lineageUrl}};
    replace(page, "@XDML_LIVE@", scriptSafeJson(liveJson));
    // Last: the data may contain the other markers' text.
    replace(page, "@XDML_DATA@", scriptSafeJson(data));
    return page;
}

std::string textReport(const json& data) {
    std::ostringstream out;
    const json& run = data["run"];
    const json& c = data["counts"];
    std::string flows;
    for (const json& f : run["flows"]) flows += (flows.empty() ? "" : ", ") + f.get<std::string>();
    out << "run " << run["id"] << " of flow " << flows << ": " << text(run["status"]);
    if (run["exit"].is_number()) out << " (exit " << run["exit"] << ")";
    out << "\n  script " << text(run["script_path"]) << " (" << text(run["script_hash"]) << "), parameters "
        << (run["arguments"].is_string() && !run["arguments"].get<std::string>().empty() ? run["arguments"].get<std::string>() : "none")
        << ", seed " << run["seed"] << "\n  started " << std::fixed << run["started"].get<double>() << " on " << text(run["host"])
        << ", took " << seconds(run["duration"]) << ", xdmlc " << text(run["version"]) << "\n";
    out.unsetf(std::ios::fixed);
    out << "\ncounts: " << c["items"] << " items, " << c["firings"] << " firings, " << c["tasks"] << " tasks, " << c["decisions"]
        << " decisions, " << c["model_versions"] << " model versions, " << c["entities"] << " entities, " << c["activities"]
        << " activities\n";
    out << "\nstreams:\n";
    for (const json& s : data["streams"]) {
        int64_t peak = 0;
        for (const json& n : s["per_bin"]) peak = std::max(peak, n.get<int64_t>());
        out << "  " << text(s["name"]) << ": " << s["items"] << " items, at most "
            << std::llround(static_cast<double>(peak) / data["axis"]["bin"].get<double>()) << " items/s\n";
    }
    out << "\nlatency (arrival to the end of the firing):\n";
    for (const json& h : data["handlers"]) {
        out << "  " << text(h["title"]) << " @" << text(h["site"]) << ": " << h["firings"] << " firings";
        if (h["failed"].get<int64_t>() > 0) out << ", " << h["failed"] << " failed";
        if (h["latency"].is_object()) {
            const json& l = h["latency"];
            out << "; p50 " << seconds(l["p50"]) << ", p95 " << seconds(l["p95"]) << ", p99 " << seconds(l["p99"]) << ", max "
                << seconds(l["max"]);
        }
        if (h["deadline"].is_number()) {
            out << "; deadline " << seconds(h["deadline"]);
            if (h["latency"].is_object()) out << ", " << h["latency"].value("over_deadline", 0) << " items over it";
        }
        out << "\n";
    }
    out << "\nsites:\n";
    for (const json& s : data["sites"]["sites"]) {
        double busy = 0, capacity = 0;
        for (const json& v : s["samples"]) {
            busy = std::max(busy, v[1].get<double>());
            capacity = std::max(capacity, v[3].get<double>());
        }
        out << "  " << text(s["name"]) << ": at most " << busy << " of " << capacity << " workers busy, at most "
            << s["max_queued"].get<double>() << " calls queued (" << s["samples"].size() << " samples)\n";
    }
    for (const json& r : data["sites"]["relocations"])
        out << "  relocated at " << seconds(r["time"]) << ": " << text(r["from"]) << " -> " << text(r["to"]) << ": "
            << text(r["reason"]) << "\n";
    const json& b = data["bytes"];
    out << "\ndata movement: " << b["moved_total"] << " bytes moved, " << b["written_total"] << " bytes written\n";
    for (const json& l : b["links"])
        out << "  " << text(l["link"]) << ": " << l["measured"] << " bytes measured, "
            << (l["planned"].is_number() ? std::to_string(std::llround(l["planned"].get<double>())) + " planned" : "not in the plan") << "\n";
    for (const json& w : b["written"])
        out << "  written at " << text(w["site"]) << ": " << w["count"] << " " << (w["kind"] == "file" ? "files" : "records") << ", "
            << w["bytes"] << " bytes\n";
    if (!data["models"].empty()) out << "\nmodels:\n";
    for (const json& m : data["models"]) {
        out << "  " << text(m["model"]) << ":\n";
        for (const json& v : m["versions"]) {
            out << "    v" << v["version"] << " " << text(v["metrics"]);
            if (v["snapshot"].is_object() && v["snapshot"].contains("size")) out << "; rehearsal buffer " << v["snapshot"]["size"] << " items";
            if (v["train_stop"].is_string()) out << "; stopped: " << v["train_stop"].get<std::string>();
            if (!v["classified"].empty()) out << "; classified " << v["classified"].dump();
            out << "\n";
        }
    }
    out << "\ndecisions: " << data["decisions"]["total"];
    for (auto& [kind, n] : data["decisions"]["by_kind"].items()) out << ", " << n << " " << kind;
    out << "\n";
    const json& f = data["failures"];
    out << "\nfailures: " << f["total"] << "\n";
    for (const json& x : f["list"]) {
        out << "  " << text(x["kind"]) << " " << text(x["name"]);
        if (x["line"].get<int64_t>() > 0) out << " (line " << x["line"] << ")";
        out << ": " << text(x["error"]) << "\n";
        if (x["source"].is_string()) out << "    " << x["line"] << " | " << x["source"].get<std::string>() << "\n";
    }
    return out.str();
}

}  // namespace xdml::report
