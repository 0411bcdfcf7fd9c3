// Render.h — the answers of queries (JSON, ProvDb.h) as text for a terminal and as Graphviz.
// `xdmlc prov` prints these; `--json` prints the JSON itself.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace xdml::query {

/// One line naming an entity row: "entity 12: item frames[3]  hash 1a2b…  at beamline".
std::string describeEntity(const nlohmann::json& entity);
/// "activity 7: task index at beamline, ok (line 36)".
std::string describeActivity(const nlohmann::json& activity);

void renderRuns(const nlohmann::json& runs, std::ostream& out);
/// A lineage or impact walk (Lineage.h) as an indented tree from its root.
void renderGraph(const nlohmann::json& graph, std::ostream& out);
/// The same walk for Graphviz: entities as ellipses, activities as boxes (PROV's colours),
/// invalid entities red.
void renderDot(const nlohmann::json& graph, std::ostream& out);
void renderWhy(const nlohmann::json& why, std::ostream& out);
void renderWhyNot(const nlohmann::json& whyNot, std::ostream& out);
void renderProducedBy(const nlohmann::json& produced, std::ostream& out);
/// A run's decisions (Decisions.h): counts by kind, then one line each.
void renderDecisions(const nlohmann::json& decisions, std::ostream& out);
void renderModels(const nlohmann::json& history, std::ostream& out);
void renderDiff(const nlohmann::json& diff, std::ostream& out);

}  // namespace xdml::query
