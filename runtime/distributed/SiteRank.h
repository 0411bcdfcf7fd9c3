// SiteRank.h — the life of a rank other than 0 in a distributed run: it says hello, waits for
// the plan, builds the program and its kernels from it (so every rank runs the same code),
// and serves its site until rank 0 says stop. Every rank of a site runs the task calls sent to
// it (go: on its threads in turn, its effects sent to rank 0 as EffectMessages, its outcome
// posted back as done);
// the site's first rank is also its controller: the site's queue (JobQueue: priorities,
// deadlines, limits — the local decisions, taken as messages arrive), one slot per thread of
// its work ranks (plus its prefetch), and the SiteStatus it sends rank 0 whenever it changes
// (at most every 20 ms).
#pragma once

#include "runtime/distributed/Mailbox.h"
#include "runtime/distributed/ModelServer.h"
#include "runtime/interp/CompiledCode.h"
#include "runtime/interp/Program.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>

namespace xdml::runtime::distributed {

/// The options of the run that the other ranks need, with the plan and the layout.
struct PlanMessage {
    nlohmann::json plan;
    std::filesystem::path workdir;
    bool provenance = true;
    nlohmann::json layout;  // RankLayout::toJson
    std::string encode() const;
    static PlanMessage decode(const std::string& bytes);
};

/// Compiles the program's kernels (the JIT), or returns nullptr to interpret.
using CompileKernels = std::function<std::shared_ptr<const CompiledCode>(const Program&)>;

/// Serves this rank until rank 0 posts Stop; the exit status (0, or 1 when the plan cannot be
/// used here: said on stderr). `mailbox` is started. The first work rank of a site also serves
/// its models (ModelServer.h), made with `makeModels` when rank 0 opens them.
int serveSite(Mailbox& mailbox, const CompileKernels& compile, const MakeModels& makeModels = nullptr);

}  // namespace xdml::runtime::distributed
