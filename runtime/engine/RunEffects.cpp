// RunEffects.cpp — see RunEffects.h (models and training: ModelStatements.cpp; the
// coordinator's half of a task call: TaskCall.cpp).
#include "runtime/engine/RunEffects.h"

#include "planformat/FileTargets.h"

#include "runtime/engine/BlockingWait.h"
#include "runtime/engine/ResumeLedger.h"
#include "runtime/engine/StreamRuntime.h"
#include "runtime/engine/TaskCall.h"
#include "runtime/io/PrintableName.h"
#include "runtime/io/ValueCodec.h"
#include "runtime/provenance/Kinds.h"

#include <optional>

namespace xdml::runtime {

void RunEffects::emit(const std::string& stream, const DatumPtr& value, const std::string& site, bool persist) {
    DatumPtr d = run_.moveTo(value, site);
    if (persist) d = run_.persist(d, "emit-" + stream);
    StreamRuntime* target = run_.stream(stream);
    if (!target) throw EvalError("no stream '" + stream + "' in this run");
    // A site's worker (in a task) or a stream feeding its own cycle must never wait for
    // room: the threads that would make room could be the ones waiting.
    const std::string& from = run_.plan().handlers.at(static_cast<std::size_t>(handler_)).stream;
    if (trace_) trace_->effect();
    // The emitted item works for the source items this firing works for (ResumeLedger.h).
    ItemRoots roots = run_.resume() ? run_.resume()->rootsOf(handler_, seq_) : ItemRoots{};
    target->emit(d, activity_, body_ != Body::Handler || (!from.empty() && run_.feedsBack(from, stream)), std::move(roots));
    run_.stats().emits++;
}

void RunEffects::record(const std::string& catalog, const DatumPtr& value, const std::string& site) {
    DatumPtr d = run_.moveTo(value, site);
    const uint64_t bytes = payloadBytes(d->value);
    prov::Store* store = run_.provenance();
    // The row is committed with its origin before its entity is captured: a run killed in
    // between leaves a row without its entity (which the next run writes from the origin,
    // RecordRecovery.h), never an entity without its row.
    std::optional<prov::RecordOrigin> origin;
    if (store)
        origin = prov::RecordOrigin{store->absolutePath(), store->runId(), activity_, run_.entityOf(d), site,
                                    contentHashOf(d->value), static_cast<int64_t>(bytes), 0};
    const int64_t row = [&] {
        BlockingWait blocking;  // a durable commit, shared with the records that come meanwhile
        return run_.catalog(catalog).record(d->value, origin ? &*origin : nullptr);
    }();
    if (trace_) trace_->effect();
    if (ResumeLedger* ledger = run_.resume()) ledger->rowRecorded(handler_, seq_, catalog, row);
    run_.stats().records++;
    run_.stats().writtenBytes += bytes;
    if (!store) return;
    prov::EntityRecord rec;
    rec.kind = "record";
    rec.label = catalog;
    rec.site = site;
    rec.bytes = origin->bytes;
    rec.hash = origin->hash;
    rec.seq = row;
    const int64_t e = store->entity(rec);
    store->derivedFrom(e, origin->from, activity_);
    if (activity_ > 0) store->generated(e, activity_);
}

void RunEffects::log(const std::string& line) {
    run_.log(line);
    run_.stats().logs++;
}

void RunEffects::fileUsed(const FileUse& f) {
    if (trace_) {
        if (f.written) trace_->effect();
        else trace_->read(f.path, f.hash);
    }
    if (f.written) {  // write(): the file is the payload, so it counts in both
        run_.stats().writtenBytes += f.bytes;
        run_.stats().writtenFileBytes += f.bytes;
    }
    const std::filesystem::path folder = std::filesystem::path(planformat::fileTarget(f.path).file).parent_path();
    const std::string syncFolder = folder.empty() ? "." : folder.string();
    prov::Store* store = run_.provenance();
    if (!store) {
        if (f.written && !f.synced) run_.writtenUnsynced(syncFolder);
        return;
    }
    const std::filesystem::path p(f.path);
    prov::EntityRecord rec;
    rec.kind = "file";
    rec.label = p.filename().string();
    rec.path = f.path;
    rec.site = f.site;
    rec.bytes = static_cast<int64_t>(f.bytes);
    rec.hash = f.hash;
    // A file read whose content was invalidated before is recognised (a written one is new).
    const std::string invalid = f.written ? "" : run_.invalidatedInput(f.hash);
    if (!invalid.empty()) {
        rec.valid = false;
        run_.report("warning: " + printableName(f.path) + ": " + invalid + "; what is made from it is recorded invalid too",
                    "invalid-input:" + f.path);
    }
    // A file write() left unsynced is synced by the group that records it (Store::writtenFile).
    const int64_t e = f.written && !f.synced ? store->writtenFile(rec, syncFolder) : store->entity(rec);
    if (!invalid.empty())
        store->decision({std::string(prov::decision_kind::invalidation), prov::subjectOfEntity(e), "invalid", invalid, "{}", -1});
    if (activity_ <= 0) return;
    if (f.written) store->generated(e, activity_);
    else store->used(activity_, e, "read");
}

Pending RunEffects::startTask(TaskCall call) {
    switch (body_) {
    case Body::Handler: break;
    case Body::Task: call.node = -1; break;  // a call inside a task runs inside it, on its worker
    case Body::Chain:
        // The chain's queueing counts to its first call, as if that call had been queued.
        call.madeAt = chainStarted_;
        chainStarted_ = -1;
        break;
    }
    return startTaskCall(run_, std::move(call), handler_, body_ != Body::Handler, trace_);
}

ChainResult RunEffects::startChain(ChainCall chain) {
    if (body_ != Body::Handler)
        throw PlanError("plan code: a fused chain (node " + std::to_string(chain.node) + ") inside a task's body or another chain");
    return startChainCall(run_, std::move(chain), handler_);
}

std::string RunEffects::resolve(const std::string& path, bool forWriting) {
    return (forWriting ? run_.resolve(path) : run_.resolveInput(path)).string();
}

}  // namespace xdml::runtime
