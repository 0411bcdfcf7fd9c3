// PastRuns.h — finding an earlier run of a provenance database by id, or the latest one: what
// `xdmlc run --resume [--run ID]` resumes. Reads only (its own read-only connection).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace xdml::runtime::prov {

struct PastRun {
    int64_t id = 0;
    std::string flow, scriptPath, status;
};

/// Run `id` of `dbFile`, or its latest run when `id` is 0; none when there is no such run or
/// no database. Throws a ProvenanceError naming the file when it cannot be read.
std::optional<PastRun> findPastRun(const std::filesystem::path& dbFile, int64_t id);

}  // namespace xdml::runtime::prov
