// TaskCall.cpp — see TaskCall.h.
#include "runtime/engine/TaskCall.h"

#include "runtime/engine/BlockingWait.h"
#include "runtime/engine/ResumeLedger.h"
#include "runtime/engine/RunEffects.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/Kinds.h"
#include "runtime/values/Text.h"

#include <chrono>
#include <thread>

namespace xdml::runtime {

namespace {

/// Arguments up to this size are hashed and encoded in a few microseconds (quickSteps).
constexpr uint64_t kQuickStepBytes = uint64_t{64} << 10;

const ClauseMap& noClauses() {
    static const ClauseMap none;
    return none;
}

/// Whether a call's times are read at all: only a deadline or a start_within is judged by them
/// (a clock read costs about 20 ns, and a no-op call read four).
bool timed(const EffectivePolicy& p) { return p.deadline > 0 || p.startWithin > 0; }

RequestPolicy requestPolicy(const EffectivePolicy& p, uint64_t memory) {
    RequestPolicy r;
    r.priority = p.priority;
    r.deadline = p.deadline;
    r.startWithin = p.startWithin;
    r.retry = p.retry;
    r.maxConcurrent = p.maxConcurrent;
    r.memoryCap = p.memoryCap;
    r.memory = memory;
    r.limitKey = p.limitKey;
    return r;
}

class CallClient : public TaskClient {
public:
    /// `key`: the call's resume key (CallKey.h), "" when its outcome is not kept.
    CallClient(Run& run, TaskCall call, const NodeInfo* node, const EffectivePolicy& policy, int handler,
               const std::string& site, double submitted, std::string key, std::shared_ptr<CallTrace> caller)
        : run_(run), call_(std::move(call)), node_(node), policy_(policy),
          effects_(run, handler, site, call_.seq, -1, RunEffects::Body::Task), submitted_(submitted),
          result_(std::make_shared<PendingDatum>()), key_(std::move(key)), trace_(std::make_shared<CallTrace>(std::move(caller))) {
        effects_.setTrace(trace_);
    }
    Pending result() const { return result_; }

    /// The resumed run's outcome of this call, instead of running it (ResumeLedger::reuse).
    void reuse(TaskOutcome kept) {
        const TaskDecl& task = *call_.task;
        try {
            DatumPtr result = datumOf(std::move(kept.result));
            result->seq = call_.seq;
            result->label = task.name;
            {
                std::lock_guard lock(result->mutex);
                result->entity = -1;  // the resumed run's ids mean nothing here
                result->sources.clear();
            }
            if (node_ && node_->persist) result = run_.persist(result, task.name);
            run_.stats().reusedTasks++;
            // Said once, on the value: which call it stands for and whose outcome it is.
            if (run_.provenance())
                run_.recordDecision(std::string(prov::decision_kind::reuse), prov::subjectOfEntity(run_.entityOf(result, "value")),
                                    "reused", "task '" + task.name + "' (line " + std::to_string(call_.line) +
                                                  "): its call key matched a completed call of run " +
                                                  std::to_string(run_.resume()->resumedRun()) + ", whose output still hashes the same",
                                    nlohmann::json{{"key", key_}, {"run", run_.resume()->resumedRun()}}.dump());
            deliver(std::move(result));
        } catch (...) {
            result_->fail(std::current_exception());
        }
    }

