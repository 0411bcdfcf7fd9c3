// ModelStatements.cpp — what the coordinator does for a firing's models (RunEffects.h):
// `train M on S @ p` (LANGUAGE.md §5) and the questions `m(x)`, `probs(m, x)`, `version(m)`,
// `accuracy(m, S)`. The arithmetic is the models runtime's (Models.h); this file gathers the
// items, evaluates the policy, records what was used and reports.
#include "runtime/engine/RunEffects.h"

#include "runtime/engine/StreamRuntime.h"
#include "runtime/io/PrintableName.h"
#include "runtime/values/Text.h"

#include <limits>

namespace xdml::runtime {

namespace {

/// Binds the training metrics of `until`: accuracy, loss and epoch shadow every other name.
class TrainingMetrics : public EffectHost {
public:
    TrainingMetrics(double accuracy, double loss, int64_t epoch) : accuracy_(accuracy), loss_(loss), epoch_(epoch) {}
    std::optional<Value> call(const Expr&, const Scope&, Evaluator&) override { return std::nullopt; }
    std::optional<Value> global(const Expr& name, const Scope&) override {
        if (name.name == "accuracy") return Value::float64(accuracy_);
        if (name.name == "loss") return Value::float64(loss_);
        if (name.name == "epoch") return Value::integer(epoch_);
        return std::nullopt;
    }

private:
    double accuracy_, loss_;
    int64_t epoch_;
};

/// An expression as a reader writes it, for the train_stop decision: `accuracy >= 0.95`.
std::string sourceText(const Expr& e) {
    switch (e.op) {
    case Expr::Op::Literal: return toText(e.literal);
    case Expr::Op::Name: return e.name;
    case Expr::Op::Not: return "not " + sourceText(e.args.at(0));
    case Expr::Op::Negate: return "-" + sourceText(e.args.at(0));
    case Expr::Op::Binary:
        return sourceText(e.args.at(0)) + " " + spelling(e.binary) + " " + sourceText(e.args.at(1));
    case Expr::Op::Call: {
        std::string s = e.name + "(";
        for (std::size_t i = 0; i < e.args.size(); ++i) s += (i ? ", " : "") + sourceText(e.args[i]);
        return s + ")";
    }
    default: return "(...)";
    }
}

/// A stream item as training and scoring read it: its fields x and y.
LabeledItem labeled(const DatumPtr& d) {
    LabeledItem item;
    item.entity = d->entity;
    item.seq = d->seq;
    if (d->value.is(Value::Kind::Record)) {
        if (const Value* x = d->value.asRecord().find("x")) item.x = *x;
        if (const Value* y = d->value.asRecord().find("y")) item.y = *y;
    }
    return item;
}

}  // namespace

void RunEffects::train(const Stmt& s, const TaskDecl* task) {
    if (trace_) trace_->effect();
    Models& models = run_.models();
    StreamRuntime* stream = run_.stream(s.target);
    if (!stream) throw EvalError("no stream '" + s.target + "' in this run", s.line);
    // In a handler of S's own items: the items up to the one that fired it; elsewhere: all so far.
    const HandlerInfo& handler = run_.plan().handlers.at(static_cast<std::size_t>(handler_));
    const bool ownItems = !inTask_ && handler.kind == planformat::HandlerKind::Data && handler.stream == s.target && seq_ >= 0;
    const int64_t last = ownItems ? seq_ : std::numeric_limits<int64_t>::max();

    TrainingRequest r;
    r.model = s.name;
    r.stream = s.target;
    r.line = s.line;
    r.handlerActivity = activity_;
    const NodeInfo* node = inTask_ ? nullptr : run_.plan().nodeAt(handler_, s.at);
    r.site = node ? node->site : site_;
    // The clauses, later ones winning: in a handler, its train node's (flow, handler and
    // statement merged by the compiler); in a task, however deeply called, the handler's (flow
    // and handler merged), the task declaration's, the statement's.
    std::map<std::string, const Expr*> clauses;
    auto merge = [&](const std::optional<PolicyRef>& ref) {
        if (!ref) return;
        if (const auto* own = ref->name.empty() ? &ref->clauses : run_.program().policy(ref->name))
            for (const auto& [key, e] : *own) clauses[key] = &e;
    };
    if (const ClauseMap* base = inTask_ ? &handler.policy : node ? &node->policy : nullptr)
        for (const auto& [key, c] : *base)
            if (c.expr) clauses[key] = &*c.expr;
    if (inTask_ && task) merge(task->policy);
    if (inTask_) merge(s.policy);
    {
        Evaluator ev(run_.program(), nullptr, run_.compiled());
        auto clause = [&](const char* key) -> std::optional<Value> {
            auto it = clauses.find(key);
            if (it == clauses.end() || key == std::string("until")) return std::nullopt;
            return ev.evaluate(*it->second, Scope());
        };
        auto integer = [&](const char* key, int64_t& out, int64_t lowest) {
            if (auto v = clause(key)) {
                if (!v->is(Value::Kind::Int) || v->asInt() < lowest)
                    throw EvalError("'" + std::string(key) + "' must be an int of at least " + std::to_string(lowest) +
                                        ", not " + toText(*v),
                                    s.line);
                out = v->asInt();
            }
        };
        integer("batch", r.policy.batch, 1);
        integer("max_epochs", r.policy.maxEpochs, 1);
        if (auto v = clause("lr")) {
            if (!v->isNumber() || !(v->number() > 0)) throw EvalError("'lr' must be a positive number, not " + toText(*v), s.line);
            r.policy.lr = v->number();
        }
        if (auto v = clause("validate")) {
            if (!v->isNumber() || v->number() < 0 || v->number() >= 1)
                throw EvalError("'validate' is the held-out fraction, from 0 up to (not including) 1, not " + toText(*v), s.line);
            r.policy.validate = v->number();
        }
        if (auto v = clause("optimizer")) {
            if (!v->is(Value::Kind::String) || (v->asString() != "sgd" && v->asString() != "adam"))
                throw EvalError("'optimizer' must be sgd or adam, not " + toText(*v), s.line);
            r.policy.optimizer = v->asString();
        }
        if (auto it = clauses.find("until"); it != clauses.end()) {
            const Expr* until = it->second;
            r.policy.untilText = sourceText(*until);
            r.policy.until = [this, until, line = s.line](double accuracy, double loss, int64_t epoch) {
                TrainingMetrics metrics(accuracy, loss, epoch);
                Evaluator ev(run_.program(), &metrics, run_.compiled());
                const Value v = ev.evaluate(*until, Scope());
                if (!v.is(Value::Kind::Bool)) throw EvalError("'until' must be a bool, not " + describe(v), line);
                return v.asBool();
            };
        }
    }
    std::lock_guard oneAtATime(stream->trainingMutex(s.name));
    int64_t end = 0;
    // The items go where the training runs: a real copy, counted, when that is another site.
    for (const DatumPtr& d : stream->untrained(s.name, last, end)) r.items.push_back(labeled(run_.moveTo(d, r.site)));
    if (r.items.empty()) return;  // nothing new: no new version
    try {
        // The buffer lives where the model trains: here, or (its settings sent) at its site's rank.
        r.rehearse = stream->rehearsalConfig(s.name);
        if (r.rehearse && models.inProcess(s.name))
            r.buffer = stream->rehearsal(s.name, static_cast<std::size_t>(models.inputSize(s.name)));
        r.mix = stream->rehearsalMix();
        const std::string where = printableName(run_.plan().file) + ":" + std::to_string(s.line) + ": train " + s.name + " on " + s.target + ": ";
        r.stopping = [this] { return run_.stopping(); };
        r.reportItem = [this, where](const std::string& problem) { run_.report(where + problem, "train-item:" + where); };
        models.train(r);
    } catch (const ModelError& e) {
        throw EvalError(e.what(), s.line);
    }
    stream->trained(s.name, end);
}

Value RunEffects::askModel(const ModelQuery& q) {
    if (trace_) trace_->effect();  // the answer depends on the model's state, not only on the call
    Models& models = run_.models();
    auto infer = [&]() {
        // A replay answers with the version the recorded run used for this firing (which
        // version was current was the scheduler's choice).
        const ReplayLog* replay = run_.options().replay.get();
        const int64_t version = replay ? replay->modelVersion(q.model, handler_, seq_) : -1;
        Inference inference = models.infer(q.model, q.input, version);
        if (prov::Store* store = run_.provenance(); store && activity_ > 0 && inference.versionEntity > 0)
            store->used(activity_, inference.versionEntity, "model");
        return inference;
    };
    if (q.kind == ModelQuery::Kind::Classify) return Value::string(infer().className);
    // What the answer came from: the version's weights, used by this activity.
    if (prov::Store* store = run_.provenance(); store && activity_ > 0 && q.kind != ModelQuery::Kind::Probs)
        if (const int64_t weights = models.versionEntity(q.model); weights > 0) store->used(activity_, weights, "model");
    if (q.kind == ModelQuery::Kind::Version) return Value::integer(models.version(q.model));
    if (q.kind == ModelQuery::Kind::Probs) {
        const Inference inference = infer();
        Tensor t = Tensor::zeros(ElemType::F32, {static_cast<int64_t>(inference.probabilities.size())});
        std::copy(inference.probabilities.begin(), inference.probabilities.end(), t.data<float>());
        return Value::tensor(std::move(t));
    }
    StreamRuntime* stream = run_.stream(q.stream);
    if (!stream) throw EvalError("'accuracy' takes a model and a stream", q.line);
    const std::string where = printableName(run_.plan().file) + ":" + std::to_string(q.line) + ": accuracy(" + q.model + ", " +
                              q.stream + "): stream " + q.stream + " ";
    std::vector<LabeledItem> items;
    for (const DatumPtr& d : stream->delivered()) items.push_back(labeled(d));
    return Value::float64(models.accuracy(q.model, items, [this, where](const std::string& problem) {
        run_.report(where + problem, "accuracy-item:" + where);
    }));
}

}  // namespace xdml::runtime
