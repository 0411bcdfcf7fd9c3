// HandlerFiring.cpp — see HandlerFiring.h.
#include "runtime/engine/HandlerFiring.h"

#include "runtime/engine/Run.h"
#include "runtime/engine/RunEffects.h"
#include "runtime/io/PrintableName.h"
#include "runtime/provenance/Kinds.h"
#include "runtime/values/Text.h"

namespace xdml::runtime {

std::string handlerTitle(const HandlerInfo& h) {
    if (h.kind == planformat::HandlerKind::End) return "on end of " + h.stream;
    if (h.kind == planformat::HandlerKind::Stop) return "on stop";
    std::string t = "on new data of type " + h.type + " in " + h.stream;
    if (h.every > 1) t += " every " + std::to_string(h.every);
    return t;
}

bool fireHandler(Run& run, const BoundHandler& handler, const DatumPtr& binding, int64_t seq, double arrival,
                 const std::vector<int64_t>& items) {
    const HandlerInfo* info = &handler.info;
    const Stmt* statement = handler.statement;
    const std::string& title = handler.title;
    HandlerCounters& counters = *handler.counters;
    counters.running++;
    prov::Store* store = run.provenance();
    int64_t activity = -1;
    bool ok = true;
    try {
        if (store) {
            prov::ActivityRecord rec;
            rec.kind = "handler";
            rec.name = title;
            rec.site = info->site;
            rec.handler = info->id;
            rec.line = statement->line;
            rec.policyJson = handler.policy->json;
            static const std::string itemRole = "item";
            std::vector<prov::Store::Use> uses;
            uses.reserve(items.size());
            for (int64_t e : items) uses.push_back({e, itemRole});
            activity = store->startActivity(std::move(rec), uses);
        }
        // A trigger decision where a choice was made: a type decided per item, a group of N, the
        // end of a stream. A plain firing is said in full by its activity and the item it used.
        if (store && (handler.refined || info->kind == planformat::HandlerKind::End || info->every > 1)) {
            std::string reason = info->kind == planformat::HandlerKind::End ? "stream " + info->stream + " ended and its handlers finished"
                                 : info->every > 1
                                     ? std::to_string(items.size()) + " items of type " + info->type + " arrived"
                                     : "item " + std::to_string(seq) + " of " + info->stream + " is a " + info->type;
            store->decision({"trigger", prov::subjectOfActivity(activity), title, reason,
                             "{\"items\": " + nlohmann::json(items).dump() + "}", -1});
        }
    } catch (const std::exception& e) {
        run.report("provenance: " + std::string(e.what()), "provenance");
    }
    try {
        CoordinatorFiring firing(run, info->id, info->site.empty() ? run.plan().homeSite : info->site, seq, activity);
        if (binding && !statement->as.empty()) firing.bind(statement->as, binding);
        firing.runHandler(statement->body);
        if (store && activity > 0) store->endActivity(activity, "ok");
    } catch (const std::exception& e) {
        ok = false;
        counters.failed++;
        run.stats().droppedItems += info->kind == planformat::HandlerKind::End ? 0 : 1;
        const FailureText failure = failureText(e, statement->line);
        run.report(printableName(run.plan().file) + ":" + std::to_string(failure.line) + ": " + title +
                       (seq >= 0 ? " (item " + std::to_string(seq) + ")" : "") + ": " + failure.message,
                   failure.kind);
        if (store && activity > 0) {
            try {
                store->endActivity(activity, "failed", failure.message);
            } catch (const std::exception&) {
            }  // already reported by the store's flush
        }
    }
    const EffectivePolicy& policy = *handler.policy;
    if (policy.deadline > 0 && info->kind == planformat::HandlerKind::Data && run.elapsed() - arrival > policy.deadline) {
        run.stats().deadlineMisses++;
        run.recordDecision("deadline_miss", prov::subjectOfActivity(activity), "completed late",
                           title + ": item " + std::to_string(seq) + " took " + formatFloat(run.elapsed() - arrival) +
                               " s from its arrival; the deadline is " + formatFloat(policy.deadline) + " s");
    }
    counters.firings++;
    counters.running--;
    return ok;
}

namespace {

/// A handler that runs once, by the run's own doing: its activity, `body` on a coordinator
/// firing, its failure reported at its line. `reason`, when given, is recorded as the trigger.
void runOnce(Run& run, const HandlerInfo& h, const std::string& title, const std::vector<Stmt>& body, int line,
             const std::string& reason) {
    prov::Store* store = run.provenance();
    int64_t activity = -1;
    if (store) {
        prov::ActivityRecord rec{"handler", title, h.site, run.policy(h.policy).json, h.id, 0};
        rec.line = line;
        activity = store->startActivity(rec);
        if (!reason.empty())
            store->decision({"trigger", prov::subjectOfActivity(activity), title, reason, "{}", -1});
    }
    // Outside the try: an error without a line of its own is reported at its statement's.
    std::optional<CoordinatorFiring> firing;
    try {
        firing.emplace(run, h.id, h.site.empty() ? run.plan().homeSite : h.site, -1, activity);
        firing->runHandler(body);
        if (store) store->endActivity(activity, "ok");
    } catch (const std::exception& e) {
        run.stats().handler(h.id).failed++;
        const FailureText failure = failureText(e, firing && firing->failedLine() ? firing->failedLine() : line);
        run.report(printableName(run.plan().file) + ":" + std::to_string(failure.line) + ": flow " + h.flow + ": " +
                   (reason.empty() ? "" : title + ": ") + failure.message);
        if (store) store->endActivity(activity, "failed", failure.message);
    }
    firing.reset();  // ended before the run may count this handler finished
    run.stats().handler(h.id).firings++;
}

}  // namespace

void runStartHandler(Run& run, const HandlerInfo& h, const FlowDecl& flow) {
    runOnce(run, h, "flow " + h.flow + " starts", flow.body, 0, "");
}

void runStopHandler(Run& run, const HandlerInfo& h, const Stmt& statement, const std::string& why) {
    runOnce(run, h, "on stop", statement.body, statement.line, why);
}

}  // namespace xdml::runtime
