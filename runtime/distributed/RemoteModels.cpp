// RemoteModels.cpp — see RemoteModels.h. RemoteModels forwards one rank's models' calls as
// ModelCall requests; CoordinatorSide applies what that rank's models note during a call;
// ModelsBySite routes each model to the Models that holds it.
#include "runtime/distributed/RemoteModels.h"

#include "runtime/distributed/ModelMessages.h"
#include "runtime/interp/PlanJson.h"
#include "runtime/provenance/Capture.h"

#include <nlohmann/json.hpp>

#include <future>
#include <map>
#include <set>

namespace xdml::runtime::distributed {

namespace {

/// The calls under way that notes name (by the id their ModelCall carried): their callbacks,
/// and what `until` threw here, to be thrown again from the call as a local training would.
class PendingCalls {
public:
    struct Callbacks {
        std::function<void(const std::string&)> reportItem;
        std::function<bool(double, double, int64_t)> until;
        std::exception_ptr failure;
    };
    uint64_t add(Callbacks c) {
        std::lock_guard lock(mutex_);
        const uint64_t id = next_++;
        calls_.emplace(id, std::move(c));
        return id;
    }
    Callbacks get(uint64_t id) {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(id);
        if (it == calls_.end()) throw MessageError("a note for model call " + std::to_string(id) + ", which is not under way");
        return it->second;
    }
    void failed(uint64_t id, std::exception_ptr failure) {
        std::lock_guard lock(mutex_);
        if (auto it = calls_.find(id); it != calls_.end()) it->second.failure = std::move(failure);
    }
    std::exception_ptr remove(uint64_t id) {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(id);
        if (it == calls_.end()) return nullptr;
        std::exception_ptr failure = std::move(it->second.failure);
        calls_.erase(it);
        return failure;
    }

private:
    std::mutex mutex_;
    std::map<uint64_t, Callbacks> calls_;
    uint64_t next_ = 1;
};

/// Rank 0's end of the ModelEffect notes: captures go to its store (the one writer), reports
/// to the run, item reports and `until` to the call that asked.
class CoordinatorSide {
public:
    CoordinatorSide(prov::Capture* store, std::function<void(const std::string&)> report)
        : store_(store), report_(std::move(report)) {}
    PendingCalls& calls() { return calls_; }

    /// The notes of one ModelEffect, in order; the answer is the last one's (an id, or `until`).
    std::string apply(const std::string& payload) {
        int64_t last = 0;
        for (ModelNote& n : decodeNotes(payload)) last = apply(n);
        return encodeNumber(last);
    }

private:
    int64_t apply(ModelNote& n) {
        using K = ModelNote::Kind;
        switch (n.kind) {
        case K::Report:
            if (report_) report_(n.text);
            return 0;
        case K::ReportItem:
            if (auto c = calls_.get(n.call); c.reportItem) c.reportItem(n.text);
            return 0;
        case K::Until: {
            auto c = calls_.get(n.call);
            if (!c.until) throw MessageError("an until note for model call " + std::to_string(n.call) + ", which has none");
            try {
                return c.until(n.accuracy, n.loss, n.epoch) ? 1 : 0;
            } catch (...) {
                calls_.failed(n.call, std::current_exception());
                throw;
            }
        }
        default: break;
        }
        if (!store_) throw MessageError("a provenance note from a model's rank, in a run that keeps no provenance");
        switch (n.kind) {
        case K::Entity: return store_->entity(std::move(n.entity));
        case K::StartActivity: return store_->startActivity(std::move(n.activity));
        case K::EndActivity: store_->endActivity(n.ids[0], n.text, n.detail); return 0;
        case K::Used: store_->used(n.ids[0], n.ids[1], n.text); return 0;
        case K::Generated: store_->generated(n.ids[0], n.ids[1]); return 0;
        case K::DerivedFrom: store_->derivedFrom(n.ids[0], n.ids[1], n.ids[2]); return 0;
        case K::Decision: return store_->decision(std::move(n.decision));
        case K::ModelVersion: return store_->modelVersion(std::move(n.version));
        default: return 0;
        }
    }

    prov::Capture* store_;
    std::function<void(const std::string&)> report_;
    PendingCalls calls_;
};

/// The models served by one other rank.
class RemoteModels final : public Models {
public:
    RemoteModels(Mailbox& mailbox, int rank, std::shared_ptr<CoordinatorSide> side, const ModelOpening& opening)
        : mailbox_(mailbox), rank_(rank), side_(std::move(side)) {
        call(ModelOp::Open, "", encodeOpening(opening));
    }

