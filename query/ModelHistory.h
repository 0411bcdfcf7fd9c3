// ModelHistory.h — a model's version chain in one run (`xdmlc prov models NAME`): each version
// with its parent, its metrics, the items it trained on and held out, the rehearsal snapshot it
// drew from, where its weights are, and why its training stopped.
#pragma once

#include "query/ProvDb.h"

namespace xdml::query {

/// {"model", "run", "versions": [models row + "parent_version", "weights": {hash, path, valid},
///  "trained_items", "held_out_items", "train_stop": decision row or null]}. Throws a
/// QueryError naming the runs that have the model when run `run` has none.
nlohmann::json modelHistory(ProvDb& db, const std::string& model, int64_t run);

}  // namespace xdml::query
