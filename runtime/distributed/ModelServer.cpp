// ModelServer.cpp — see ModelServer.h.
#include "runtime/distributed/ModelServer.h"

#include "runtime/provenance/Capture.h"

#include <nlohmann/json.hpp>

namespace xdml::runtime::distributed {

/// What the models here tell rank 0, as ModelEffect notes: the provenance captures (so every id
/// is rank 0's, and its store stays the one writer), reports and `until` questions. Notes that
/// need no answer wait and go with the next one that does, or at the end of the call; the lock
/// is held across the round trip, so rank 0 applies them in the order they were made.
class CoordinatorNotes final : public prov::Capture {
public:
    explicit CoordinatorNotes(Mailbox& mailbox) : mailbox_(mailbox) {}
    void opened(int64_t run) { run_ = run; }

    int64_t entity(prov::EntityRecord record) override {
        ModelNote n = note(ModelNote::Kind::Entity);
        n.entity = std::move(record);
        return send(std::move(n));
    }
    int64_t startActivity(prov::ActivityRecord record) override {
        if (record.rank == 0) {  // it runs here
            record.rank = mailbox_.rank();
            record.host = mailbox_.host();
        }
        ModelNote n = note(ModelNote::Kind::StartActivity);
        n.activity = std::move(record);
        return send(std::move(n));
    }
    void endActivity(int64_t activity, const std::string& status, const std::string& error) override {
        ModelNote n = note(ModelNote::Kind::EndActivity);
        n.ids[0] = activity;
        n.text = status;
        n.detail = error;
        keep(std::move(n));
    }
    void used(int64_t activity, int64_t entity, const std::string& role) override {
        ModelNote n = note(ModelNote::Kind::Used);
        n.ids[0] = activity;
        n.ids[1] = entity;
        n.text = role;
        keep(std::move(n));
    }
    void generated(int64_t entity, int64_t activity) override {
        ModelNote n = note(ModelNote::Kind::Generated);
        n.ids[0] = entity;
        n.ids[1] = activity;
        keep(std::move(n));
    }
    void derivedFrom(int64_t entity, int64_t from, int64_t activity) override {
        ModelNote n = note(ModelNote::Kind::DerivedFrom);
        n.ids[0] = entity;
        n.ids[1] = from;
        n.ids[2] = activity;
        keep(std::move(n));
    }
    int64_t decision(prov::DecisionRecord record) override {
        ModelNote n = note(ModelNote::Kind::Decision);
        n.decision = std::move(record);
        return send(std::move(n));
    }
    int64_t modelVersion(prov::ModelVersionRecord record) override {
        ModelNote n = note(ModelNote::Kind::ModelVersion);
        n.version = std::move(record);
        return send(std::move(n));
    }
    int64_t runId() const override { return run_; }

    void report(const std::string& message) {
        ModelNote n = note(ModelNote::Kind::Report);
        n.text = message;
        keep(std::move(n));
    }
    void reportItem(uint64_t call, const std::string& message) {
        ModelNote n = note(ModelNote::Kind::ReportItem);
        n.call = call;
        n.text = message;
        keep(std::move(n));
    }
    bool until(uint64_t call, double accuracy, double loss, int64_t epoch) {
        ModelNote n = note(ModelNote::Kind::Until);
        n.call = call;
        n.accuracy = accuracy;
        n.loss = loss;
        n.epoch = epoch;
        return send(std::move(n)) != 0;
    }
    /// Sends the notes that wait: a call's answer goes after everything it noted.
    void flush() {
        std::lock_guard lock(mutex_);
        if (!pending_.empty()) sendPending();
    }

private:
    static ModelNote note(ModelNote::Kind kind) {
        ModelNote n;
        n.kind = kind;
        return n;
    }
    void keep(ModelNote n) {
        std::lock_guard lock(mutex_);
        pending_.push_back(std::move(n));
    }
    int64_t send(ModelNote n) {
        std::lock_guard lock(mutex_);
        pending_.push_back(std::move(n));
        return sendPending();
    }
    int64_t sendPending() {
        std::vector<ModelNote> notes = std::move(pending_);
        pending_.clear();
        return decodeNumber(mailbox_.call(0, Tag::ModelEffect, encodeNotes(notes)));
    }