    Inference infer(const std::string& model, const Value& x, int64_t version) override {
        return decodeInference(call(ModelOp::Infer, model, encodeInferArguments(x, version)));
    }
    int64_t version(const std::string& model) override { return decodeNumber(call(ModelOp::Version, model, "")); }
    bool inProcess(const std::string&) override { return false; }
    int64_t versionEntity(const std::string& model) override { return decodeNumber(call(ModelOp::VersionEntity, model, "")); }
    int64_t inputSize(const std::string& model) override {
        {
            std::lock_guard lock(mutex_);
            if (auto it = inputSizes_.find(model); it != inputSizes_.end()) return it->second;
        }
        const int64_t size = decodeNumber(call(ModelOp::InputSize, model, ""));
        std::lock_guard lock(mutex_);
        return inputSizes_[model] = size;
    }
    double accuracy(const std::string& model, const std::vector<LabeledItem>& items,
                    const std::function<void(const std::string&)>& reportItem) override {
        const uint64_t id = side_->calls().add({reportItem, nullptr, nullptr});
        return decodeReal(call(ModelOp::Accuracy, model, encodeItems(items), id));
    }
    TrainingResult train(const TrainingRequest& r) override {
        const uint64_t id = side_->calls().add({r.reportItem, r.policy.until, nullptr});
        std::future<std::string> answer =
            std::async(std::launch::async, [this, id, model = r.model, bytes = encodeTraining(r)]() mutable {
                return call(ModelOp::Train, model, std::move(bytes), id);
            });
        // Ctrl-C here reaches the training there: it ends after its current step, as locally.
        while (answer.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready)
            if (r.stopping && !stopSent_ && r.stopping()) {
                stopSent_ = true;
                mailbox_.post(rank_, Tag::ModelCall, "");
            }
        return decodeTrainingResult(answer.get());
    }
    std::string statsJson() override { return call(ModelOp::Stats, "", ""); }

private:
    /// One ModelCall and its answer; the error it threw there is thrown here, a ModelError as one.
    std::string call(ModelOp op, const std::string& model, std::string arguments, uint64_t id = 0) {
        std::string reply;
        try {
            reply = mailbox_.call(rank_, Tag::ModelCall, encodeModelCall({id, op, model, std::move(arguments)}));
        } catch (...) {
            if (id) side_->calls().remove(id);
            throw;
        }
        std::exception_ptr failure = id ? side_->calls().remove(id) : nullptr;
        auto [status, answer] = decodeModelReply(reply);
        if (status == ModelStatus::Ok) return std::move(answer);
        if (failure) std::rethrow_exception(failure);  // what `until` threw here
        if (status == ModelStatus::ModelError) throw ModelError(answer);
        throw std::runtime_error(answer);
    }

    Mailbox& mailbox_;
    const int rank_;
    std::shared_ptr<CoordinatorSide> side_;
    std::mutex mutex_;
    std::map<std::string, int64_t> inputSizes_;  // a model's input never changes
    std::atomic<bool> stopSent_{false};
};

/// Each model's calls to the Models that holds it.
class ModelsBySite final : public Models {
public:
    void add(std::unique_ptr<Models> models, const std::set<std::string>& names) {
        if (!models) return;  // its names stay unknown: "no model named"
        for (const std::string& name : names) byName_[name] = models.get();
        parts_.push_back(std::move(models));
    }

    Inference infer(const std::string& model, const Value& x, int64_t version) override { return of(model).infer(model, x, version); }
    bool whenVersionMade(const std::string& model, int64_t version, std::function<void()> made) override {
        return of(model).whenVersionMade(model, version, std::move(made));
    }
    int64_t version(const std::string& model) override { return of(model).version(model); }
    bool inProcess(const std::string& model) override { return of(model).inProcess(model); }
    int64_t versionEntity(const std::string& model) override { return of(model).versionEntity(model); }
    int64_t inputSize(const std::string& model) override { return of(model).inputSize(model); }
    double accuracy(const std::string& model, const std::vector<LabeledItem>& items,
                    const std::function<void(const std::string&)>& reportItem) override {
        return of(model).accuracy(model, items, reportItem);
    }
    TrainingResult train(const TrainingRequest& request) override { return of(request.model).train(request); }
    std::string statsJson() override {
        nlohmann::json all = nlohmann::json::object();
        for (const auto& part : parts_) all.update(nlohmann::json::parse(part->statsJson()));
        return all.dump();
    }

private:
    Models& of(const std::string& model) {
        auto it = byName_.find(model);
        if (it == byName_.end()) throw ModelError("no model named '" + model + "'");
        return *it->second;
    }

    std::vector<std::unique_ptr<Models>> parts_;
    std::map<std::string, Models*> byName_;
};

}  // namespace

int modelRank(const Program& program, const RankLayout& layout, const std::string& model, const std::string& homeSite) {
    std::string site = homeSite;
    // The model's `at`, as ModelSpec reads it: a site's name.
    const nlohmann::json& spec = program.models().at(model);
    if (auto at = spec.find("at"); at != spec.end()) {
        const Expr e = plan_json::readExpr(*at, "models." + model + ".at");
        if (e.op == Expr::Op::Name) site = e.name;
    }
    const SiteRanks* ranks = layout.site(site);
    return ranks ? ranks->workRanks().front() : 0;
}

std::unique_ptr<Models> modelsAtSites(Mailbox& mailbox, const RankLayout& layout, const Program& program,
                                      const ModelContext& context, const MakeModels& makeLocal) {
    if (program.models().is_null() || program.models().empty()) return nullptr;
    std::map<int, std::set<std::string>> byRank;
    for (const auto& [name, spec] : program.models().items()) byRank[modelRank(program, layout, name, context.homeSite)].insert(name);
    if (byRank.size() == 1 && byRank.count(0)) return makeLocal(program, context);  // all here: a local run's models
    auto side = std::make_shared<CoordinatorSide>(context.store, context.report);
    mailbox.onRequest(Tag::ModelEffect, [side](int, std::string payload) { return side->apply(payload); });
    auto models = std::make_unique<ModelsBySite>();
    for (const auto& [rank, names] : byRank) {
        if (rank == 0) {
            ModelContext here = context;
            here.served = names;
            models->add(makeLocal(program, here), names);
            continue;
        }
        ModelOpening o;
        o.served = names;
        o.workdir = context.workdir;
        o.inputDir = context.inputDir;
        o.seed = context.seed;
        o.homeSite = context.homeSite;
        o.file = context.file;
        o.keepVersions = context.keepVersions;
        o.provenance = context.store != nullptr;
        o.run = context.store ? context.store->runId() : 0;
        models->add(std::make_unique<RemoteModels>(mailbox, rank, side, o), names);
    }
    return models;
}

}  // namespace xdml::runtime::distributed
