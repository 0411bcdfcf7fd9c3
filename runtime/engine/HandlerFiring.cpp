// HandlerFiring.cpp — see HandlerFiring.h.
#include "runtime/engine/HandlerFiring.h"

#include "runtime/engine/Run.h"
#include "runtime/engine/RunEffects.h"
#include "runtime/io/PrintableName.h"
#include "runtime/provenance/Kinds.h"
#include "runtime/values/Text.h"

#include <atomic>
#include <utility>

namespace xdml::runtime {

std::string handlerTitle(const HandlerInfo& h) {
    if (h.kind == planformat::HandlerKind::End) return "on end of " + h.stream;
    if (h.kind == planformat::HandlerKind::Stop) return "on stop";
    std::string t = "on new data of type " + h.type + " in " + h.stream;
    if (h.every > 1) t += " every " + std::to_string(h.every);
    return t;
}

namespace {

/// One firing of a data or end handler from its start to its end, which may come on another
/// thread than its start (FiringQueue::Defer): what the end needs is kept here.
class HandlerRun {
public:
    HandlerRun(Run& run, const BoundHandler& handler, int64_t seq, double arrival, std::function<void(bool)> ended)
        : run_(run), handler_(handler), seq_(seq), arrival_(arrival), ended_(std::move(ended)) {}

    /// Records the firing's start and runs its body's statements. False: the firing has
    /// failed and ended.
    /// `mayDefer`: the firing may end later, on another thread (its last call is not waited
    /// for in place).
    bool start(const DatumPtr& binding, const std::vector<int64_t>& items, bool mayDefer) {
        recordStart(items);
        const HandlerInfo& info = handler_.info;
        try {
            firing_.emplace(run_, info.id, info.site.empty() ? run_.plan().homeSite : info.site, seq_, activity_);
            if (binding && !handler_.statement->as.empty()) firing_->bind(handler_.statement->as, binding);
            firing_->startHandler(handler_.statement->body, mayDefer);
        } catch (const std::exception& e) {
            fail(e);
            end();
            return false;
        }
        return true;
    }
    /// The calls the body started that are still under way.
    std::vector<Pending> unfinished() const { return firing_->unfinished(); }
    /// Calls `resume` (which keeps this firing alive) once every one of `calls` has finished,
    /// on the thread that finishes the last.
    void whenAllDone(const std::vector<Pending>& calls, std::function<void()> resume) {
        resume_ = std::move(resume);
        left_.store(calls.size());
        for (const Pending& p : calls)
            if (!p->whenDone([this] { oneDone(); })) oneDone();
    }
    /// Applies the body's last effects, waits for its calls, and ends the firing.
    void finish() {
        try {
            firing_->finishHandler();
            if (prov::Store* store = run_.provenance(); store && activity_ > 0) store->endActivity(activity_, "ok");
        } catch (const std::exception& e) {
            fail(e);
        }
        end();
    }

private:
    void oneDone() {
        if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1) std::exchange(resume_, nullptr)();
    }

    void recordStart(const std::vector<int64_t>& items) {
        prov::Store* store = run_.provenance();
        if (!store) return;
        const HandlerInfo& info = handler_.info;
        try {
            prov::ActivityRecord rec;
            rec.kind = "handler";
            rec.name = handler_.title;
            rec.site = info.site;
            rec.handler = info.id;
            rec.line = handler_.statement->line;
            rec.policyJson = handler_.policy->json;
            static const std::string itemRole = "item";
            std::vector<prov::Store::Use> uses;
            uses.reserve(items.size());
            for (int64_t e : items) uses.push_back({e, itemRole});
            activity_ = store->startActivity(std::move(rec), uses);
            // A trigger decision where a choice was made: a type decided per item, a group of
            // N, the end of a stream. A plain firing is said in full by its activity and the
            // item it used.
            if (handler_.refined || info.kind == planformat::HandlerKind::End || info.every > 1) {
                std::string reason = info.kind == planformat::HandlerKind::End ? "stream " + info.stream + " ended and its handlers finished"
                                     : info.every > 1
                                         ? std::to_string(items.size()) + " items of type " + info.type + " arrived"
                                         : "item " + std::to_string(seq_) + " of " + info.stream + " is a " + info.type;
                store->decision({"trigger", prov::subjectOfActivity(activity_), handler_.title, reason,
                                 "{\"items\": " + nlohmann::json(items).dump() + "}", -1});
            }
        } catch (const std::exception& e) {
            run_.report("provenance: " + std::string(e.what()), "provenance");
        }
    }

    void fail(const std::exception& e) {
        const HandlerInfo& info = handler_.info;
        ok_ = false;
        handler_.counters->failed++;
        run_.stats().droppedItems += info.kind == planformat::HandlerKind::End ? 0 : 1;
        const FailureText failure = failureText(e, handler_.statement->line);
        run_.report(printableName(run_.plan().file) + ":" + std::to_string(failure.line) + ": " + handler_.title +
                        (seq_ >= 0 ? " (item " + std::to_string(seq_) + ")" : "") + ": " + failure.message,
                    failure.kind);
        if (prov::Store* store = run_.provenance(); store && activity_ > 0) {
            try {
                store->endActivity(activity_, "failed", failure.message);
            } catch (const std::exception&) {
            }  // already reported by the store's flush
        }
    }

    void end() {
        firing_.reset();  // ended before the run may count this handler finished
        const HandlerInfo& info = handler_.info;
        const EffectivePolicy& policy = *handler_.policy;
        if (policy.deadline > 0 && info.kind == planformat::HandlerKind::Data && run_.elapsed() - arrival_ > policy.deadline) {
            run_.stats().deadlineMisses++;
            run_.recordDecision("deadline_miss", prov::subjectOfActivity(activity_), "completed late",
                                handler_.title + ": item " + std::to_string(seq_) + " took " + formatFloat(run_.elapsed() - arrival_) +
                                    " s from its arrival; the deadline is " + formatFloat(policy.deadline) + " s");
        }
        handler_.counters->firings++;
        if (ended_) ended_(ok_);
    }

    Run& run_;
    const BoundHandler& handler_;
    int64_t seq_;
    double arrival_;
    std::function<void(bool)> ended_;
    int64_t activity_ = -1;
    bool ok_ = true;
    std::optional<CoordinatorFiring> firing_;
    std::atomic<std::size_t> left_{0};  // calls whenAllDone still waits for
    std::function<void()> resume_;
};

}  // namespace

void fireHandler(Run& run, const BoundHandler& handler, const DatumPtr& binding, int64_t seq, double arrival,
                 const std::vector<int64_t>& items, FiringQueue::Defer* defer, std::function<void(bool ok)> ended) {
    if (!defer) {  // it ends on this thread: nothing to keep beyond this call
        HandlerRun firing(run, handler, seq, arrival, std::move(ended));
        if (firing.start(binding, items, false)) firing.finish();
        return;
    }
    auto firing = std::make_shared<HandlerRun>(run, handler, seq, arrival, std::move(ended));
    if (!firing->start(binding, items, true)) return;
    std::vector<Pending> waiting = firing->unfinished();
    if (waiting.empty()) {
        firing->finish();
        return;
    }
    // The body is through and its calls run elsewhere: its end runs on a handler thread once
    // the last of them has finished, and this thread moves on.
    firing->whenAllDone(waiting, defer->later([firing] { firing->finish(); }));
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
