// RemoteModels.h — rank 0's models in a distributed run (docs/distributed.md, "Models at their
// sites"): a model whose site runs on MPI ranks trains and infers at that site's first work
// rank (ModelServer.h), the others here, as in a local run. Rank 0 keeps every Models call's
// caller unchanged (RunEffects, ItemTypes): it sees one Models that routes each model's calls.
#pragma once

#include "runtime/distributed/Mailbox.h"
#include "runtime/distributed/ModelServer.h"
#include "runtime/distributed/RankLayout.h"
#include "runtime/engine/Models.h"

#include <memory>

namespace xdml::runtime::distributed {

/// The rank that serves `model` (its site's first work rank), or 0 when its site runs on rank 0
/// (a local site, or no site: the flow's home site). `model`'s site is its `at`.
int modelRank(const Program& program, const RankLayout& layout, const std::string& model, const std::string& homeSite);

/// The models of `program` at their sites: those of MPI-placed sites are opened at their ranks
/// (recording their version 0 there, through rank 0's store), the rest made here by
/// `makeLocal`. Null when the program declares no models. Registers rank 0's ModelEffect handler.
std::unique_ptr<Models> modelsAtSites(Mailbox& mailbox, const RankLayout& layout, const Program& program,
                                      const ModelContext& context, const MakeModels& makeLocal);

}  // namespace xdml::runtime::distributed