    void begin(TaskRequest& r) override {
        const TaskDecl& task = *call_.task;
        if (attempt_ == 0 && timed(policy_)) {
            started_ = run_.elapsed();
            if (policy_.startWithin > 0 && started_ - submitted_ > policy_.startWithin) {
                run_.stats().startMisses++;
                run_.recordDecision("start_miss", "task:" + task.name, "started late",
                                    "task '" + task.name + "' (line " + std::to_string(call_.line) + ") started " +
                                        formatFloat(started_ - submitted_) + " s after its call; start_within is " +
                                        formatFloat(policy_.startWithin) + " s");
            }
        }
        r.attempt = attempt_;
        activity_ = -1;
        if (prov::Store* store = run_.provenance()) {
            prov::ActivityRecord rec;
            rec.kind = "task";
            rec.name = task.name;
            rec.site = r.site;
            rec.policyJson = policy_.json;
            rec.handler = r.handler;
            rec.line = call_.line;
            rec.rank = r.rank;
            rec.host = r.host;
            if (task.python) rec.code = run_.pythonCode(task.name);  // what `prov diff` compares
            std::vector<prov::Store::Use> uses;
            uses.reserve(call_.args.size());
            for (std::size_t i = 0; i < call_.args.size(); ++i) uses.push_back({run_.entityOf(call_.args[i]), task.params[i].name});
            activity_ = store->startActivity(std::move(rec), uses);
        }
        r.activity = activity_;
        effects_.setActivity(activity_);
        r.args.reserve(call_.args.size());
        for (const DatumPtr& arg : call_.args) r.args.push_back(messageOf(run_.moveTo(arg, r.site)));
    }

    EffectSink& effects() override { return effects_; }

    bool quickSteps() const override {
        if (node_ && node_->persist) return false;
        uint64_t bytes = 0;
        for (const DatumPtr& arg : call_.args) bytes += payloadBytes(arg->value);
        return bytes <= kQuickStepBytes;
    }

    bool end(TaskOutcome outcome) override {
        try {
            return finish(std::move(outcome));
        } catch (...) {
            result_->fail(std::current_exception());
            return false;
        }
    }

private:
    bool finish(TaskOutcome o) {
        const TaskDecl& task = *call_.task;
        prov::Store* store = run_.provenance();
        if (o.ok) {
            try {
                std::string hash = keep(o);  // before the value is handed on: a kept outcome is part of the call's completion
                DatumPtr result = datumOf(std::move(o.result));
                result->hash = std::move(hash);  // its entity takes it: a large result is hashed once
                result->seq = call_.seq;
                result->label = task.name;
                const bool persist = node_ && node_->persist;
                if (store) {
                    // Its lineage is the activity: generated by it, which used the arguments.
                    result->sources.clear();
                    if (persist) {
                        store->generated(run_.entityOf(result, "value"), activity_);
                    } else {
                        // The value, its generation and the call's end in one capture.
                        std::lock_guard lock(result->mutex);
                        if (result->entity >= 0) {
                            store->generated(result->entity, activity_);
                            store->endActivity(activity_, "ok");
                        } else {
                            prov::EntityRecord rec = run_.entityRecordOf(*result, "value");
                            result->hash = rec.hash;
                            result->entity = store->endActivity(activity_, std::move(rec));
                        }
                    }
                }
                if (persist) {
                    result = run_.persist(result, task.name);
                    if (store) store->endActivity(activity_, "ok");
                }
                run_.stats().tasksRun++;
                const double finished = policy_.deadline > 0 ? run_.elapsed() : 0;
                if (policy_.deadline > 0 && finished - submitted_ > policy_.deadline) {
                    run_.stats().deadlineMisses++;
                    run_.recordDecision("deadline_miss", prov::subjectOfActivity(activity_), "completed late",
                                        "task '" + task.name + "' (line " + std::to_string(call_.line) + ") took " +
                                            formatFloat(finished - submitted_) + " s from its call; its deadline is " +
                                            formatFloat(policy_.deadline) + " s",
                                        "{\"waited\": " + formatFloat(started_ - submitted_) + "}");
                }
                deliver(std::move(result));
                return false;
            } catch (...) {
                o = TaskOutcome::failed(std::current_exception());
            }
        }
        const FailureMessage& f = o.failure;
        if (store) store->endActivity(activity_, "failed", f.what);
        if (attempt_ < policy_.retry && !run_.stopping()) {
            run_.stats().retries++;
            const int backoffMs = std::min(1000, 10 << std::min(attempt_, 6));
            run_.recordDecision("retry", prov::subjectOfActivity(activity_),
                                "attempt " + std::to_string(attempt_ + 2) + " of " + std::to_string(policy_.retry + 1),
                                "task '" + task.name + "' failed: " + f.what + "; retrying after " +
                                    std::to_string(backoffMs) + " ms");
            BlockingWait blocking;
            std::this_thread::sleep_for(std::chrono::milliseconds(backoffMs));
            ++attempt_;
            return true;
        }
        run_.stats().tasksFailed++;
        const bool eval = f.kind == FailureMessage::Kind::Eval;
        std::string message = f.what;
        if (f.kind != FailureMessage::Kind::Task) {
            message = "task '" + task.name + "' failed";
            if (eval && f.line) message += " at line " + std::to_string(f.line);
            message += ": " + (eval ? f.message : f.what);
        }
        result_->fail(std::make_exception_ptr(TaskFailure(message, call_.line)));
        return false;
    }

