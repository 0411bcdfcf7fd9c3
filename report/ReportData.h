// ReportData.h — what the run report shows, gathered from a work directory's provenance as
// one JSON document: the page's data island (docs/report.md lists its fields). Everything is
// aggregated in SQL or over one pass of rows, so its size stays bounded whatever the run's:
// streams and sites as time series of a fixed number of bins, the timeline as at most
// `maxBars` bars plus a density of all of them, decisions and failures capped per kind.
#pragma once

#include "query/ProvDb.h"

#include <cstddef>
#include <cstdint>

namespace xdml::report {

struct ReportLimits {
    std::size_t bins = 240;            // time bins of every series
    std::size_t maxBars = 20000;       // timeline bars drawn one by one
    std::size_t maxDecisions = 300;    // listed per decision kind
    std::size_t maxFailures = 300;     // failed activities listed
    std::size_t maxResults = 60;       // results whose lineage the page can show
    int lineageDepth = 6;              // entity hops of each lineage
    bool graph = true;                 // draw the dataflow graph (Graphviz `dot`)
};

/// The report of run `run` (0: the latest). Throws query::QueryError for a missing run.
nlohmann::json reportData(query::ProvDb& db, int64_t run, const ReportLimits& limits = {});

/// The plan's dataflow graph drawn by Graphviz: {"graph_svg": SVG text or null, "graph_error":
/// why it could not be drawn, or null}. The plan never changes, so the live server keeps it.
nlohmann::json dataflowGraph(const nlohmann::json& plan);

/// The lineage of `entity` as the page draws it, back `depth` entity hops: {"entity", "title",
/// "kind", "nodes", "edges", "truncated"}. The page carries its run's latest results; the live
/// server answers any entity with this.
nlohmann::json resultLineage(query::ProvDb& db, int64_t entity, int depth = 6);

}  // namespace xdml::report
