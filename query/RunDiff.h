// RunDiff.h — what differs between two runs (`xdmlc prov diff`, and the check behind `xdmlc
// replay`): the script, the arguments and seed, and, group by group, the inputs, outputs,
// intermediate values and decisions by content hash. Groups are an entity kind and label (a
// stream's items, a catalog's records, a model's versions) or a decision kind; each compares as
// a multiset, so the order in which concurrent steps finished does not count as a difference.
//
// Equal groups are recognised from their digests alone (runtime/provenance/Digest.h), so two
// runs of a million entities that agree compare in milliseconds; only buckets whose digests
// differ are read row by row.
#pragma once

#include "query/ProvDb.h"

namespace xdml::query {

struct DiffOptions {
    std::size_t maxListed = 20;  // entities or decisions listed per group and side
};

/// {"runs": [a, b], "script", "arguments", "seed", "flow", "code": {"same", "a", "b"} ("code": the
///  content hashes of the Python tasks' modules each run's calls ran, {task: [hash, ...]}),
///  "groups": [{"group": "item frames", "kind", "label", "category": input|output|intermediate|
///  decision, "count": [na, nb], "only_a": [rows], "only_b": [rows], "only_a_count",
///  "only_b_count"}] (differing groups only), "same_groups": n,
///  "identical": {"inputs", "outputs", "decisions", "intermediates", "state", "script", "code": bool}}.
/// "state" is what the run found in its work directory (catalogs holding records when it
/// started): shown, but not a difference of the runs themselves.
/// An entity row is listed with its id, kind, label, stream, seq, path and hash; a decision row
/// with its id, kind, subject, choice and reason. Rows are listed in id order, so the first of a
/// group is its first divergence.
nlohmann::json diffRuns(ProvDb& db, int64_t a, int64_t b, DiffOptions options = {});

/// The query behind "code": the Python modules run ?1's calls ran, by task (an index serves it:
/// it must not read every activity of a run of millions).
inline constexpr const char* kPythonCodeOfRunSql =
    "SELECT DISTINCT name, code FROM activities WHERE run = ?1 AND code IS NOT NULL ORDER BY name, code";

}  // namespace xdml::query
