// MetaController.cpp — policies as the run enforces them (Run::policy evaluates a node's or
// handler's merged clauses once) and the flow-level meta-controller (Run::chooseSite), which
// sees each site only through SiteStatus.
#include "runtime/engine/Run.h"

#include "runtime/interp/Evaluate.h"
#include "runtime/values/Text.h"

#include <algorithm>

namespace xdml::runtime {

namespace {

/// The clauses as written, for provenance.
std::string jsonOf(const ClauseMap& clauses) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, c] : clauses) j[k] = c.value;
    return j.dump();
}

}  // namespace

const EffectivePolicy& Run::policy(const ClauseMap& clauses) {
    std::lock_guard lock(policiesMutex_);
    if (auto it = policies_.find(&clauses); it != policies_.end()) return it->second;
    EffectivePolicy p;
    p.json = jsonOf(clauses);
    Evaluator ev(program_, nullptr, compiled());
    auto value = [&](const std::string& key) -> std::optional<Value> {
        auto it = clauses.find(key);
        if (it == clauses.end() || !it->second.expr) return std::nullopt;
        const Expr& e = *it->second.expr;
        if (e.op == Expr::Op::Name && (e.binding == NameBinding::OtherGlobal || e.binding == NameBinding::Word))
            return Value::string(e.name);
        try {
            return ev.evaluate(e, Scope());
        } catch (const std::exception&) {
            return std::nullopt;  // a clause for the models issue (until: accuracy ...)
        }
    };
    auto seconds = [](const std::optional<Value>& v) {
        return v && v->is(Value::Kind::Quantity) ? v->asQuantity().value : 0.0;
    };
    p.deadline = seconds(value("deadline"));
    p.startWithin = seconds(value("start_within"));
    if (auto v = value("priority"); v && v->is(Value::Kind::Int)) p.priority = static_cast<int>(v->asInt());
    if (auto v = value("retry"); v && v->is(Value::Kind::Int)) p.retry = static_cast<int>(std::clamp<int64_t>(v->asInt(), 0, 100));
    if (auto v = value("locality"); v && v->is(Value::Kind::String)) p.locality = v->asString();
    if (auto v = value("limit"); v && v->is(Value::Kind::Record)) {
        p.limitKey = clauses.at("limit").from;
        for (const Field& f : v->asRecord().fields) {
            if ((f.name == "tasks" || f.name == "cores") && f.value.is(Value::Kind::Int)) {
                const int n = static_cast<int>(std::clamp<int64_t>(f.value.asInt(), 1, 1 << 20));
                p.maxConcurrent = p.maxConcurrent ? std::min(p.maxConcurrent, n) : n;
            }
            if (f.name == "memory" && f.value.is(Value::Kind::Quantity))
                p.memoryCap = static_cast<uint64_t>(f.value.asQuantity().value);
        }
    }
    return policies_.emplace(&clauses, p).first->second;
}

std::string Run::chooseSite(const NodeInfo& node, const EffectivePolicy& policy, const std::string& name) {
    // The meta-controller: it sees each site only through SiteStatus. A `locality: data` task
    // whose planned site would start it past its deadline goes to the site that meets it, when
    // the transfer of its inputs leaves time.
    if (node.fixed || policy.locality != "data" || policy.deadline <= 0 || sites_.size() < 2) return node.site;
    const SiteStatus here = site(node.site).status();
    if (here.estimatedWait + here.meanJobSeconds <= policy.deadline) return node.site;
    std::string best = node.site;
    double bestFinish = here.estimatedWait + here.meanJobSeconds;
    for (const auto& [name2, controller] : sites_) {
        if (name2 == node.site) continue;
        const SiteStatus s = controller->status();
        double move = 0;
        if (const LinkInfo* l = plan_.link(node.site, name2); l && l->bandwidth > 0)
            move = l->latency + static_cast<double>(node.bytes) / l->bandwidth;
        const double finish = s.estimatedWait + (s.meanJobSeconds > 0 ? s.meanJobSeconds : here.meanJobSeconds) + move;
        if (finish < bestFinish) {
            best = name2;
            bestFinish = finish;
        }
    }
    if (best != node.site) {
        stats_.relocations++;
        nlohmann::json inputs = {{"planned_site", node.site}, {"planned_wait", here.estimatedWait},
                                 {"chosen_finish", bestFinish}, {"deadline", policy.deadline}};
        recordDecision("placement", "node:" + std::to_string(node.id), best,
                       "task '" + name + "' moved from " + node.site + " (estimated wait " + formatFloat(here.estimatedWait) +
                           " s, past its deadline of " + formatFloat(policy.deadline) + " s) to " + best,
                       inputs.dump());
    }
    return best;
}

}  // namespace xdml::runtime
