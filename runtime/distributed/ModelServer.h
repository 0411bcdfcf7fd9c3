// ModelServer.h — a model's site rank in a distributed run (docs/distributed.md, "Models at
// their sites"): the Models of the site's models (ml/, made by the same plugin as on rank 0)
// answer rank 0's ModelCalls here, so training and inference run at the site. They record
// provenance through rank 0's store, report and ask `until` through ModelEffect notes, and keep
// the rehearsal buffers of the models they train.
#pragma once

#include "runtime/distributed/Mailbox.h"
#include "runtime/distributed/ModelMessages.h"
#include "runtime/engine/Models.h"
#include "runtime/interp/Program.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace xdml::runtime::distributed {

/// Makes the models of a program (tools/xdmlc/ModelsPlugin.h: the plugin's factory).
using MakeModels = std::function<std::unique_ptr<Models>(const Program&, const ModelContext&)>;

class CoordinatorNotes;

class ModelServer {
public:
    /// Serves ModelCall on `mailbox` until destroyed. The Models are made when rank 0 opens them.
    ModelServer(Mailbox& mailbox, const Program& program, MakeModels make);
    ~ModelServer();

private:
    std::string answer(const std::string& payload);
    std::string perform(uint64_t id, ModelOp op, const std::string& model, const std::string& arguments);
    std::string open(const std::string& arguments);
    std::string train(uint64_t id, const std::string& arguments);
    std::string stats();
    Models& models();
    /// The buffer of `config.stream` (stream.model), made on first use as the stream makes it locally.
    RehearsalBuffer* buffer(const RehearsalConfig& config, const std::string& model);

    Mailbox& mailbox_;
    const Program& program_;
    MakeModels make_;
    std::unique_ptr<CoordinatorNotes> notes_;
    std::mutex mutex_;  // guards models_ and buffers_
    std::unique_ptr<Models> models_;
    std::map<std::string, std::unique_ptr<RehearsalBuffer>> buffers_;
    std::atomic<bool> stopping_{false};  // rank 0's run is stopping: trainings end after their step
};

}  // namespace xdml::runtime::distributed
