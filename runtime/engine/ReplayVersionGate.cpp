// ReplayVersionGate.cpp — see ReplayVersionGate.h.
#include "runtime/engine/ReplayVersionGate.h"

#include "runtime/engine/ModelUses.h"

#include <utility>

namespace xdml::runtime {

ReplayVersionGate::ReplayVersionGate(const ReplayLog* log, const Program& program, Models* models)
    : log_(log), program_(program), models_(models) {
    if (!log_ || !models_) return;
    for (const auto& [name, spec] : program.models().items()) modelNames_.push_back(name);
}

void ReplayVersionGate::addHandler(int handler, const std::vector<Stmt>& body) {
    if (modelNames_.empty()) return;
    if (std::set<std::string> trained = modelsTrainedBy(body, program_); !trained.empty())
        trainedBy_[handler] = std::move(trained);
}

FiringQueue::Gate ReplayVersionGate::gateOf(int handler, int64_t seq) const {
    if (modelNames_.empty() || seq < 0) return {};
    const auto trains = trainedBy_.find(handler);
    std::vector<std::pair<std::string, int64_t>> needs;
    for (const std::string& model : modelNames_) {
        int64_t version = log_->modelVersion(model, handler, seq);
        // A firing that trains the model may have used the version it made itself: it can
        // start once the one before is there (infer() waits for its own, if it must).
        if (version > 0 && trains != trainedBy_.end() && trains->second.count(model)) --version;
        if (version > 0) needs.emplace_back(model, version);  // version 0 is there from the start
    }
    if (needs.empty()) return {};
    return [models = models_, needs = std::move(needs)](std::function<void()> wake) {
        for (const auto& [model, version] : needs)
            if (!models->whenVersionMade(model, version, wake)) return false;
        return true;
    };
}

}  // namespace xdml::runtime
