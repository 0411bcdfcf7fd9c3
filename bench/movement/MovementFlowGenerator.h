// MovementFlowGenerator.h — generates large, valid XDML flows that give the data-movement
// passes real work: several sites joined by links, streams at different sites, tasks with
// `locality: data`, `locality: SITE` and no locality, fn calls, emit-fed streams consumed by
// other handlers, explicit transfers, records into catalogs and models trained elsewhere.
#pragma once

#include <cstddef>
#include <string>

namespace xdml::bench {

/// A flow of `units` repeated units (about 36 IR nodes each after lowering) over `sites` sites
/// (at least 2) joined in a full mesh of links. Unit k rotates which site plays which role, so
/// every site holds sources, fixed tasks and models. Every name is unique; the text checks clean.
std::string generateMovementFlow(std::size_t units, std::size_t sites = 4);

}  // namespace xdml::bench
