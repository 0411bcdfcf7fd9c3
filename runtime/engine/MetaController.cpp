// MetaController.cpp — see MetaController.h.
#include "runtime/engine/MetaController.h"

#include "runtime/values/Text.h"

#include <algorithm>

namespace xdml::runtime {

std::string MetaController::chooseSite(const NodeInfo& node, const EffectivePolicy& policy, const std::string& name) {
    if (node.fixed || policy.locality != "data" || policy.deadline <= 0) return node.site;
    const std::vector<SiteStatus> sites = statuses_();
    if (sites.size() < 2) return node.site;
    auto planned = std::find_if(sites.begin(), sites.end(), [&](const SiteStatus& s) { return s.site == node.site; });
    if (planned == sites.end()) throw PlanError("plan: a node at the unknown site '" + node.site + "'");
    const SiteStatus& here = *planned;
    if (here.estimatedWait + here.meanJobSeconds <= policy.deadline) return node.site;
    std::string best = node.site;
    double bestFinish = here.estimatedWait + here.meanJobSeconds;
    for (const SiteStatus& s : sites) {
        if (s.site == node.site) continue;
        double move = 0;
        if (const LinkInfo* l = plan_.link(node.site, s.site); l && l->bandwidth > 0)
            move = l->latency + static_cast<double>(node.bytes) / l->bandwidth;
        const double finish = s.estimatedWait + (s.meanJobSeconds > 0 ? s.meanJobSeconds : here.meanJobSeconds) + move;
        if (finish < bestFinish) {
            best = s.site;
            bestFinish = finish;
        }
    }
    if (best != node.site) {
        relocations_++;
        nlohmann::json inputs = {{"planned_site", node.site}, {"planned_wait", here.estimatedWait},
                                 {"chosen_finish", bestFinish}, {"deadline", policy.deadline}};
        if (decisions_)
            decisions_->decision({"placement", "node:" + std::to_string(node.id), best,
                                  "task '" + name + "' moved from " + node.site + " (estimated wait " +
                                      formatFloat(here.estimatedWait) + " s, past its deadline of " +
                                      formatFloat(policy.deadline) + " s) to " + best,
                                  inputs.dump(), -1});
    }
    return best;
}

}  // namespace xdml::runtime