    /// Keeps the outcome for a resume, unless the body had effects its outcome does not hold.
    /// A failure to write it fails the call (ResumeError), never silently.
    /// Returns the result's content hash when it took it ("" otherwise).
    std::string keep(const TaskOutcome& o) {
        ResumeLedger* ledger = run_.resume();
        if (!ledger || key_.empty() || trace_->hadEffects()) return "";
        std::string hash = contentHashOf(o.result.value);
        ledger->keep(TaskEntry{key_, hash, encodeOutcome(o), trace_->reads()});
        return hash;
    }

    /// The value, as the `let` it is bound to declares it (`let x: T = task(...)`).
    void deliver(DatumPtr value) {
        try {
            value = asDeclared(std::move(value), call_.as, run_.program());
        } catch (...) {
            result_->fail(std::current_exception());
            return;
        }
        result_->set(std::move(value));
    }

    Run& run_;
    TaskCall call_;
    const NodeInfo* node_;
    const EffectivePolicy& policy_;
    RunEffects effects_;
    double submitted_, started_ = 0;
    Pending result_;
    int attempt_ = 0;
    int64_t activity_ = -1;
    std::string key_;
    std::shared_ptr<CallTrace> trace_;
};

/// The coordinator's half of a fused chain: the locals it reads moved to its site, and the
/// values it binds handed to the firing. It has no activity of its own (each of its calls has
/// one) and is never retried (each call retries by its policy).
class ChainClient : public TaskClient {
public:
    ChainClient(Run& run, ChainCall chain, int handler, double submitted)
        : run_(run), chain_(std::move(chain)), effects_(run, handler, chain_.site, chain_.seq, -1, RunEffects::Body::Chain),
          submitted_(submitted), done_(std::make_shared<PendingDatum>()) {
        for (std::size_t i = 0; i < chain_.outputs.size(); ++i) outputs_.push_back(std::make_shared<PendingDatum>());
    }
    ChainResult result() const { return {outputs_, done_}; }

    void begin(TaskRequest& r) override {
        effects_.setChainStarted(submitted_);
        r.names.clear();
        r.args.clear();
        for (const auto& [name, value] : chain_.inputs) {
            r.names.push_back(name);
            r.args.push_back(messageOf(run_.moveTo(value, r.site)));
        }
    }

    EffectSink& effects() override { return effects_; }

    bool quickSteps() const override {
        uint64_t bytes = 0;
        for (const auto& [name, value] : chain_.inputs) bytes += payloadBytes(value->value);
        return bytes <= kQuickStepBytes;
    }

