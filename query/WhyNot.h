// WhyNot.h — why a stream item was not handled (`xdmlc prov why-not ITEM [HANDLER]`): for each
// handler of its stream, either the firing that handled it, or the decision that kept it out —
// a `where` predicate that did not hold, with the values that decided ("max(it) = 3.2, not >
// 10.0"), a model that classified it otherwise (its probabilities and version), an item a
// resumed run skipped — or what the record shows when nothing decided.
#pragma once

#include "query/ProvDb.h"

#include <string>

namespace xdml::query {

/// {"entity": the item's row, "handlers": [{"handler", "title", "type", "flow", "handled",
///  "activity" (when handled), "why", "decisions": [decision rows]}]}. `handler` narrows the
/// answer to the handlers whose number, type or title it names ("" : all). Throws a QueryError
/// when the entity is not an item or no handler matches.
nlohmann::json whyNot(ProvDb& db, int64_t entity, const std::string& handler = "");

}  // namespace xdml::query
