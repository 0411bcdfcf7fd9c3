// PastRuns.cpp — see PastRuns.h.
#include "runtime/provenance/PastRuns.h"

#include "runtime/provenance/ProvenanceError.h"
#include "runtime/sqlite/Sqlite.h"

namespace xdml::runtime::prov {

namespace {

const sqlite::ConnectionPolicy kPastRunReader{
    .raise = &sqlite::raiseAs<ProvenanceError>,
    .role = "provenance database",
    .busyTimeoutMs = 10000,
    .readOnly = true,
};

}  // namespace

std::optional<PastRun> findPastRun(const std::filesystem::path& dbFile, int64_t id) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(dbFile, ec)) return std::nullopt;
    sqlite::Connection db(dbFile, kPastRunReader);
    sqlite::Statement q = db.prepare(id > 0 ? "SELECT id, flow, script_path, status FROM runs WHERE id = ?1"
                                            : "SELECT id, flow, script_path, status FROM runs ORDER BY id DESC LIMIT 1");
    if (id > 0) q.bindInt(1, id);
    if (!q.step()) return std::nullopt;
    return PastRun{q.columnInt(0), q.columnText(1), q.columnText(2), q.columnText(3)};
}

}  // namespace xdml::runtime::prov