    Mailbox& mailbox_;
    int64_t run_ = 0;
    std::mutex mutex_;
    std::vector<ModelNote> pending_;
};

ModelServer::ModelServer(Mailbox& mailbox, const Program& program, MakeModels make)
    : mailbox_(mailbox), program_(program), make_(std::move(make)), notes_(std::make_unique<CoordinatorNotes>(mailbox)) {
    mailbox_.onRequest(Tag::ModelCall, [this](int, std::string payload) { return answer(payload); });
    mailbox_.onPost(Tag::ModelCall, [this](int, std::string) { stopping_ = true; });
}

ModelServer::~ModelServer() = default;

std::string ModelServer::answer(const std::string& payload) {
    const ModelCallHead call = decodeModelCall(payload);
    ModelStatus status = ModelStatus::Ok;
    std::string out;
    try {
        out = perform(call.id, call.op, call.model, call.arguments);
        notes_->flush();
    } catch (const ModelError& e) {
        status = ModelStatus::ModelError;
        out = e.what();
    } catch (const std::exception& e) {
        status = ModelStatus::Failed;
        out = e.what();
    }
    if (status != ModelStatus::Ok) notes_->flush();  // e.g. the failed training's end
    return encodeModelReply(status, out);
}

std::string ModelServer::perform(uint64_t id, ModelOp op, const std::string& model, const std::string& arguments) {
    switch (op) {
    case ModelOp::Open: return open(arguments);
    case ModelOp::Infer: {
        const auto [x, version] = decodeInferArguments(arguments);
        return encodeInference(models().infer(model, x, version));
    }
    case ModelOp::Version: return encodeNumber(models().version(model));
    case ModelOp::VersionEntity: return encodeNumber(models().versionEntity(model));
    case ModelOp::InputSize: return encodeNumber(models().inputSize(model));
    case ModelOp::Accuracy:
        return encodeReal(models().accuracy(model, decodeItems(arguments), [this, id](const std::string& problem) {
            notes_->reportItem(id, problem);
        }));
    case ModelOp::Train: return train(id, arguments);
    case ModelOp::Stats: return stats();
    }
    throw MessageError("a model call of operation " + std::to_string(static_cast<int>(op)));
}

std::string ModelServer::open(const std::string& arguments) {
    const ModelOpening o = decodeOpening(arguments);
    std::lock_guard lock(mutex_);
    if (models_) throw std::runtime_error("the models of rank " + std::to_string(mailbox_.rank()) + " were opened twice");
    notes_->opened(o.run);
    ModelContext context;
    context.store = o.provenance ? notes_.get() : nullptr;
    context.workdir = o.workdir;
    context.inputDir = o.inputDir;
    context.seed = o.seed;
    context.homeSite = o.homeSite;
    context.file = o.file;
    context.keepVersions = o.keepVersions;
    context.served = o.served;
    context.report = [notes = notes_.get()](const std::string& message) { notes->report(message); };
    models_ = make_ ? make_(program_, context) : nullptr;
    if (!models_) throw std::runtime_error("rank " + std::to_string(mailbox_.rank()) + " cannot make models");
    return "";
}

std::string ModelServer::train(uint64_t id, const std::string& arguments) {
    DecodedTraining d = decodeTraining(arguments);
    TrainingRequest& r = d.request;
    CoordinatorNotes* notes = notes_.get();
    // `until` reads the program's expressions where the statement is: rank 0 evaluates it.
    if (d.hasUntil)
        r.policy.until = [notes, id](double accuracy, double loss, int64_t epoch) { return notes->until(id, accuracy, loss, epoch); };
    r.reportItem = [notes, id](const std::string& problem) { notes->reportItem(id, problem); };
    r.stopping = [this] { return stopping_.load(); };
    if (r.rehearse) r.buffer = buffer(*r.rehearse, r.model);
    return encodeTrainingResult(models().train(r));
}

RehearsalBuffer* ModelServer::buffer(const RehearsalConfig& config, const std::string& model) {
    const auto rowFloats = static_cast<std::size_t>(models().inputSize(model));
    std::lock_guard lock(mutex_);
    std::unique_ptr<RehearsalBuffer>& b = buffers_[config.stream];
    if (!b) {
        try {
            b = std::make_unique<RehearsalBuffer>(config, rowFloats);
        } catch (const std::exception& e) {
            throw ModelError("the rehearsal buffer " + config.stream + " (capacity " + std::to_string(config.capacity) + " items of " +
                             std::to_string(rowFloats * sizeof(float)) + " bytes) cannot be made on rank " +
                             std::to_string(mailbox_.rank()) + ": " + e.what());
        }
    }
    return b.get();
}

std::string ModelServer::stats() {
    std::lock_guard lock(mutex_);
    if (!models_) return "{}";
    nlohmann::json figures = nlohmann::json::parse(models_->statsJson());
    // Where each model ran: the figures come from this rank.
    for (auto& [name, f] : figures.items()) {
        f["rank"] = mailbox_.rank();
        f["host"] = mailbox_.host();
    }
    return figures.dump();
}

Models& ModelServer::models() {
    std::lock_guard lock(mutex_);
    if (!models_) throw std::runtime_error("rank " + std::to_string(mailbox_.rank()) + " was asked for a model before rank 0 opened them");
    return *models_;
}

}  // namespace xdml::runtime::distributed
