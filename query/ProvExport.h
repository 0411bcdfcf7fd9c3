// ProvExport.h — a run's provenance in W3C PROV (`xdmlc prov export`): PROV-JSON (the W3C
// member submission's serialization, which the `prov` Python package reads) and PROV-N (the
// W3C notation), both from one document, so they always say the same; and a Workflow Run
// RO-Crate (https://w3id.org/ro/wfrun/workflow/0.5) describing the script, inputs, outputs,
// the run and its model versions, so the data set is FAIR.
//
// The mapping: entities are prov:Entity (kind in prov:type, content hash, stream and position,
// path, validity); activities are prov:Activity with their times; the run is a
// prov:SoftwareAgent every activity was associated with, the script its plan; used,
// wasGeneratedBy and wasDerivedFrom are the lineage links; a model version derived from its
// parent is a prov:Revision; a handler started by an item is wasStartedBy with the item as its
// trigger; decisions are xdml:decision attributes of what they are about.
#pragma once

#include "query/ProvDb.h"

#include <filesystem>
#include <ostream>

namespace xdml::query {

/// The PROV-JSON document of run `run` (with the entities of earlier runs it used).
nlohmann::json provJson(ProvDb& db, int64_t run);

/// The same document in PROV-N.
void writeProvN(const nlohmann::json& provJsonDocument, std::ostream& out);

/// Writes a Workflow Run RO-Crate of run `run` into `dir` (created; must be empty or absent):
/// ro-crate-metadata.json, the script, the run's outputs (written files, catalogs, model
/// versions) copied in, inputs described by their paths and hashes, and provenance.json (the
/// PROV-JSON). Returns a summary {"dir", "files", "inputs", "outputs", "model_versions"}.
nlohmann::json writeRoCrate(ProvDb& db, int64_t run, const std::filesystem::path& dir);

}  // namespace xdml::query
