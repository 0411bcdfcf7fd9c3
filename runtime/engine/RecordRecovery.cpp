// RecordRecovery.cpp — see RecordRecovery.h.
#include "runtime/engine/RecordRecovery.h"

#include "runtime/catalog/CatalogError.h"
#include "runtime/catalog/RowLineage.h"

namespace xdml::runtime {

std::vector<std::string> recoverRecordEntities(prov::Store& store,
                                               const std::map<std::string, std::filesystem::path>& catalogFiles) {
    std::vector<std::string> notes;
    const std::vector<int64_t> runs = store.incompleteRuns();
    if (runs.empty()) return notes;
    for (const auto& [name, file] : catalogFiles) {
        try {
            const std::vector<prov::RecordOrigin> origins =
                catalog::unsettledOrigins(file, name, store.absolutePath(), runs);
            if (origins.empty()) continue;
            if (const int written = store.recoverRecords(name, origins); written > 0)
                notes.push_back("catalog " + name + ": " + std::to_string(written) +
                                " rows recorded by a run that ended incomplete had no record entity; they have one now");
            // After the entities are committed: a kill in between only makes the next open look again.
            catalog::settleOrigins(file, name, store.absolutePath(), runs);
        } catch (const CatalogError&) {
            continue;  // opening the catalog for the run reports it
        }
    }
    return notes;
}

}  // namespace xdml::runtime
