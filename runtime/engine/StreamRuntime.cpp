// StreamRuntime.cpp — see StreamRuntime.h.
#include "runtime/engine/StreamRuntime.h"

#include "runtime/engine/RunEffects.h"
#include "runtime/interp/Conform.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/io/DataError.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/provenance/Kinds.h"
#include "runtime/values/Text.h"

#include <list>

namespace xdml::runtime {

namespace {

constexpr std::size_t kInputCapacity = 256;
constexpr std::size_t kFiringBatches = 8;  // batches waiting for handler threads
constexpr std::size_t kBatch = 8;          // firings per batch, at most
constexpr int kHandlerThreads = 8;

std::string handlerTitle(const HandlerInfo& h) {
    if (h.kind == "end") return "on end of " + h.stream;
    std::string t = "on new data of type " + h.type + " in " + h.stream;
    if (h.every > 1) t += " every " + std::to_string(h.every);
    return t;
}

}  // namespace

StreamRuntime::StreamRuntime(Run& run, const StreamDecl& decl, std::string site, StreamModelUse modelUse)
    : run_(run),
      decl_(decl),
      site_(std::move(site)),
      input_(kInputCapacity),
      work_(kFiringBatches),
      counters_(run.stats().stream(decl.name)),
      modelUse_(std::move(modelUse)) {
    keepsItems_ = !modelUse_.trainedModels.empty() || modelUse_.scored;
    if (!decl.rehearse.empty()) {
        mix_ = 0.5;  // docs/language.md: the default mix
        if (auto it = decl.rehearse.find("mix"); it != decl.rehearse.end()) {
            Evaluator ev(run.program());
            const Value v = ev.evaluate(it->second, Scope());
            if (v.isNumber()) mix_ = std::clamp(v.number(), 0.0, 1.0);
        }
    }
}

StreamRuntime::~StreamRuntime() {
    stopSource();
    input_.close();
    join();
}

void StreamRuntime::addHandler(const HandlerInfo& handler, const Stmt& statement) {
    Bound b;
    b.info = handler;
    b.statement = &statement;
    for (const TypeDecl* t = run_.program().type(handler.type); t;
         t = t->is.kind == TypeDesc::Kind::Named ? run_.program().type(t->is.name) : nullptr)
        if (t->where || !t->classifierModel.empty()) b.refined = true;
    b.policy = &run_.policy(handler.policy);
    b.urgent = b.policy->deadline > 0 || b.policy->priority != 0;
    b.title = handlerTitle(handler);
    if (containsTrain(statement.body)) b.strand = std::make_unique<Bound::Strand>();
    b.counters = &run_.stats().handler(handler.id);
    (handler.kind == "end" ? end_ : data_).push_back(std::move(b));
    run_.stats().handler(handler.id);
}

void StreamRuntime::open() {
    if (decl_.source && decl_.source->name != "files") openSource();
}

void StreamRuntime::openSource() {
    if (decl_.source) {
        // Open the source here, so a bad endpoint or folder fails the run at its start.
        const Expr& src = *decl_.source;
        if (src.name != "generate") {
            Evaluator ev(run_.program(), nullptr, run_.compiled());
            std::vector<std::string> args;
            for (const Expr& a : src.args) {
                Value v = ev.evaluate(a, Scope());
                if (!v.is(Value::Kind::String))
                    throw DataError("stream " + decl_.name, "'" + src.name + "' takes strings");
                args.push_back(v.asString());
            }
            const TypeDesc& type = run_.program().structure(decl_.type);
            const auto base = run_.inputDir();
            const ReplayLog* replay = run_.options().replay.get();
            if (const std::vector<std::string>* recorded = replay ? replay->sourceItems(decl_.name) : nullptr)
                source_ = makeListedFilesSource({recorded->begin(), recorded->end()}, type);
            else if (replay)
                source_ = makeListedFilesSource({}, type);  // it delivered nothing in the recorded run
            else if (src.name == "files" && args.size() == 1)
                source_ = makeFilesSource(args[0], base, type);
            else if (src.name == "watch" && args.size() == 2)
                source_ = makeWatchSource(args[0], args[1], base, type);
            else if (src.name == "zmq" && args.size() == 1)
                source_ = makeZmqSource(args[0], type, base);
            else
                throw DataError("stream " + decl_.name, "unknown source '" + src.name + "'");
        }
    }
}

void StreamRuntime::startSource() {
    if (!decl_.source) return;
    // `files` lists what exists when the stream starts: after the flow-level statements.
    if (decl_.source->name == "files") openSource();
    reader_ = std::thread([this] { readSource(); });
}

void StreamRuntime::startDispatch() {
    for (int i = 0; i < kHandlerThreads; ++i)
        handlerThreads_.emplace_back([this] {
            while (auto batch = work_.pop())
                for (FiringJob& job : *batch) job();
        });
    dispatcher_ = std::thread([this] { dispatch(); });
}

void StreamRuntime::readSource() {
    const Expr& src = *decl_.source;
    if (src.name == "generate") {
        readGenerated(src);
    } else {
        SourceItem item;
        while (!run_.stopping() && source_->next(item)) {
            Incoming in;
            if (item.error.empty()) in.datum = Datum::make(std::move(item.value), site_);
            in.origin = std::move(item.origin);
            in.error = std::move(item.error);
            in.bytes = item.bytes;
            in.arrival = run_.elapsed();
            if (!input_.push(std::move(in))) break;
        }
    }
    input_.close();
}

void StreamRuntime::readGenerated(const Expr& src) {
    Evaluator ev(run_.program(), nullptr, run_.compiled());
    try {
        if (src.args.size() != 2 || src.args[0].op != Expr::Op::Name)
            throw EvalError("'generate' takes a fn and a count");
        Value count = ev.evaluate(src.args[1], Scope());
        if (!count.is(Value::Kind::Int)) throw EvalError("the count of 'generate' must be an int");
        const TypeDesc& type = decl_.type;
        int64_t n = count.asInt();
        // A replay generates what the recorded run delivered: no more, if it was stopped early.
        if (const ReplayLog* replay = run_.options().replay.get()) n = std::min(n, replay->recordedItems(decl_.name));
        for (int64_t i = 0; i < n && !run_.stopping(); ++i) {
            Incoming in;
            in.origin = src.args[0].name + "(" + std::to_string(i) + ")";
            try {
                in.datum = Datum::make(
                    conformTo(ev.call(src.args[0].name, {Value::integer(i)}), type, run_.program()), site_);
            } catch (const EvalError& e) {
                in.error = in.origin + ": " + e.message();
            }
            in.arrival = run_.elapsed();
            if (!input_.push(std::move(in))) break;
        }
    } catch (const std::exception& e) {
        run_.report("stream " + decl_.name + ": " + e.what());
    }
}

void StreamRuntime::emit(const DatumPtr& d, int64_t activity, bool mustNotBlock) {
    Incoming in;
    in.datum = Datum::make(d->value, site_);
    {
        std::lock_guard lock(d->mutex);
        in.datum->sources = d->entity >= 0 ? std::vector<int64_t>{d->entity} : d->sources;
    }
    in.activity = activity;
    in.origin = "emit";
    in.arrival = run_.elapsed();
    run_.emitStarting();
    const bool pushed = mustNotBlock ? input_.pushPastCapacity(std::move(in)) : input_.push(std::move(in));
    if (!pushed) {
        run_.stats().droppedItems++;
        run_.report("stream " + decl_.name + ": an item emitted after the stream ended was dropped",
                    "late-emit:" + decl_.name);
    }
}

void StreamRuntime::closeInput() {
    input_.close();
}

void StreamRuntime::stopSource() {
    sourceStopped_.store(true);
    std::lock_guard lock(sourceMutex_);
    if (source_) source_->stop();
}

void StreamRuntime::join() {
    if (reader_.joinable()) reader_.join();
    if (dispatcher_.joinable()) dispatcher_.join();
    work_.close();
    for (std::thread& t : handlerThreads_)
        if (t.joinable()) t.join();
    handlerThreads_.clear();
}

bool StreamRuntime::matches(const std::string& type, const DatumPtr& item, std::map<std::string, bool>& decided,
                            std::map<std::string, Inference>& inferred, int depth) {
    if (auto it = decided.find(type); it != decided.end()) return it->second;
    const TypeDecl* t = run_.program().type(type);
    if (!t) return decided[type] = true;  // a structural type: the stream's own
    if (depth > 64) throw EvalError("the type " + type + " is defined through itself");
    // A subtype of a subtype: the base decides first (a model infers only for items it may see).
    bool yes = t->is.kind != TypeDesc::Kind::Named || matches(t->is.name, item, decided, inferred, depth + 1);
    if (yes && !t->classifierModel.empty()) {
        yes = inferOnce(t->classifierModel, item, inferred).className == t->classifierClass;
    } else if (yes) {
        Evaluator ev(run_.program(), nullptr, run_.compiled());
        yes = ev.holds(*t, type, item->value);
    }
    return decided[type] = yes;
}

void StreamRuntime::dispatch() {
    auto deliver = [this](Incoming in) {
        try {
            accept(std::move(in));
        } catch (const std::exception& e) {  // a provenance or plan fault: report, never terminate
            run_.report("stream " + decl_.name + ": " + e.what(), "dispatch:" + decl_.name);
        }
    };
    // A replay delivers an emit-fed stream's items in the recorded order (which handler's emit
    // came first is the scheduler's choice, and it decides positions, groups and trainings):
    // an item waits until those recorded before it have come. One whose content was not
    // recorded waits for the end of the stream. Streams in a cycle of emits are not held back,
    // as their next item may depend on the one held.
    const ReplayLog* replay = run_.options().replay.get();
    const std::vector<std::string>* order =
        replay && !decl_.source && !run_.feedsBack(decl_.name, decl_.name) ? replay->itemOrder(decl_.name) : nullptr;
    std::list<std::pair<std::string, Incoming>> held;  // in arrival order
    std::size_t released = 0;
    while (auto in = input_.pop()) {
        if (order && in->datum) {
            held.emplace_back(contentHashOf(in->datum->value), std::move(*in));
            for (bool found = true; found && released < order->size();) {
                found = false;
                for (auto it = held.begin(); it != held.end(); ++it)
                    if (it->first == (*order)[released]) {
                        deliver(std::move(it->second));
                        held.erase(it);
                        ++released;
                        found = true;
                        break;
                    }
            }
        } else {
            deliver(std::move(*in));
        }
        if (input_.size() == 0) flushBatch();
    }
    for (auto& [hash, in] : held) deliver(std::move(in));
    flushBatch();
    // The stream is exhausted: the last, shorter groups fire, then `on end of` handlers once
    // every firing has finished (an endless source stopped by the user has no end).
    for (Bound& h : data_)
        if (!h.group.empty()) {
            std::vector<Value> values;
            std::vector<int64_t> items;
            for (const DatumPtr& d : h.group) {
                values.push_back(d->value);
                items.push_back(d->entity);
            }
            auto list = Datum::make(Value::list(std::move(values)), site_, h.group.back()->seq);
            const int64_t seq = h.group.back()->seq;
            h.group.clear();
            fire(h, list, seq, run_.elapsed(), items);
        }
    flushBatch();
    waitIdle();
    const bool endless = source_ && !source_->finite();
    if (!(endless && sourceStopped_.load()) && !(run_.stopping() && decl_.source && endless))
        for (Bound& h : end_)
            if (!run_.options().replay || run_.options().replay->endFired(h.info.id)) fire(h, nullptr, -1, run_.elapsed(), {});
    flushBatch();
    waitIdle();
    counters_.ended.store(true);
    done_.store(true);
    run_.streamDone(decl_.name);
}

void StreamRuntime::accept(Incoming in) {
    prov::Store* store = run_.provenance();
    if (!in.datum) {
        counters_.malformed++;
        run_.report("stream " + decl_.name + ": skipped a malformed item: " + in.error,
                    "malformed:" + decl_.name);
        if (store) {
            prov::ActivityRecord rec;
            rec.kind = "ingest";
            rec.name = decl_.name;
            rec.site = site_;
            const int64_t a = store->startActivity(rec);
            store->endActivity(a, "failed", in.error);
        }
        return;
    }
    const int64_t seq = nextSeq_++;
    DatumPtr item = in.datum;
    item->seq = seq;
    item->label = decl_.name;
    if (store) {
        prov::EntityRecord rec;
        rec.kind = "item";
        rec.label = decl_.name;
        rec.stream = decl_.name;
        rec.seq = seq;
        rec.site = site_;
        rec.hash = contentHashOf(item->value);
        rec.bytes = static_cast<int64_t>(payloadBytes(item->value));
        // Content invalidated before (`xdmlc prov invalidate`) is recognised when it comes again.
        const std::string invalid = in.origin != "emit" ? run_.invalidatedInput(rec.hash) : "";
        if (in.origin != "emit") rec.path = in.origin;
        if (!invalid.empty()) {
            rec.valid = false;
            run_.report("warning: stream " + decl_.name + " item " + std::to_string(seq) + " (" + in.origin +
                            "): " + invalid + "; what is made from it is recorded invalid too",
                        "invalid-input:" + decl_.name);
        }
        item->entity = store->entity(rec);
        if (!invalid.empty())
            store->decision({std::string(prov::decision_kind::invalidation), prov::subjectOfEntity(item->entity), "invalid",
                             invalid, "{}", -1});
        if (in.activity > 0) store->generated(item->entity, in.activity);
        for (int64_t from : item->sources) store->derivedFrom(item->entity, from, in.activity);
    }
    counters_.items++;
    if (keepsItems_) keep(item);
    std::map<std::string, bool> decided;
    std::map<std::string, Inference> inferred;
    const ReplayLog* replay = run_.options().replay.get();
    if (replay && store)
        for (prov::DecisionRecord d : replay->itemDecisions(decl_.name, seq)) {
            d.subject = prov::subjectOfEntity(item->entity);
            store->decision(std::move(d));
        }
    for (Bound& h : data_) {
        bool yes;
        try {
            // A replay takes the recorded run's choice for types decided per item: predicates
            // and models are not asked again.
            yes = replay && h.refined ? replay->fired(h.info.id, decl_.name, seq)
                                      : matches(h.info.type, item, decided, inferred);
        } catch (const std::exception& e) {
            // Once per type: the same cause would repeat for every item.
            if (typeFailures_.insert(h.info.type).second)
                run_.report("stream " + decl_.name + " item " + std::to_string(seq) +
                            ": deciding whether it is a " + h.info.type +
                            " failed (reported once): " + e.what());
            run_.stats().handler(h.info.id).failed++;
            continue;
        }
        if (!yes) continue;
        if (h.info.every <= 1) {
            fire(h, item, seq, in.arrival, {item->entity});
            continue;
        }
        h.group.push_back(item);
        if (static_cast<int64_t>(h.group.size()) == h.info.every) {
            std::vector<Value> values;
            std::vector<int64_t> items;
            for (const DatumPtr& d : h.group) {
                values.push_back(d->value);
                items.push_back(d->entity);
            }
            auto list = Datum::make(Value::list(std::move(values)), site_, seq);
            h.group.clear();
            fire(h, list, seq, in.arrival, items);
        }
    }
}

void StreamRuntime::fire(Bound& h, DatumPtr binding, int64_t seq, double arrival,
                         const std::vector<int64_t>& items) {
    ++inflight_;
    // The job reads only what addHandler fixed; the dispatcher alone touches `group`.
    const Bound* bound = &h;
    auto job = [this, bound, binding, seq, arrival, items] {
        const HandlerInfo* info = &bound->info;
        const Stmt* statement = bound->statement;
        const bool refined = bound->refined;
        const std::string& title = bound->title;
        HandlerCounters& counters = *bound->counters;
        counters.running++;
        prov::Store* store = run_.provenance();
        int64_t activity = -1;
        try {
            if (store) {
                prov::ActivityRecord rec;
                rec.kind = "handler";
                rec.name = title;
                rec.site = info->site;
                rec.handler = info->id;
                rec.line = statement->line;
                rec.policyJson = bound->policy->json;
                activity = store->startActivity(rec);
                for (int64_t e : items)
                    if (e >= 0) store->used(activity, e, "item");
            }
            // A trigger decision where a choice was made: a type decided per item, a group of N, the
            // end of a stream. A plain firing is said in full by its activity and the item it used.
            if (store && (refined || info->kind == "end" || info->every > 1)) {
                std::string reason =
                    info->kind == "end" ? "stream " + info->stream + " ended and its handlers finished"
                    : info->every > 1
                        ? std::to_string(items.size()) + " items of type " + info->type + " arrived"
                        : "item " + std::to_string(seq) + " of " + info->stream + " is a " + info->type;
                store->decision({"trigger", prov::subjectOfActivity(activity), title, reason,
                                 "{\"items\": " + nlohmann::json(items).dump() + "}", -1});
            }
        } catch (const std::exception& e) {
            run_.report("provenance: " + std::string(e.what()), "provenance");
        }
        try {
            HandlerFiring firing(run_, info->id, info->site.empty() ? run_.plan().homeSite : info->site, seq,
                          activity);
            if (binding && !statement->as.empty()) firing.bind(statement->as, binding);
            firing.runHandler(statement->body);
            if (store && activity > 0) store->endActivity(activity, "ok");
        } catch (const std::exception& e) {
            counters.failed++;
            run_.stats().droppedItems += info->kind == "end" ? 0 : 1;
            std::string where = run_.plan().file;
            int line = statement->line;
            if (const auto* t = dynamic_cast<const TaskFailure*>(&e); t && t->line()) line = t->line();
            if (const auto* ev = dynamic_cast<const EvalError*>(&e); ev && ev->line()) line = ev->line();
            std::string what = e.what();
            if (const auto* ev = dynamic_cast<const EvalError*>(&e)) what = ev->message();
            run_.report(where + ":" + std::to_string(line) + ": " + title +
                            (seq >= 0 ? " (item " + std::to_string(seq) + ")" : "") + ": " + what,
                        std::to_string(line) + ":" + what);
            if (store && activity > 0) {
                try {
                    store->endActivity(activity, "failed", what);
                } catch (const std::exception&) {
                }  // already reported by the store's flush
            }
        }
        const EffectivePolicy& policy = *bound->policy;
        if (policy.deadline > 0 && info->kind == "data" && run_.elapsed() - arrival > policy.deadline) {
            run_.stats().deadlineMisses++;
            run_.recordDecision(
                "deadline_miss", prov::subjectOfActivity(activity), "completed late",
                title + ": item " + std::to_string(seq) + " took " + formatFloat(run_.elapsed() - arrival) +
                    " s from its arrival; the deadline is " + formatFloat(policy.deadline) + " s");
        }
        counters.firings++;
        counters.running--;
        finished(1);
    };
    if (h.strand) {
        // One drain job at a time runs the strand's firings in order; it counts as a firing
        // of its own, so the stream is idle only once the strand is empty.
        Bound::Strand* strand = h.strand.get();
        bool start = false;
        {
            std::lock_guard lock(strand->mutex);
            strand->jobs.push_back(std::move(job));
            start = !strand->running;
            strand->running = true;
        }
        if (!start) return;
        ++inflight_;
        batch_.push_back([this, strand] {
            for (;;) {
                FiringJob next;
                {
                    std::lock_guard lock(strand->mutex);
                    if (strand->jobs.empty()) {
                        strand->running = false;
                        break;
                    }
                    next = std::move(strand->jobs.front());
                    strand->jobs.pop_front();
                }
                next();
            }
            finished(1);
        });
        flushBatch();
        return;
    }
    batch_.push_back(std::move(job));
    // Firings with a deadline or priority never wait in a batch behind others.
    if (batch_.size() >= kBatch || h.urgent) flushBatch();
}

void StreamRuntime::flushBatch() {
    if (batch_.empty()) return;
    const int n = static_cast<int>(batch_.size());
    std::vector<FiringJob> batch;
    batch.swap(batch_);
    if (!work_.push(std::move(batch))) finished(n);
}

void StreamRuntime::finished(int firings) {
    if (inflight_.fetch_sub(firings) == firings) {
        std::lock_guard lock(idleMutex_);
        idle_.notify_all();
    }
}

void StreamRuntime::waitIdle() {
    std::unique_lock lock(idleMutex_);
    idle_.wait(lock, [&] { return inflight_.load() == 0; });
}

}  // namespace xdml::runtime
