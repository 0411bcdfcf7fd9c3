// Firing.cpp — see Firing.h.
#include "runtime/engine/Firing.h"

#include "runtime/interp/Arguments.h"
#include "runtime/interp/Conform.h"
#include "runtime/values/Text.h"

#include <algorithm>

namespace xdml::runtime {

namespace {

using K = Value::Kind;


/// The locals an expression reads; unless `all`, not a task call's arguments that are plain
/// names (the task moves those itself, from wherever they are).
void localsIn(const Expr& e, std::vector<std::string>& out, bool all = false) {
    if (isLocalName(e)) {
        if (std::find(out.begin(), out.end(), e.name) == out.end()) out.push_back(e.name);
        return;
    }
    const bool task = !all && isTaskCall(e);
    for (const Expr& a : e.args)
        if (!(task && isLocalName(a))) localsIn(a, out, all);
}

Pending ready(DatumPtr d) { return PendingDatum::ready(std::move(d)); }

/// The names a fused chain's statements bind, in order: its values.
std::vector<std::string> chainOutputs(const Stmt& fused) {
    std::vector<std::string> names;
    for (const Stmt& s : fused.body)
        if (s.op == Stmt::Op::Let) names.push_back(s.name);
    return names;
}

bool truth(const DatumPtr& d, const char* what, int line) {
    if (!d->value.is(K::Bool)) throw EvalError(std::string("the condition of ") + what + " must be a bool, got " + describe(d->value), line);
    return d->value.asBool();
}

}  // namespace

Firing::Firing(const FiringContext& context, EffectSink& sink, int handler, std::string site, int64_t seq)
    : context_(context), sink_(sink), handler_(handler), site_(std::move(site)), seq_(seq),
      evaluator_(context.program, this, context.compiled) {}

Firing::~Firing() {
    if (context_.evaluated) *context_.evaluated += evaluator_.evaluated();
}

void Firing::bind(const std::string& name, DatumPtr d) {
    // The datum may be shared with other firings (a stream item): never write to it here.
    locals_.emplace_back(name, ready(std::move(d)));
}

void Firing::runHandler(const std::vector<Stmt>& body) {
    startHandler(body);
    finishHandler();
}

void Firing::startHandler(const std::vector<Stmt>& body, bool lastCallAtEnd) {
    try {
        block(body, true, lastCallAtEnd);
    } catch (...) {
        try { settle(); } catch (...) {}  // the first failure is the one to report
        throw;
    }
}

void Firing::finishHandler() {
    try {
        applyDeferred();
    } catch (...) {
        try { settle(); } catch (...) {}
        throw;
    }
    settle();
}

std::vector<Pending> Firing::unfinished() const {
    std::vector<Pending> waiting;
    for (const Pending& p : started_)
        if (!p->done()) waiting.push_back(p);
    return waiting;
}

DatumPtr Firing::runTask(const TaskDecl& task, int) {
    inTask_ = true;
    task_ = &task;
    block(task.body);
    settle();
    if (returned_) return *returned_;
    return Datum::make(Value::none(), site_, seq_);
}

std::vector<DatumPtr> Firing::runChain(const Stmt& fused) {
    inChain_ = true;
    for (const Stmt& s : fused.body) statement(s);
    settle();
    std::vector<DatumPtr> values;
    for (const std::string& name : chainOutputs(fused)) values.push_back(local(name));
    return values;
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

void Firing::block(const std::vector<Stmt>& stmts, bool top, bool lastCallAtEnd) {
    const std::size_t scopeSize = locals_.size();
    for (const Stmt& s : stmts) {
        if (returned_) break;
        // An emit or record of a task's result starts the task and applies its effect later,
        // in program order, so that independent calls run at the same time (LANGUAGE.md §4).
        if (!inTask_ && (s.op == Stmt::Op::Emit || s.op == Stmt::Op::Record) && isTaskCall(*s.value)) {
            deferred_.push_back({&s, startTask(*s.value)});
            continue;
        }
        // Starting a task (or a fused chain's calls) does not wait for earlier effects.
        const bool starts = !inTask_ && ((s.op == Stmt::Op::Let && isTaskCall(*s.value)) || s.op == Stmt::Op::Fused);
        if (!starts) applyDeferred();
        statement(s, !(lastCallAtEnd && &s == &stmts.back()));
    }
    if (top) return;
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
        } catch (...) {
            if (!failedLine_) failedLine_ = s->line;
            throw;
        }
    }
}

const std::string& Firing::siteOf(const std::string& at) const {
    if (inTask_ || inChain_ || at.empty()) return site_;
    const NodeInfo* n = context_.plan.nodeAt(handler_, at);
    return n && !n->site.empty() ? n->site : site_;
}

DatumPtr Firing::local(const std::string& name) {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it)
        if (it->first == name) return it->second->get();
    throw EvalError("'" + name + "' has no value here");
}

