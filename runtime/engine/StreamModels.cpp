// StreamModels.cpp — what a stream keeps for models: the delivered items that `train` and
// `accuracy` read (and when trained ones are let go), and the per-model rehearsal buffers
// (StreamRuntime.h). The inference behind a classified type is ItemTypes.h's.
#include "runtime/engine/StreamRuntime.h"

#include "runtime/interp/Evaluate.h"

namespace xdml::runtime {

void StreamRuntime::keep(const DatumPtr& item) {
    std::lock_guard lock(itemsMutex_);
    items_.push_back(item);
}

std::vector<DatumPtr> StreamRuntime::untrained(const std::string& model, int64_t lastSeq, int64_t& end) {
    std::lock_guard lock(itemsMutex_);
    end = std::max(trainedUpTo_[model], itemsDropped_);
    std::vector<DatumPtr> out;
    while (end - itemsDropped_ < static_cast<int64_t>(items_.size())) {
        const DatumPtr& d = items_[static_cast<std::size_t>(end - itemsDropped_)];
        if (d->seq > lastSeq) break;
        out.push_back(d);
        ++end;
    }
    return out;
}

void StreamRuntime::trained(const std::string& model, int64_t end) {
    std::lock_guard lock(itemsMutex_);
    int64_t& next = trainedUpTo_[model];
    next = std::max(next, end);
    // Items every training model has trained on are let go, unless `accuracy` scores them.
    if (modelUse_.scored) return;
    int64_t lowest = next;
    for (const std::string& m : modelUse_.trainedModels) {
        auto it = trainedUpTo_.find(m);
        lowest = std::min(lowest, it == trainedUpTo_.end() ? itemsDropped_ : it->second);
    }
    while (itemsDropped_ < lowest && !items_.empty()) {
        items_.pop_front();
        ++itemsDropped_;
    }
}

std::mutex& StreamRuntime::trainingMutex(const std::string& model) {
    std::lock_guard lock(rehearsalMutex_);
    auto& m = training_[model];
    if (!m) m = std::make_unique<std::mutex>();
    return *m;
}

std::vector<DatumPtr> StreamRuntime::delivered() {
    std::lock_guard lock(itemsMutex_);
    return {items_.begin(), items_.end()};
}

std::optional<RehearsalConfig> StreamRuntime::rehearsalConfig(const std::string& model) {
    if (decl_.rehearse.empty()) return std::nullopt;
    Evaluator ev(run_.program());
    auto property = [&](const char* key) -> std::optional<Value> {
        auto it = decl_.rehearse.find(key);
        if (it == decl_.rehearse.end()) return std::nullopt;
        return ev.evaluate(it->second, Scope());
    };
    RehearsalConfig config;
    config.stream = decl_.name + "." + model;  // names the spill file
    if (auto v = property("capacity"); v && v->is(Value::Kind::Int)) config.capacity = v->asInt();
    if (auto v = property("select"); v && v->is(Value::Kind::String)) config.select = parseSelection(v->asString());
    if (auto v = property("memory"); v && v->is(Value::Kind::Quantity))
        config.memoryBytes = static_cast<uint64_t>(std::max(1.0, v->asQuantity().value));
    config.spillDir = run_.resolve("rehearsal");
    if (auto v = property("spill"); v && v->is(Value::Kind::String)) config.spillDir = run_.resolve(v->asString());
    // The run's seed and the stream's name, FNV-1a: the same buffer on every machine.
    uint64_t seed = 1469598103934665603ull ^ static_cast<uint64_t>(run_.options().seed);
    for (unsigned char c : config.stream) seed = (seed ^ c) * 1099511628211ull;
    config.seed = seed;
    return config;
}

RehearsalBuffer* StreamRuntime::rehearsal(const std::string& model, std::size_t rowFloats) {
    if (decl_.rehearse.empty()) return nullptr;
    std::lock_guard lock(rehearsalMutex_);
    std::unique_ptr<RehearsalBuffer>& buffer = rehearsal_[model];
    if (buffer) return buffer.get();
    const RehearsalConfig config = *rehearsalConfig(model);
    try {
        buffer = std::make_unique<RehearsalBuffer>(config, rowFloats);
    } catch (const std::exception& e) {  // a capacity too large for this machine, say
        throw EvalError("the rehearsal buffer of stream " + decl_.name + " (capacity " + std::to_string(config.capacity) +
                        " items of " + std::to_string(rowFloats * sizeof(float)) + " bytes) cannot be made: " + e.what());
    }
    return buffer.get();
}

}  // namespace xdml::runtime
