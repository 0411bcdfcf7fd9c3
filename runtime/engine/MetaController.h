// MetaController.h — the flow-level meta-controller: it sees each site only through SiteStatus
// messages (the performance-control interface of SiteController.h), and moves a
// `locality: data` task whose planned site would start it past its deadline to a site that
// meets it, when the transfer of its inputs leaves time. Each move is a recorded decision.
#pragma once

#include "runtime/engine/Counter.h"
#include "runtime/engine/PlanModel.h"
#include "runtime/engine/PolicyTable.h"
#include "runtime/engine/SiteExecutor.h"
#include "runtime/provenance/Store.h"

#include <functional>
#include <string>
#include <vector>

namespace xdml::runtime {

class MetaController {
public:
    /// The sites' statuses as they are now, one per site.
    using StatusSource = std::function<std::vector<SiteStatus>()>;

    /// `plan`: the links between sites; `decisions`: where relocations are recorded (nullptr:
    /// not recorded); `relocations`: counted there.
    MetaController(StatusSource statuses, const PlanModel& plan, prov::Store* decisions, Counter& relocations)
        : statuses_(std::move(statuses)), plan_(plan), decisions_(decisions), relocations_(relocations) {}

    /// Where a task of `node` (called `name`) under `policy` should run now: the plan's site,
    /// or another one when the plan's is saturated past the task's deadline.
    std::string chooseSite(const NodeInfo& node, const EffectivePolicy& policy, const std::string& name);

private:
    StatusSource statuses_;
    const PlanModel& plan_;
    prov::Store* decisions_;
    Counter& relocations_;
};

}  // namespace xdml::runtime