void Firing::statement(const Stmt& s, bool waitForCall) {
    using Op = Stmt::Op;
    try {
        switch (s.op) {
        case Op::Let: {
            if (isTaskCall(*s.value) && !inTask_) {
                locals_.emplace_back(s.name, startTask(*s.value, s.readByNext, &s.type));
                break;
            }
            DatumPtr d = value(*s.value);
            if (s.type.kind != TypeDesc::Kind::Unknown) {
                auto conformed = Datum::make(conformTo(d->value, s.type, context_.program), d->site, d->seq);
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
        case Op::Train: sink_.train(s, inTask_ ? task_ : nullptr); break;
        case Op::Transfer: {
            DatumPtr moved = sink_.moveTo(value(*s.value), s.target);
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
                if (returned_ || sink_.stopping()) break;
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
            for (int64_t pass = 0; !returned_ && !sink_.stopping(); ++pass) {
                if (truth(value(*s.value), "'until'", s.line)) break;
                if (max >= 0 && pass >= max) break;
                block(s.body);
            }
            break;
        }
        case Op::Log: {
            DatumPtr msg = value(*s.value);
            sink_.log(msg->value.is(K::String) ? msg->value.asString() : toText(msg->value));
            break;
        }
        case Op::Return:
            returned_ = s.value ? value(*s.value) : Datum::make(Value::none(), site_, seq_);
            break;
        case Op::Call:
            // Nothing after it needs its value or its effects: the firing's end waits for it.
            // (On this thread still, when its site has a free slot here: HereIfFree.)
            if (!waitForCall && !inTask_ && !inChain_ && isTaskCall(*s.value)) startTask(*s.value, true);
            else value(*s.value);
            break;
        case Op::Fused:  // a fused task chain's statements (docs/plan.md)
            if (inTask_ || inChain_) {
                for (const Stmt& inner : s.body) statement(inner);
            } else {
                startChain(s);
            }
            break;
        case Op::OnNewData:
        case Op::OnEnd:
        case Op::OnStop: break;  // handlers are started by the run, not executed in place
        }
    } catch (const EvalError& e) {
        if (e.line() || !s.line) throw;
        throw EvalError(e.message(), s.line);
    } catch (...) {
        if (!failedLine_) failedLine_ = s.line;  // unwinding: the innermost statement comes first
        throw;
    }
}

void Firing::effect(const Stmt& s, const DatumPtr& value) {
    if (s.op == Stmt::Op::Emit) {
        // At -O0 an emitted item is written, as a naive pipeline writes each phase's output.
        const NodeInfo* n = inTask_ ? nullptr : context_.plan.nodeAt(handler_, s.at);
        sink_.emit(s.target, value, siteOf(s.at), n && n->persist);
        return;
    }
    sink_.record(s.target, value, siteOf(s.at));
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
        DatumPtr d = sink_.moveTo(local(name), site);
        scope.bind(name, d->value);
        std::lock_guard lock(d->mutex);  // entityOf may be recording it on another thread
        if (d->entity >= 0) sources.push_back(d->entity);
        else sources.insert(sources.end(), d->sources.begin(), d->sources.end());
        if (d->seq >= 0 && names.size() == 1) seq = d->seq;
    }
    const std::string* outer = evalSite_;
    evalSite_ = &site;
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
    TaskCall c;
    c.task = context_.program.task(call.name);
    if (!c.task) throw PlanError("plan code: a call of '" + call.name + "', which is not among the tasks");
    const BoundArguments bound = bindArguments(call, c.task->params);
    c.args.resize(c.task->params.size());
    for (std::size_t slot : bound.order) c.args[slot] = value(*bound.byParam[slot]);
    const NodeInfo* node = inTask_ ? nullptr : context_.plan.nodeAt(handler_, call.at);
    c.node = node ? node->id : -1;
    c.site = *evalSite_;
    c.seq = seq_;
    for (const DatumPtr& a : c.args)
        if (a->seq >= 0) c.seq = a->seq;
    c.line = call.line;
    c.needNow = needNow;
    c.as = as;
    // Inside a task or a chain the call runs at once, on this worker; a handler's call runs at
    // its site, and the firing waits for it when it ends.
    Pending result = sink_.startTask(std::move(c));
    if (!inTask_) started_.push_back(result);
    return result;
}

void Firing::startChain(const Stmt& fused) {
    // The chain reads the locals its statements name that none of them binds before.
    ChainCall c;
    c.node = fused.node;
    c.site = fused.target.empty() ? site_ : fused.target;
    c.seq = seq_;
    c.line = fused.line;
    c.outputs = chainOutputs(fused);
    c.needNow = fused.readByNext;
    std::vector<std::string> boundSoFar;
    for (const Stmt& s : fused.body) {
        std::vector<std::string> reads;
        if (s.value) localsIn(*s.value, reads, true);
        for (const std::string& name : reads) {
            const auto named = [&](const auto& v) { return v.first == name; };
            if (std::find(boundSoFar.begin(), boundSoFar.end(), name) != boundSoFar.end() ||
                std::find_if(c.inputs.begin(), c.inputs.end(), named) != c.inputs.end())
                continue;
            DatumPtr d = local(name);
            if (d->seq >= 0) c.seq = d->seq;
            c.inputs.emplace_back(name, std::move(d));
        }
        if (s.op == Stmt::Op::Let) boundSoFar.push_back(s.name);
    }
    const std::vector<std::string> outputs = c.outputs;
    ChainResult started = sink_.startChain(std::move(c));
    for (std::size_t i = 0; i < outputs.size(); ++i) locals_.emplace_back(outputs[i], started.outputs.at(i));
    started_.push_back(started.done);
}

std::optional<Value> Firing::global(const Expr&, const Scope&) { return std::nullopt; }

}  // namespace xdml::runtime
