// ModelTraining.cpp — ModelRegistry::train: one `train M on S` (LANGUAGE.md §5) from the items
// to the next version, and its provenance: a training activity that used the parent version,
// the items (role train or heldout) and the rehearsal snapshot it drew from, and generated the
// new version; the `models` row; a train_stop decision with the condition that ended it.
#include "ml/ModelRegistry.h"

#include "ml/Rows.h"
#include "ml/Trainer.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/provenance/Kinds.h"
#include "runtime/provenance/Capture.h"
#include "runtime/streams/RehearsalBuffer.h"

namespace xdml::ml {

using runtime::ModelError;
namespace prov = runtime::prov;

namespace {

/// Sorted ids as ranges, [[first, last], ...]: a training's items are mostly consecutive.
nlohmann::json ranges(std::vector<int64_t> ids) {
    std::sort(ids.begin(), ids.end());
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < ids.size();) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] <= ids[j] + 1) ++j;
        out.push_back({ids[i], ids[j]});
        i = j + 1;
    }
    return out;
}

}  // namespace

runtime::TrainingResult ModelRegistry::train(const runtime::TrainingRequest& request) {
    Model& m = model(request.model);
    std::lock_guard trainingLock(m.training);
    const auto parent = current(m);
    runtime::TrainingResult result;
    result.version = parent->number;
    const LabeledRows data = labeledRows(request.items, m.spec, request.stream, request.reportItem);
    result.skipped = static_cast<int64_t>(request.items.size() - data.size());
    if (data.size() == 0) {
        result.stopReason = "no items to train on";
        return result;
    }
    const int64_t number = parent->number + 1;
    prov::Capture* store = context_.store;

    // The snapshot of the buffer this training draws from, once per content.
    nlohmann::json snapshot = nullptr;
    int64_t snapshotEntity = -1;
    if (request.buffer) {
        const runtime::RehearsalSnapshot s = request.buffer->snapshot();
        snapshot = {{"stream", request.stream}, {"id", s.id}, {"size", s.size}};
        if (store && s.size > 0) {
            std::lock_guard lock(snapshotsMutex_);
            auto [it, fresh] = snapshots_.try_emplace({request.stream, s.id}, -1);
            if (fresh) {
                prov::EntityRecord e;
                e.kind = prov::entity_kind::rehearsal_snapshot;
                e.label = request.stream + " snapshot " + std::to_string(s.id);
                e.stream = request.stream;
                e.site = request.site;
                e.bytes = static_cast<int64_t>(s.bytes);
                e.hash = prov::contentHash(s.entities.data(), s.entities.size() * sizeof(int64_t));
                it->second = store->entity(e);
                for (int64_t member : s.entities) store->derivedFrom(it->second, member, -1);
            }
            snapshotEntity = it->second;
            snapshot["entity"] = snapshotEntity;
        }
    }

    int64_t activity = -1;
    if (store) {
        prov::ActivityRecord a;
        a.kind = prov::activity_kind::training;
        a.name = "train " + request.model + " on " + request.stream + " (version " + std::to_string(number) + ")";
        a.site = request.site;
        a.line = request.line;
        activity = store->startActivity(a);
        store->used(activity, parent->entity, "parent");
        if (snapshotEntity > 0) store->used(activity, snapshotEntity, "rehearsal");
    }
    try {
        std::unique_ptr<Network> net = parent->net->clone();
        TrainingPlan plan;
        plan.policy = request.policy;
        plan.buffer = request.buffer;
        plan.mix = request.mix;
        plan.stopping = request.stopping;
        plan.seed = deriveSeed(deriveSeed(static_cast<uint64_t>(context_.seed), request.model), static_cast<uint64_t>(number));
        TrainingOutcome o = trainNetwork(*net, m.spec, data, plan);

        const nlohmann::json metrics = {{"accuracy", o.accuracy},        {"loss", o.loss},
                                        {"epochs", o.epochs},            {"trained", o.trainEntities.size()},
                                        {"held_out", o.heldOutEntities.size()}, {"rehearsed", o.rehearsed},
                                        {"seconds", o.seconds},          {"step_seconds", o.stepSeconds},
                                        {"buffer_seconds", o.bufferSeconds}};
        const nlohmann::json items = {{"stream", request.stream},
                                      {"train", ranges(o.trainEntities)},
                                      {"heldout", ranges(o.heldOutEntities)}};
        if (store) {
            for (int64_t e : o.trainEntities) store->used(activity, e, "train");
            for (int64_t e : o.heldOutEntities) store->used(activity, e, "heldout");
        }
        auto next = keep(m, std::shared_ptr<const Network>(std::move(net)), number, parent.get(), activity, metrics, items,
                         snapshot);
        // Only now, with the version kept, do its items count as trained on: they enter the buffer.
        if (request.buffer) {
            enterBuffer(*request.buffer, data, static_cast<std::size_t>(m.spec.inputSize), o);
            if (!o.bufferProblem.empty() && request.reportItem)
                request.reportItem("the trained items could not all enter the rehearsal buffer: " + o.bufferProblem);
        }
        if (store) {
            prov::DecisionRecord d;
            d.kind = prov::decision_kind::train_stop;
            d.subject = prov::subjectOfActivity(activity);
            d.choice = "stop after epoch " + std::to_string(o.epochs);
            d.reason = o.stopReason;
            d.inputsJson = nlohmann::json({{"accuracy", o.accuracy},
                                           {"loss", o.loss},
                                           {"epoch", o.epochs},
                                           {"max_epochs", request.policy.maxEpochs},
                                           {"until", request.policy.untilText}})
                               .dump();
            d.modelVersion = next->row;
            store->decision(d);
            store->endActivity(activity, "ok");
        }
        std::vector<std::function<void()>> wakes;
        {
            std::lock_guard lock(m.mutex);
            wakes = publish(m, next);
            Figures& f = m.figures;
            f.trainings++;
            f.items += static_cast<int64_t>(o.trainEntities.size());
            f.rehearsed += o.rehearsed;
            f.seconds += o.seconds;
            f.stepSeconds += o.stepSeconds;
            f.bufferSeconds += o.bufferSeconds;
            f.last = metrics;
            f.last["version"] = number;
            f.last["stop"] = o.stopReason;
        }
        for (const std::function<void()>& wake : wakes) wake();  // firings parked for this version
        result.version = number;
        result.trained = static_cast<int64_t>(o.trainEntities.size());
        result.stopReason = o.stopReason;
        return result;
    } catch (const std::exception& e) {
        if (store && activity > 0) store->endActivity(activity, "failed", e.what());
        throw;
    }
}

}  // namespace xdml::ml
