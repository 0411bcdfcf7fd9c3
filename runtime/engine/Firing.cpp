// Firing.cpp — see Firing.h.
#include "runtime/engine/Firing.h"

#include "runtime/engine/StreamRuntime.h"
#include "runtime/exec/Shell.h"
#include "runtime/interp/Arguments.h"
#include "runtime/interp/Conform.h"
#include "runtime/io/ConformItem.h"
#include "runtime/io/DataError.h"
#include "runtime/io/Npy.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/values/Text.h"

#include <fstream>
#include <sstream>
#include <thread>

namespace xdml::runtime {

namespace {

using K = Value::Kind;


Pending ready(DatumPtr d) { return PendingDatum::ready(std::move(d)); }

bool truth(const DatumPtr& d, const char* what, int line) {
    if (!d->value.is(K::Bool)) throw EvalError(std::string("the condition of ") + what + " must be a bool, got " + describe(d->value), line);
    return d->value.asBool();
}

const ClauseMap& noClauses() {
    static const ClauseMap none;
    return none;
}

}  // namespace

void localsIn(const Expr& e, std::vector<std::string>& out, bool skipTaskArguments) {
    if (isLocalName(e)) {
        if (std::find(out.begin(), out.end(), e.name) == out.end()) out.push_back(e.name);
        return;
    }
    const bool task = skipTaskArguments && isTaskCall(e);
    for (const Expr& a : e.args)
        if (!(task && isLocalName(a))) localsIn(a, out, skipTaskArguments);
}

Firing::Firing(Run& run, int handler, std::string site, int64_t seq, int64_t activity)
    : run_(run), handler_(handler), site_(std::move(site)), evalSite_(site_), seq_(seq), activity_(activity),
      evaluator_(run.program(), this, run.compiled()) {}

Firing::~Firing() { run_.stats().expressionsEvaluated += evaluator_.evaluated(); }

void Firing::bind(const std::string& name, DatumPtr d) {
    // The datum may be shared with other firings (a stream item): never write to it here.
    locals_.emplace_back(name, ready(std::move(d)));
}

void Firing::runHandler(const std::vector<Stmt>& body) {
    try {
        block(body);
    } catch (...) {
        try { settle(); } catch (...) {}  // the first failure is the one to report
        throw;
    }
    settle();
}

DatumPtr Firing::runTask(const TaskDecl& task, int) {
    inTask_ = true;
    task_ = &task;
    block(task.body);
    settle();
    if (returned_) return *returned_;
    return Datum::make(Value::none(), site_, seq_);
}

void Firing::settle() {
    std::exception_ptr first;
    for (Pending& p : started_) {
        try {
            p->get();
        } catch (...) {
            if (!first) first = std::current_exception();
        }
    }
    started_.clear();
    if (first) std::rethrow_exception(first);
}

void Firing::block(const std::vector<Stmt>& stmts) {
    const std::size_t scopeSize = locals_.size();
    for (const Stmt& s : stmts) {
        if (returned_) break;
        // An emit or record of a task's result starts the task and applies its effect later,
        // in program order, so that independent calls run at the same time (LANGUAGE.md §4).
        if (!inTask_ && (s.op == Stmt::Op::Emit || s.op == Stmt::Op::Record) && isTaskCall(*s.value)) {
            deferred_.push_back({&s, startTask(*s.value)});
            continue;
        }
        // Starting a task (or a fused chain's job) does not wait for earlier effects.
        const bool starts = !inTask_ && ((s.op == Stmt::Op::Let && isTaskCall(*s.value)) || s.op == Stmt::Op::Fused);
        if (!starts) applyDeferred();
        statement(s);
    }
    applyDeferred();
    locals_.resize(scopeSize);  // tasks still under way are held by started_
}

void Firing::applyDeferred() {
    std::vector<std::pair<const Stmt*, Pending>> due;
    due.swap(deferred_);
    for (auto& [s, pending] : due) {
        try {
            effect(*s, pending->get());
        } catch (const EvalError& e) {
            if (e.line() || !s->line) throw;
            throw EvalError(e.message(), s->line);
        }
    }
}

std::string Firing::siteOf(const std::string& at) const {
    if (inTask_ || at.empty()) return site_;
    const NodeInfo* n = run_.plan().nodeAt(handler_, at);
    return n && !n->site.empty() ? n->site : site_;
}

DatumPtr Firing::local(const std::string& name) {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
        if (it->first == name) return it->second->get();
    throw EvalError("'" + name + "' has no value here");
}

void Firing::statement(const Stmt& s) {
    using Op = Stmt::Op;
    try {
        switch (s.op) {
        case Op::Let: {
            if (isTaskCall(*s.value) && !inTask_) {
                locals_.emplace_back(s.name, startTask(*s.value, false, &s.type));
                break;
            }
            DatumPtr d = value(*s.value);
            if (s.type.kind != TypeDesc::Kind::Unknown) {
                auto conformed = Datum::make(conformTo(d->value, s.type, run_.program()), d->site, d->seq);
                {
                    // Unlocked before `d` lets go of its datum, which may free it and its mutex.
                    std::lock_guard lock(d->mutex);
                    conformed->entity = d->entity;
                    conformed->sources = d->sources;
                }
                d = conformed;
            }
            locals_.emplace_back(s.name, ready(d));
            break;
        }
        case Op::Emit:
        case Op::Record: effect(s, value(*s.value)); break;
        case Op::Train: train(s); break;
        case Op::Transfer: {
            DatumPtr moved = run_.moveTo(value(*s.value), s.target);
            if (isLocalName(*s.value)) locals_.emplace_back(s.value->name, ready(moved));
            break;
        }
        case Op::If:
            if (truth(value(*s.value), "'if'", s.line)) block(s.body);
            else block(s.elseBody);
            break;
        case Op::For: {
            DatumPtr list = value(*s.value);
            if (!list->value.is(K::List)) throw EvalError("'for' over " + describe(list->value) + ", which is not a list", s.line);
            for (const Value& item : list->value.asList()) {
                if (returned_ || run_.stopping()) break;
                auto d = Datum::make(item, list->site, list->seq >= 0 ? list->seq : seq_);
                {
                    std::lock_guard lock(list->mutex);
                    d->sources = list->entity >= 0 ? std::vector<int64_t>{list->entity} : list->sources;
                }
                const std::size_t scopeSize = locals_.size();
                bind(s.name, d);
                block(s.body);
                locals_.resize(scopeSize);
            }
            break;
        }
        case Op::Until: {
            int64_t max = -1;
            if (s.bound) {
                DatumPtr b = value(*s.bound);
                if (!b->value.is(K::Int)) throw EvalError("'max' of 'until' must be an int", s.line);
                max = b->value.asInt();
            }
            for (int64_t pass = 0; !returned_ && !run_.stopping(); ++pass) {
                if (truth(value(*s.value), "'until'", s.line)) break;
                if (max >= 0 && pass >= max) break;
                block(s.body);
            }
            break;
        }
        case Op::Log: {
            DatumPtr msg = value(*s.value);
            run_.log(msg->value.is(K::String) ? msg->value.asString() : toText(msg->value));
            run_.stats().logs++;
            break;
        }
        case Op::Return:
            returned_ = s.value ? value(*s.value) : Datum::make(Value::none(), site_, seq_);
            break;
        case Op::Call: value(*s.value); break;
        case Op::Fused:
            if (inTask_ || chain_ >= 0) {
                for (const Stmt& inner : s.body) statement(inner);  // already on a worker
            } else {
                startFusedBlock(s);
            }
            break;
        case Op::OnNewData:
        case Op::OnEnd: break;  // handlers are started by the run, not executed in place
        }
    } catch (const EvalError& e) {
        if (e.line() || !s.line) throw;
        throw EvalError(e.message(), s.line);
    }
}

void Firing::effect(const Stmt& s, const DatumPtr& value) {
    if (s.op == Stmt::Op::Emit) {
        DatumPtr d = run_.moveTo(value, siteOf(s.at));
        // At -O0 an emitted item is written, as a naive pipeline writes each phase's output.
        if (const NodeInfo* n = inTask_ ? nullptr : run_.plan().nodeAt(handler_, s.at); n && n->persist)
            d = run_.persist(d, "emit-" + s.target);
        StreamRuntime* target = run_.stream(s.target);
        if (!target) throw EvalError("no stream '" + s.target + "' in this run");
        // A site's worker (in a task) or a stream feeding its own cycle must never wait for
        // room: the threads that would make room could be the ones waiting.
        const std::string& from = run_.plan().handlers.at(static_cast<std::size_t>(handler_)).stream;
        target->emit(d, activity_, inTask_ || (!from.empty() && run_.feedsBack(from, s.target)));
        run_.stats().emits++;
        return;
    }
    const std::string site = siteOf(s.at);
    DatumPtr d = run_.moveTo(value, site);
    run_.catalog(s.target).record(d->value);
    const uint64_t bytes = payloadBytes(d->value);
    run_.stats().records++;
    run_.stats().writtenBytes += bytes;
    if (prov::Store* store = run_.provenance()) {
        const int64_t from = run_.entityOf(d);
        prov::EntityRecord rec;
        rec.kind = "record";
        rec.label = s.target;
        rec.site = site;
        rec.bytes = static_cast<int64_t>(bytes);
        rec.hash = contentHashOf(d->value);
        const int64_t e = store->entity(rec);
        store->derivedFrom(e, from, activity_);
        if (activity_ > 0) store->generated(e, activity_);
    }
}

DatumPtr Firing::value(const Expr& e) {
    if (isLocalName(e)) return local(e.name);
    if (isTaskCall(e)) return startTask(e, true)->get();
    return evaluateAt(e, siteOf(e.at));
}

DatumPtr Firing::evaluateAt(const Expr& e, const std::string& site) {
    std::vector<std::string> names;
    localsIn(e, names);
    Scope scope;
    std::vector<int64_t> sources;
    int64_t seq = seq_;
    for (const std::string& name : names) {
        DatumPtr d = run_.moveTo(local(name), site);
        scope.bind(name, d->value);
        std::lock_guard lock(d->mutex);  // entityOf may be recording it on another thread
        if (d->entity >= 0) sources.push_back(d->entity);
        else sources.insert(sources.end(), d->sources.begin(), d->sources.end());
        if (d->seq >= 0 && names.size() == 1) seq = d->seq;
    }
    const std::string outer = evalSite_;
    evalSite_ = site;
    Value v;
    try {
        v = evaluator_.evaluate(e, scope);
    } catch (...) {
        evalSite_ = outer;
        throw;
    }
    evalSite_ = outer;
    auto d = Datum::make(std::move(v), site, seq);
    d->sources = std::move(sources);
    return d;
}

Pending Firing::startTask(const Expr& call, bool needNow, const TypeDesc* as) {
    const TaskDecl* task = run_.program().task(call.name);
    if (!task) throw PlanError("plan code: a call of '" + call.name + "', which is not among the tasks");
    // The outer call of a fused chain nested in one expression, t2(t1(x)): one job runs all.
    if (!inTask_ && call.chain >= 0 && !inChain(call) && callsChain(call, call.chain)) {
        std::vector<std::string> names;
        localsIn(call, names, false);
        Pending result = std::make_shared<PendingDatum>();
        startChainJob(call.chain, names, [&call, as](Firing& f) { return std::vector<DatumPtr>{f.startTask(call, true, as)->get()}; },
                      {result}, needNow);
        return result;
    }
    const BoundArguments bound = bindArguments(call, task->params);
    std::vector<DatumPtr> args(task->params.size());
    for (std::size_t slot : bound.order) args[slot] = value(*bound.byParam[slot]);

    const NodeInfo* node = inTask_ ? nullptr : run_.plan().nodeAt(handler_, call.at);
    const EffectivePolicy& policy = run_.policy(node ? node->policy : noClauses());
    // In a chain's job the job's site is the chain's: its calls are not placed one by one.
    const std::string site = inChain(call) ? site_ : node ? run_.metaController().chooseSite(*node, policy, call.name) : evalSite_;
    const double submitted = run_.elapsed();
    int64_t seq = seq_;
    for (const DatumPtr& a : args)
        if (a->seq >= 0) seq = a->seq;
    // A task called from a task runs inside it, on the same worker; so does a call of the
    // fused chain this firing runs as one job (`let x: T` conforms its value here).
    if (inTask_) return ready(executeTask(run_, *task, args, site, policy, node, handler_, seq, call.line, submitted));
    if (inChain(call)) {
        DatumPtr value = executeTask(run_, *task, args, site, policy, node, handler_, seq, call.line, submitted);
        if (as && as->kind != TypeDesc::Kind::Unknown) {
            auto conformed = Datum::make(conformTo(value->value, *as, run_.program()), value->site, value->seq);
            conformed->entity = value->entity;  // made on this thread: no other holder yet
            conformed->label = value->label;
            value = conformed;
        }
        return ready(value);
    }

    Pending result = std::make_shared<PendingDatum>();
    Job job = jobFor(policy, node, submitted);
    Run* run = &run_;
    const int handler = handler_;
    const int line = call.line;
    job.run = [run, task, args, site, &policy, node, handler, seq, line, submitted, result, as] {
        try {
            DatumPtr value = executeTask(*run, *task, args, site, policy, node, handler, seq, line, submitted);
            if (as && as->kind != TypeDesc::Kind::Unknown) {  // `let x: T = task(...)`
                auto conformed = Datum::make(conformTo(value->value, *as, run->program()), value->site, value->seq);
                conformed->entity = value->entity;  // this thread made it: no other holder yet
                conformed->label = value->label;
                value = conformed;
            }
            result->set(value);
        } catch (...) {
            result->fail(std::current_exception());
        }
    };
    // A value needed now is worth running on this thread when the site has room; one that can
    // wait goes to the site's workers, so that the firing goes on and calls overlap.
    if (needNow) run_.site(site).runOrSubmit(std::move(job));
    else run_.site(site).submit(std::move(job));
    started_.push_back(result);
    return result;
}

std::optional<Value> Firing::global(const Expr&, const Scope&) { return std::nullopt; }

}  // namespace xdml::runtime