    bool end(TaskOutcome outcome) override {
        try {
            if (!outcome.ok) rethrow(outcome.failure);
            if (outcome.bound.size() != outputs_.size())
                throw PlanError("fused chain " + std::to_string(chain_.node) + " gave " + std::to_string(outcome.bound.size()) +
                                " values for its " + std::to_string(outputs_.size()) + " names");
            for (std::size_t i = 0; i < outputs_.size(); ++i) outputs_[i]->set(datumOf(std::move(outcome.bound[i])));
            done_->set(Datum::make(Value::none(), chain_.site, chain_.seq));
        } catch (...) {
            for (Pending& p : outputs_) p->fail(std::current_exception());
            done_->fail(std::current_exception());
        }
        return false;
    }

private:
    Run& run_;
    ChainCall chain_;
    RunEffects effects_;
    double submitted_;
    std::vector<Pending> outputs_;
    Pending done_;
};

}  // namespace

Pending startTaskCall(Run& run, TaskCall call, int handler, bool nested, std::shared_ptr<CallTrace> caller) {
    const NodeInfo* node = call.node >= 0 ? run.plan().node(call.node) : nullptr;
    if (call.node >= 0 && !node) throw PlanError("plan code: a call of '" + call.task->name + "' at node " +
                                                 std::to_string(call.node) + ", which is not in the plan");
    const EffectivePolicy& policy = run.policy(node ? node->policy : noClauses());
    std::string key = run.resume() ? run.resume()->keyOf(call.task->name, call.args) : "";
    if (!key.empty()) {
        // Resume, at the coordinator's side: whatever executor runs the site, a kept outcome is
        // not sent to it.
        const std::string what = "task '" + call.task->name + "' (line " + std::to_string(call.line) + ")";
        if (std::optional<TaskOutcome> kept = run.resume()->reuse(key, what)) {
            const double submitted = call.madeAt >= 0 ? call.madeAt : run.elapsed();
            const std::string site = call.site;
            auto client = std::make_shared<CallClient>(run, std::move(call), node, policy, handler, site, submitted, key, caller);
            client->reuse(std::move(*kept));
            return client->result();
        }
    }
    // A nested call runs where its caller runs: the meta-controller places only what queues.
    std::string site = node && !nested ? run.metaController().chooseSite(*node, policy, call.task->name) : call.site;
    TaskRequest r;
    r.node = call.node;
    r.task = call.task->name;
    r.handler = handler;
    r.seq = call.seq;
    r.line = call.line;
    r.submitted = call.madeAt >= 0 ? call.madeAt : timed(policy) ? run.elapsed() : 0;
    r.policy = requestPolicy(policy, node ? node->bytes : 0);
    const auto how = nested ? SiteExecutor::Dispatch::HereNow
                   : call.needNow ? SiteExecutor::Dispatch::HereIfFree
                                  : SiteExecutor::Dispatch::Queue;
    auto client = std::make_shared<CallClient>(run, std::move(call), node, policy, handler, site, r.submitted, std::move(key),
                                               std::move(caller));
    Pending result = client->result();
    SiteExecutor& executor = run.site(site);
    r.site = std::move(site);
    if (!nested) run.stats().requests++;
    executor.submit(std::move(r), std::move(client), how);
    return result;
}

}  // namespace xdml::runtime

namespace xdml::runtime {

ChainResult startChainCall(Run& run, ChainCall chain, int handler) {
    const NodeInfo* node = run.plan().node(chain.node);
    if (!node) throw PlanError("plan code: fused chain " + std::to_string(chain.node) + ", which is not among the plan's nodes");
    const EffectivePolicy& policy = run.policy(node->policy);
    std::string site = run.metaController().chooseSite(*node, policy, node->label);
    TaskRequest r;
    r.node = chain.node;
    r.chain = true;
    r.handler = handler;
    r.seq = chain.seq;
    r.line = chain.line;
    r.submitted = run.elapsed();
    // It queues as its calls would; each call retries by itself, inside it.
    r.policy = requestPolicy(policy, node->bytes);
    r.policy.retry = 0;
    chain.site = site;
    const auto how = chain.needNow ? SiteExecutor::Dispatch::HereIfFree : SiteExecutor::Dispatch::Queue;
    auto client = std::make_shared<ChainClient>(run, std::move(chain), handler, r.submitted);
    ChainResult result = client->result();
    SiteExecutor& executor = run.site(site);
    r.site = std::move(site);
    run.stats().requests++;
    executor.submit(std::move(r), std::move(client), how);
    return result;
}

}  // namespace xdml::runtime
