// ModelRegistry.h — the models of one run (runtime::Models): each model's current version,
// inference, accuracy, and training one version after another. Version 0 is the untrained
// network (or the `load`ed file); every training clones the current version, trains the clone
// while the current one keeps answering inferences, saves it as TorchScript under
// <workdir>/models/<model>/v<N>.pt, records it in provenance, and makes it current.
#pragma once

#include "ml/ModelSpec.h"
#include "ml/Network.h"
#include "runtime/engine/Models.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace xdml::ml {

class ModelRegistry final : public runtime::Models {
public:
    /// Makes version 0 of every model of the program. A model that cannot be made (a corrupt
    /// `load` file) is reported through context.report and fails each use with that reason.
    ModelRegistry(const runtime::Program& program, runtime::ModelContext context);

    runtime::Inference infer(const std::string& model, const runtime::Value& x, int64_t version = -1) override;
    bool whenVersionMade(const std::string& model, int64_t version, std::function<void()> made) override;
    int64_t version(const std::string& model) override;
    int64_t versionEntity(const std::string& model) override { return current(this->model(model))->entity; }
    int64_t inputSize(const std::string& model) override { return this->model(model).spec.inputSize; }
    double accuracy(const std::string& model, const std::vector<runtime::LabeledItem>& items,
                    const std::function<void(const std::string&)>& reportItem) override;
    runtime::TrainingResult train(const runtime::TrainingRequest& request) override;
    std::string statsJson() override;

private:
    struct Version {
        int64_t number = 0;
        std::shared_ptr<const Network> net;
        int64_t row = -1, entity = -1;  // provenance: the models row and the weights' entity
        std::filesystem::path file;
    };
    struct Figures {
        int64_t trainings = 0, items = 0, rehearsed = 0, inferences = 0;
        double seconds = 0, stepSeconds = 0, bufferSeconds = 0;
        nlohmann::json last = nullptr;
    };
    struct Model {
        ModelSpec spec;
        std::string unavailable;  // why it cannot be used, when it cannot
        std::shared_ptr<const Version> current;
        std::vector<std::shared_ptr<const Version>> history;  // every version, by number (keepVersions)
        std::condition_variable versionMade;                  // a replay waits for a version
        std::multimap<int64_t, std::function<void()>> whenMade;  // version -> parked firings' wakes
        std::mutex mutex;     // guards current, history and figures
        std::mutex training;  // one training at a time
        Figures figures;
    };

    Model& model(const std::string& name);
    std::shared_ptr<const Version> current(Model& m);
    /// Version `number` (kept when context.keepVersions), waiting up to a minute for it to be
    /// trained; the current version, reported, when it does not come. A replay's firing is
    /// parked until its version is there (whenVersionMade), so this wait is rare: a firing
    /// whose own training may make the version, or one parked too long.
    std::shared_ptr<const Version> pinned(Model& m, int64_t number);
    /// Makes `v` current (and keeps it in the history of a replay). Under m.mutex. Returns the
    /// wakes of the firings parked for it, to call once m.mutex is let go.
    std::vector<std::function<void()>> publish(Model& m, std::shared_ptr<const Version> v);
    /// Saves `net` as version `number` and records it (entity, models row).
    std::shared_ptr<const Version> keep(Model& m, std::shared_ptr<const Network> net, int64_t number,
                                        const Version* parent, int64_t activity, const nlohmann::json& metrics,
                                        const nlohmann::json& items, const nlohmann::json& snapshot);

    runtime::ModelContext context_;
    std::map<std::string, std::unique_ptr<Model>> models_;
    std::map<std::pair<std::string, uint64_t>, int64_t> snapshots_;  // (stream, snapshot id) -> entity
    std::mutex snapshotsMutex_;
};

}  // namespace xdml::ml
