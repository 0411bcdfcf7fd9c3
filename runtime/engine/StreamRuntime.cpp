// StreamRuntime.cpp — see StreamRuntime.h.
#include "runtime/engine/StreamRuntime.h"

#include "runtime/engine/ResumeLedger.h"
#include "runtime/interp/Evaluate.h"
#include "runtime/io/PrintableName.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/Kinds.h"

#include <algorithm>

namespace xdml::runtime {

namespace {
constexpr std::size_t kInputCapacity = 256;
}  // namespace

StreamRuntime::StreamRuntime(Run& run, EmitGraph& emits, const StreamDecl& decl, std::string site,
                             StreamModelUse modelUse)
    : run_(run),
      emits_(emits),
      decl_(decl),
      site_(std::move(site)),
      input_(kInputCapacity),
      types_(run.program(), run.compiled(), [&run]() -> Models& { return run.models(); }, run.provenance(), decl.name,
             run.options().everyTypeTest),
      replay_(run.options().replay.get(), decl.name, !decl.source && !emits.feedsBack(decl.name, decl.name)),
      versions_(run.options().replay.get(), run.program(), run.hasModels() ? &run.models() : nullptr),
      counters_(run.stats().stream(decl.name)),
      cycleWork_(emits.cycleWork(decl.name)),
      modelUse_(std::move(modelUse)) {
    if (decl.source)
        source_ = std::make_unique<StreamSource>(decl, site_, run.program(), run.compiled(), run.options().inputBase(),
                                                 run.options().replay.get(), run.provenance() != nullptr);
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
    Handler h;
    h.bound.info = handler;
    h.bound.statement = &statement;
    h.bound.refined = types_.decidedPerItem(handler.type);
    h.bound.policy = &run_.policy(handler.policy);
    h.bound.title = handlerTitle(handler);
    h.bound.counters = &run_.stats().handler(handler.id);
    h.urgent = h.bound.policy->deadline > 0 || h.bound.policy->priority != 0;
    if (handler.every > 1) h.every.emplace(handler.every, site_);
    if (containsTrain(statement.body)) h.strand = std::make_unique<FiringQueue::Strand>();
    versions_.addHandler(handler.id, statement.body);
    (handler.kind == planformat::HandlerKind::End ? end_ : data_).push_back(std::move(h));
}

void StreamRuntime::open() {
    if (source_) source_->open();
}

void StreamRuntime::startSource() {
    if (!source_) return;
    SourceHooks hooks;
    hooks.stopping = [this] { return run_.stopping(); };
    hooks.clock = [this] { return run_.elapsed(); };
    hooks.report = [this](const std::string& line) { run_.report(line); };
    hooks.notice = [this](const SourceItem& news) { sourceNotice(news); };
    source_->start(input_, std::move(hooks));
}

void StreamRuntime::sourceNotice(const SourceItem& news) {
    if (news.gap) counters_.gaps++;
    if (news.mayHaveMissed) run_.stats().mayHaveMissed(decl_.name, news.notice);
    run_.report((news.mayHaveMissed ? "error: stream " : "warning: stream ") + decl_.name + " (" + printableName(news.origin) +
                    "): " + news.notice,
                news.mayHaveMissed ? "" : "source-notice:" + decl_.name);  // the stream's end is always shown
}

void StreamRuntime::startDispatch() {
    firings_.allowDeferred(run_.options().deferredFirings);
    firings_.start(run_.options().handlerThreads);
    dispatcher_ = std::thread([this] { dispatch(); });
}

void StreamRuntime::emit(const DatumPtr& d, int64_t activity, bool mustNotBlock, ItemRoots roots) {
    IncomingItem in;
    in.roots = std::move(roots);
    in.datum = Datum::make(d->value, site_);
    {
        std::lock_guard lock(d->mutex);
        in.datum->sources = d->entity >= 0 ? std::vector<int64_t>{d->entity} : d->sources;
    }
    in.activity = activity;
    in.origin = "emit";
    in.arrival = run_.elapsed();
    // Counted as work of the cycle before it is in the queue, so the cycle is never seen quiet
    // while it is on its way (CycleWork.h).
    if (cycleWork_) in.work = cycleWork_->hold();
    const bool pushed = mustNotBlock ? input_.pushPastCapacity(std::move(in)) : input_.push(std::move(in));
    // A stream is closed only once what feeds it has ended (a cycle once it is quiet and its
    // last groups and end handlers have fired and what they emitted is handled), so no emit
    // can find it closed: if one does, never silently.
    if (!pushed && cycleWork_ && run_.stopping()) {
        // The stop closed the cycle (EmitGraph::waitForEnds): what it makes now is not work
        // under way, and the run is recorded as stopped, not as having lost it.
        run_.stats().unhandledAfterStop++;
    } else if (!pushed) {
        run_.stats().lostItems++;
        run_.report("error: stream " + decl_.name +
                        " had ended when an item was emitted into it; the item is lost (internal error: please report it)",
                    "late-emit:" + decl_.name);
    }
}

void StreamRuntime::endStep(CycleEndStep step) {
    IncomingItem in;
    in.endStep = step;
    // Held until the step's firings hold counts of their own: the cycle stays open meanwhile.
    if (cycleWork_) in.work = cycleWork_->hold();
    input_.pushPastCapacity(std::move(in));
}

void StreamRuntime::closeInput() {
    input_.close();
}

void StreamRuntime::stopSource() {
    if (source_) source_->stop();
}

void StreamRuntime::join() {
    if (source_) source_->join();
    if (dispatcher_.joinable()) dispatcher_.join();
    firings_.close();
}

void StreamRuntime::dispatch() {
    const std::function<void(IncomingItem)> deliver = [this](IncomingItem in) {
        try {
            accept(std::move(in));
        } catch (const std::exception& e) {  // a provenance or plan fault: report, never terminate
            run_.report("stream " + decl_.name + ": " + e.what(), "dispatch:" + decl_.name);
        }
    };
    // Items are taken a burst at a time (one lock, and the source woken once, per burst).
    std::vector<IncomingItem> burst;
    while (input_.popAll(burst)) {
        for (IncomingItem& in : burst) {
            if (in.endStep != CycleEndStep::None) {
                // The cycle is quiet, so every firing of it has finished: the step fires what the
                // end would, and its hold (in `in`) goes only after the firings hold their own.
                firings_.flush();
                const int fired = in.endStep == CycleEndStep::LastGroups ? fireLastGroups() : fireEndHandlers();
                for (int i = 0; i < fired; i++) cycleWork_->firedInEndRound();
                firings_.flush();
                in = IncomingItem();  // its hold goes now, as it did when each item was taken alone
                continue;
            }
            replay_.arrive(std::move(in), deliver);
        }
        burst.clear();
        if (input_.size() == 0) firings_.flush();
    }
    replay_.releaseHeld(deliver);
    // The counted type tests of the blocks still open (a replay: as the recorded run counted them).
    try {
        if (!replay_.replaying()) types_.recordCounts();
        else if (prov::Store* store = run_.provenance())
            for (prov::DecisionRecord d : replay_.streamDecisions()) store->decision(std::move(d));
    } catch (const std::exception& e) {
        run_.report("stream " + decl_.name + ": provenance: " + e.what(), "provenance");
    }
    firings_.flush();
    // The stream is exhausted: the last, shorter groups fire, then `on end of` handlers once
    // every firing has finished (an endless source stopped by the user has no end). In a cycle
    // that ended quiet its rounds have fired both already.
    fireLastGroups();
    firings_.flush();
    firings_.waitIdle();
    const bool endless = source_ && source_->endless();
    if (!(endless && source_->stopped()) && !(run_.stopping() && endless)) fireEndHandlers();
    firings_.flush();
    firings_.waitIdle();
    counters_.ended.store(true);
    done_.store(true);
    emits_.streamDone();
}

int StreamRuntime::fireLastGroups() {
    int fired = 0;
    for (Handler& h : data_)
        if (h.every)
            if (std::optional<ItemGroup> group = h.every->rest()) {
                fire(h, group->list, group->seq, run_.elapsed(), std::move(group->items), std::move(h.groupRoots));
                fired++;
            }
    return fired;
}

int StreamRuntime::fireEndHandlers() {
    if (endHandlersFired_) return 0;
    endHandlersFired_ = true;
    int fired = 0;
    for (Handler& h : end_)
        if (replay_.endFires(h.bound.info.id)) {
            fire(h, nullptr, -1, run_.elapsed(), {});
            fired++;
        }
    return fired;
}

void StreamRuntime::recordItem(const IncomingItem& in, const DatumPtr& item, const std::string& hash) {
    prov::Store* store = run_.provenance();
    prov::EntityRecord rec;
    rec.kind = "item";
    rec.label = decl_.name;
    rec.stream = decl_.name;
    rec.seq = item->seq;
    rec.site = site_;
    rec.hash = hash;
    rec.bytes = static_cast<int64_t>(payloadBytes(item->value));
    // Content invalidated before (`xdmlc prov invalidate`) is recognised when it comes again.
    const std::string invalid = in.origin != "emit" ? run_.invalidatedInput(rec.hash) : "";
    if (in.origin != "emit") rec.path = in.origin;
    if (!invalid.empty()) {
        rec.valid = false;
        run_.report("warning: stream " + decl_.name + " item " + std::to_string(item->seq) + " (" + printableName(in.origin) +
                        "): " + invalid + "; what is made from it is recorded invalid too",
                    "invalid-input:" + decl_.name);
    }
    item->entity = store->entity(std::move(rec));
    {
        std::lock_guard lock(item->mutex);
        item->hash = hash;  // moves and uses of the item take it from here: a large value is hashed once
    }
    if (!invalid.empty())
        store->decision({std::string(prov::decision_kind::invalidation), prov::subjectOfEntity(item->entity), "invalid",
                         invalid, "{}", -1});
    if (in.activity > 0) store->generated(item->entity, in.activity);
    for (int64_t from : item->sources) store->derivedFrom(item->entity, from, in.activity);
}

void StreamRuntime::accept(IncomingItem in) {
    prov::Store* store = run_.provenance();
    if (in.recovered) counters_.recovered++;
    if (!in.datum) {
        counters_.malformed++;
        run_.report("stream " + decl_.name + ": skipped a malformed item: " + in.error, "malformed:" + decl_.name);
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
    // Taken by the source where it decoded the item (on its threads) when it could.
    const std::string hash = store ? (in.hash.empty() ? contentHashOf(item->value) : std::move(in.hash)) : "";
    if (store) recordItem(in, item, hash);
    ItemRoots roots = std::move(in.roots);
    if (handledBefore(in, item, hash, roots)) return;
    counters_.items++;
    if (keepsItems_) keep(item);
    ItemDecisions decided;
    if (replay_.replaying() && store)
        for (prov::DecisionRecord d : replay_.itemDecisions(seq)) {
            d.subject = prov::subjectOfEntity(item->entity);
            store->decision(std::move(d));
        }
    for (Handler& h : data_) {
        bool yes;
        try {
            // A replay takes the recorded run's choice for types decided per item: predicates
            // and models are not asked again.
            yes = replay_.replaying() && h.bound.refined ? replay_.fired(h.bound.info.id, seq)
                                                         : types_.matches(h.bound.info.type, item, decided);
        } catch (const std::exception& e) {
            // Once per type: the same cause would repeat for every item.
            if (typeFailures_.insert(h.bound.info.type).second)
                run_.report("stream " + decl_.name + " item " + std::to_string(seq) + ": deciding whether it is a " +
                            h.bound.info.type + " failed (reported once): " + e.what());
            h.bound.counters->failed++;
            for (const auto& r : roots) r->fail();
            continue;
        }
        if (!yes) continue;
        if (!h.every) {
            fire(h, item, seq, in.arrival, {item->entity}, roots);
            continue;
        }
        h.groupRoots.insert(h.groupRoots.end(), roots.begin(), roots.end());
        if (std::optional<ItemGroup> group = h.every->add(item))
            fire(h, group->list, group->seq, in.arrival, std::move(group->items), std::move(h.groupRoots));
    }
}

bool StreamRuntime::handledBefore(const IncomingItem& in, const DatumPtr& item, const std::string& hash, ItemRoots& roots) {
    ResumeLedger* ledger = run_.resume();
    if (!ledger || in.origin == "emit") return false;  // an emitted item is its firing's work
    if (ledger->handledBefore(decl_.name, in.origin, hash)) {
        run_.stats().resumedItems++;
        run_.recordDecision(std::string(prov::decision_kind::reuse), prov::subjectOfEntity(item->entity), "skipped",
                            "stream " + decl_.name + " item " + std::to_string(item->seq) + " (" + printableName(in.origin) +
                                ") was fully handled by run " + std::to_string(ledger->resumedRun()));
        return true;
    }
    roots = {ledger->root(decl_.name, in.origin, hash)};
    return false;
}

void StreamRuntime::fire(Handler& h, DatumPtr binding, int64_t seq, double arrival, std::vector<int64_t> items, ItemRoots roots) {
    // The job reads only what addHandler fixed; the dispatcher alone touches the group.
    const BoundHandler* bound = &h.bound;
    Run* run = &run_;
    h.groupRoots.clear();
    // Registered before it is queued, so its tasks' records and emits find the items it works for.
    if (ResumeLedger* ledger = run_.resume()) ledger->firingStarted(bound->info.id, seq, std::move(roots));
    FiringQueue::Firing firing;
    // The firing counts as work of the cycle until it has finished (and so emitted all it will).
    CycleWork::Hold work = cycleWork_ ? cycleWork_->hold() : CycleWork::Hold();
    firing.run = [run, bound, binding = std::move(binding), seq, arrival, items = std::move(items),
                  work = std::move(work)](FiringQueue::Defer* defer) mutable {
        fireHandler(*run, *bound, binding, seq, arrival, items, defer, [run, bound, seq, work = std::move(work)](bool ok) mutable {
            if (ResumeLedger* ledger = run->resume()) ledger->firingEnded(bound->info.id, seq, ok);
            work.release();
        });
    };
    firing.gate = versions_.gateOf(bound->info.id, seq);
    firings_.submit(std::move(firing), h.strand.get(), h.urgent);
}

}  // namespace xdml::runtime
