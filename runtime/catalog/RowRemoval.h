// RowRemoval.h — the catalog half of `xdmlc run --resume`: the rows that the resumed runs
// recorded for work that did not finish (their items are handled again) are removed, with
// their lineage and tensor shapes, so the catalog after a kill and a resume equals an
// uninterrupted run's. Which runs made a row is read from its lineage (RowLineage.h), which
// CatalogStore commits in the row's own transaction: no row of those runs escapes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace xdml::runtime::catalog {

/// Removes the rows of `table` in `dbFile` that `runs` of the provenance database `provenance`
/// recorded, except those in `keep`, in one transaction; returns how many. A missing file or
/// table, or a catalog without lineage, has none. Throws CatalogError.
int removeRowsNotKept(const std::filesystem::path& dbFile, const std::string& table, const std::string& provenance,
                      const std::vector<int64_t>& runs, const std::set<int64_t>& keep);

}  // namespace xdml::runtime::catalog
