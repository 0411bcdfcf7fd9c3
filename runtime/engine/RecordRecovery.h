// RecordRecovery.h — when a run opens its work directory, the catalog rows that an earlier,
// killed run committed without their record entities get them. A run commits each catalog row
// with its origin (RowLineage.h) before capturing its entity (RunEffects::record), so after
// kill -9 no entity lacks its row, and this restores the converse (docs/provenance.md,
// "Catalog rows and their record entities").
#pragma once

#include "runtime/provenance/Store.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xdml::runtime {

/// For each catalog (its name and database file), writes the record entities that the store's
/// incomplete runs committed rows for but never captured. Between runs (before beginRun).
/// Returns one line per catalog that had such rows, for the user. A catalog file that cannot
/// be read is skipped: opening it for the run reports why.
std::vector<std::string> recoverRecordEntities(prov::Store& store,
                                               const std::map<std::string, std::filesystem::path>& catalogFiles);

}  // namespace xdml::runtime
