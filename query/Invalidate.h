// Invalidate.h — `xdmlc prov invalidate`: marks an entity and everything derived from it
// invalid (valid = 0), as Braid-DB retracts data, and records why as an `invalidation` decision.
// Queries show the mark; a later run that takes in the same content (by hash) warns and
// records what it makes from it invalid too (runtime/engine/Run.h, invalidatedInput).
#pragma once

#include "query/ProvDb.h"

namespace xdml::query {

/// `db` must be open for writing. {"root", "reason", "invalidated": n newly marked,
/// "already_invalid": n, "entities": [the first ids], "decision": id}.
nlohmann::json invalidate(ProvDb& db, int64_t entity, const std::string& reason);

}  // namespace xdml::query
