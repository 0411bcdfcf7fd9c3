// ReportPage.h — the run report as one self-contained HTML file (page.html with the report's
// data as its JSON island: no network, nothing beside it), and as plain text for terminals.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace xdml::report {

/// Where a live page fetches its data again, and how often (milliseconds).
struct LiveSource {
    std::string dataUrl;
    int intervalMs = 1000;
    std::string lineageUrl{};  // answers ?subject=ENTITY with its lineage (resultLineage)
};

/// The page for `data` (reportData). With `live`, the page fetches `live->dataUrl` every
/// interval while the run goes on (`xdmlc serve`).
std::string htmlPage(const nlohmann::json& data, const LiveSource* live = nullptr);

/// `xdmlc report --text`: the same sections as lines of text.
std::string textReport(const nlohmann::json& data);

/// Text as it may stand in HTML: & < > " escaped.
std::string htmlEscape(const std::string& text);

/// JSON as it may stand inside a <script> element: "</" and the line separators that end a
/// script in some parsers escaped.
std::string scriptSafeJson(const nlohmann::json& data);

}  // namespace xdml::report
