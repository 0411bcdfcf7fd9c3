// ModelMessages.h — the payloads of the ModelCall and ModelEffect messages (docs/distributed.md,
// "Models at their sites"), in MessageCodec's layout: rank 0's calls of a model's Models at the
// model's site rank with their answers, and the notes that rank's models send rank 0 during a
// call (provenance captures, reports, `until`). Malformed bytes are a MessageError.
#pragma once

#include "runtime/engine/MessageCodec.h"
#include "runtime/engine/Models.h"
#include "runtime/provenance/Records.h"

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace xdml::runtime::distributed {

/// The Models operation a ModelCall asks for. Open makes the rank's Models.
enum class ModelOp : uint8_t { Open, Infer, Version, VersionEntity, InputSize, Accuracy, Train, Stats };
inline constexpr uint8_t kLastModelOp = static_cast<uint8_t>(ModelOp::Stats);

/// A ModelCall request: the call's id at rank 0 (the notes it causes name it), the operation,
/// the model (empty for Open and Stats) and the operation's arguments, encoded below.
struct ModelCallHead {
    uint64_t id = 0;
    ModelOp op = ModelOp::Stats;
    std::string model;
    std::string arguments;
};
std::string encodeModelCall(const ModelCallHead& call);
ModelCallHead decodeModelCall(const std::string& bytes);

/// What a model's rank needs to make its Models (Open): the ModelContext that is not functions.
struct ModelOpening {
    std::set<std::string> served;  // the models made there
    std::filesystem::path workdir, inputDir;
    int64_t seed = 0;
    std::string homeSite, file;
    bool keepVersions = false;
    bool provenance = false;  // whether rank 0 records (the rank then records through it)
    int64_t run = 0;          // rank 0's open run: names the version files' folder
};
std::string encodeOpening(const ModelOpening& o);
ModelOpening decodeOpening(const std::string& bytes);

/// Infer's arguments.
std::string encodeInferArguments(const Value& x, int64_t version);
std::pair<Value, int64_t> decodeInferArguments(const std::string& bytes);
/// Accuracy's arguments.
std::string encodeItems(const std::vector<LabeledItem>& items);
std::vector<LabeledItem> decodeItems(const std::string& bytes);

/// Train's arguments: the request without its callbacks and buffer pointer. `until` crosses as
/// whether there is one (rank 0 evaluates it, asked by an Until note).
std::string encodeTraining(const TrainingRequest& r);
struct DecodedTraining {
    TrainingRequest request;
    bool hasUntil = false;
};
DecodedTraining decodeTraining(const std::string& bytes);

/// How a call ended at the model's rank: its answer, or the error it threw.
enum class ModelStatus : uint8_t { Ok, ModelError, Failed };
std::string encodeModelReply(ModelStatus status, const std::string& bytes);
std::pair<ModelStatus, std::string> decodeModelReply(const std::string& bytes);

std::string encodeInference(const Inference& i);
Inference decodeInference(const std::string& bytes);
std::string encodeTrainingResult(const TrainingResult& r);
TrainingResult decodeTrainingResult(const std::string& bytes);
std::string encodeNumber(int64_t n);
int64_t decodeNumber(const std::string& bytes);
std::string encodeReal(double d);
double decodeReal(const std::string& bytes);

/// One thing a model's rank tells rank 0 during a call (a ModelEffect holds several, in order).
struct ModelNote {
    enum class Kind : uint8_t {
        Entity, StartActivity, EndActivity, Used, Generated, DerivedFrom, Decision, ModelVersion,  // prov::Capture
        Report,      // ModelContext::report
        ReportItem,  // TrainingRequest::reportItem, or accuracy's, of call `call`
        Until,       // TrainingRequest::policy.until of call `call`: answered 1 or 0
    };
    Kind kind = Kind::Report;
    prov::EntityRecord entity;         // Entity
    prov::ActivityRecord activity;     // StartActivity
    prov::DecisionRecord decision;     // Decision
    prov::ModelVersionRecord version;  // ModelVersion
    // EndActivity: activity; Used: activity, entity; Generated: entity, activity;
    // DerivedFrom: entity, from, activity.
    int64_t ids[3] = {-1, -1, -1};
    std::string text;    // EndActivity: the status; Used: the role; Report, ReportItem: the message
    std::string detail;  // EndActivity: the error
    uint64_t call = 0;   // ReportItem, Until
    double accuracy = 0, loss = 0;  // Until
    int64_t epoch = 0;              // Until
};
inline constexpr uint8_t kLastNoteKind = static_cast<uint8_t>(ModelNote::Kind::Until);
std::string encodeNotes(const std::vector<ModelNote>& notes);
std::vector<ModelNote> decodeNotes(const std::string& bytes);

}  // namespace xdml::runtime::distributed
