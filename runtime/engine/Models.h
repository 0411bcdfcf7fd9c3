// Models.h — the models of a run as the runtime sees them: inference, versions, accuracy and
// training (LANGUAGE.md §3, §5). The implementation is ml/ (LibTorch, the only code that sees
// it), handed to the run by RunOptions::models; the runtime itself never includes a Torch header.
#pragma once

#include "runtime/streams/RehearsalBuffer.h"
#include "runtime/values/Value.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdml::runtime {

namespace prov {
class Capture;
}

/// A model that cannot do what was asked: unknown, unavailable (a corrupt `load` file), or
/// given an input or label it cannot take. The message names the model and the problem.
class ModelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One inference: the class the model predicts and the version that predicted it.
struct Inference {
    int64_t classIndex = 0;
    std::string className;
    std::vector<float> probabilities;  // one per class, summing to 1
    int64_t version = 0;               // the model's own version number (0: untrained)
    int64_t versionRow = -1;           // the provenance `models` row of that version
    int64_t versionEntity = -1;        // the provenance entity that holds its weights
};

/// A stream item offered to training or scoring: its value and where it came from.
struct LabeledItem {
    Value x, y;
    int64_t entity = -1, seq = -1;
};

/// The training clauses of a policy, evaluated (defaults: LANGUAGE.md §5).
struct TrainingPolicy {
    int64_t batch = 32, maxEpochs = 1;
    double lr = 0.05, validate = 0.1;
    std::string optimizer = "sgd";
    std::string untilText;  // the `until` condition as written, for the train_stop decision
    /// `until` with accuracy, loss and epoch bound; empty when the policy has none.
    std::function<bool(double accuracy, double loss, int64_t epoch)> until;
};

/// `train M on S @ p`: the untrained items and the policy.
struct TrainingRequest {
    std::string model, stream;
    std::vector<LabeledItem> items;
    TrainingPolicy policy;
    RehearsalBuffer* buffer = nullptr;  // the stream's, when it has `rehearse` and the model is inProcess
    /// The stream's `rehearse` settings (none without one): a model trained in another process
    /// keeps its own buffer made from them there, which sees the same offers and draws.
    std::optional<RehearsalConfig> rehearse;
    double mix = 0;
    int64_t handlerActivity = -1;  // the firing that trains
    int line = 0;                  // the train statement's line
    std::string site;
    /// Reports a bad item (a label outside the classes, a wrong shape); training goes on.
    std::function<void(const std::string&)> reportItem;
    /// Whether the run is stopping (Ctrl-C): the training ends after the current step.
    std::function<bool()> stopping;
};

/// What a training made; its figures are in provenance and in statsJson().
struct TrainingResult {
    int64_t version = 0;  // the new version (unchanged when there was nothing to train on)
    int64_t trained = 0, skipped = 0;
    std::string stopReason;
};

/// What the models of a run are made with: where versions are saved and recorded.
struct ModelContext {
    prov::Capture* store = nullptr;  // null: no provenance
    std::filesystem::path workdir;  // versions go to <workdir>/models/<model>/v<N>.pt
    std::filesystem::path inputDir;  // relative load("file.pt") paths are found here
    int64_t seed = 0;               // the run's seed: initialization, splits, shuffles, draws
    std::string homeSite;
    std::string file;               // the script, for messages
    bool keepVersions = false;      // keep every version for infer(model, x, version): a replay
    /// The models made here; empty: every model of the program. A distributed run makes each
    /// model at its site's rank (docs/distributed.md, "Models at their sites").
    std::set<std::string> served;
    /// Warnings and failures that are not one call's error (a model that cannot load).
    std::function<void(const std::string&)> report;
};

class Models {
public:
    virtual ~Models() = default;
    /// Infers the class of `x` with the model's current version, or with version `version`
    /// when it is not -1 (a replay answers with the version the recorded run used; it waits
    /// for that version to be trained). Throws ModelError.
    virtual Inference infer(const std::string& model, const Value& x, int64_t version = -1) = 0;
    /// In a replay, whether version `version` of `model` has been trained; when not, `made` is
    /// called once it is (on the thread that made it; it must not block), and never otherwise.
    /// A firing that needs it is parked meanwhile instead of waiting in infer(). Models that
    /// keep no versions (and unknown models: infer() says why) have them all.
    virtual bool whenVersionMade(const std::string& /*model*/, int64_t /*version*/, std::function<void()> /*made*/) {
        return true;
    }
    virtual int64_t version(const std::string& model) = 0;
    /// Whether `model` trains in this process, on the stream's own rehearsal buffer
    /// (TrainingRequest::buffer); when not, it is given the buffer's settings instead.
    virtual bool inProcess(const std::string& /*model*/) { return true; }
    /// The provenance entity of the current version's weights (-1: none recorded).
    virtual int64_t versionEntity(const std::string& model) = 0;
    /// The values of one input item (the product of its shape). Throws ModelError.
    virtual int64_t inputSize(const std::string& model) = 0;
    /// The fraction of `items` whose label the current version predicts. Throws ModelError.
    /// Items that do not fit the model are reported and left out.
    virtual double accuracy(const std::string& model, const std::vector<LabeledItem>& items,
                            const std::function<void(const std::string&)>& reportItem) = 0;
    /// Trains the next version (LANGUAGE.md §5). Trainings of one model run one at a time.
    virtual TrainingResult train(const TrainingRequest& request) = 0;
    /// The models' figures for --stats-json: versions, trainings, time in the buffer.
    virtual std::string statsJson() = 0;
};

}  // namespace xdml::runtime
