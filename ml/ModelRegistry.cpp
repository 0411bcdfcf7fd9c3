// ModelRegistry.cpp — see ModelRegistry.h. Training is in ModelTraining.cpp.
#include "ml/ModelRegistry.h"

#include "ml/Rows.h"
#include "ml/Trainer.h"
#include "runtime/provenance/ContentHash.h"
#include "runtime/provenance/Kinds.h"
#include "runtime/provenance/Capture.h"

#include <algorithm>

namespace xdml::ml {

using runtime::ModelError;

ModelRegistry::ModelRegistry(const runtime::Program& program, runtime::ModelContext context)
    : context_(std::move(context)) {
    Network::configureThreads();
    for (const auto& [name, json] : program.models().items()) {
        if (!context_.served.empty() && !context_.served.count(name)) continue;  // made at another rank
        auto m = std::make_unique<Model>();
        try {
            m->spec = ModelSpec::fromProgram(name, program);
            if (m->spec.site.empty()) m->spec.site = context_.homeSite;
            if (m->spec.arch == Architecture::Load) {
                std::filesystem::path file = m->spec.file;
                if (file.is_relative()) file = (context_.inputDir.empty() ? context_.workdir : context_.inputDir) / file;
                std::shared_ptr<const Network> net = Network::load(file, m->spec);
                publish(*m, keep(*m, std::move(net), 0, nullptr, -1, nlohmann::json::object(), nullptr, nullptr));
            } else {
                std::shared_ptr<const Network> net = Network::create(m->spec, deriveSeed(static_cast<uint64_t>(context_.seed), name));
                publish(*m, keep(*m, std::move(net), 0, nullptr, -1, nlohmann::json::object(), nullptr, nullptr));
            }
        } catch (const std::exception& e) {
            m->spec.name = name;
            m->spec.line = ModelSpec::declarationLine(name, program);
            m->unavailable = e.what();
            if (context_.report)
                context_.report(context_.file + ":" + std::to_string(m->spec.line) + ": model " + name +
                                " cannot be used: " + e.what());
        }
        models_.emplace(name, std::move(m));
    }
}

ModelRegistry::Model& ModelRegistry::model(const std::string& name) {
    auto it = models_.find(name);
    if (it == models_.end()) throw ModelError("no model named '" + name + "'");
    if (!it->second->unavailable.empty())
        throw ModelError("model " + name + " cannot be used: " + it->second->unavailable);
    return *it->second;
}

std::shared_ptr<const ModelRegistry::Version> ModelRegistry::current(Model& m) {
    std::lock_guard lock(m.mutex);
    return m.current;
}

std::vector<std::function<void()>> ModelRegistry::publish(Model& m, std::shared_ptr<const Version> v) {
    m.current = v;
    std::vector<std::function<void()>> wakes;
    if (context_.keepVersions) {
        const int64_t number = v->number;
        const auto n = static_cast<std::size_t>(number);
        if (m.history.size() <= n) m.history.resize(n + 1);
        m.history[n] = std::move(v);
        m.versionMade.notify_all();
        // Versions come in order, but a wake for an older one is due too.
        const auto upTo = m.whenMade.upper_bound(number);
        for (auto it = m.whenMade.begin(); it != upTo; ++it) wakes.push_back(std::move(it->second));
        m.whenMade.erase(m.whenMade.begin(), upTo);
    }
    return wakes;
}

bool ModelRegistry::whenVersionMade(const std::string& name, int64_t version, std::function<void()> made) {
    auto it = models_.find(name);
    if (!context_.keepVersions || version < 0 || it == models_.end() || !it->second->unavailable.empty()) return true;
    Model& m = *it->second;
    std::lock_guard lock(m.mutex);
    const auto n = static_cast<std::size_t>(version);
    if (n < m.history.size() && m.history[n]) return true;
    m.whenMade.emplace(version, std::move(made));
    return false;
}

std::shared_ptr<const ModelRegistry::Version> ModelRegistry::pinned(Model& m, int64_t number) {
    std::unique_lock lock(m.mutex);
    const auto n = static_cast<std::size_t>(number);
    auto ready = [&] { return n < m.history.size() && m.history[n]; };
    // The replay trains the same versions in the same order; one the recorded run had already
    // may still be training here.
    if (!m.versionMade.wait_for(lock, std::chrono::seconds(60), ready)) {
        auto v = m.current;
        lock.unlock();
        if (context_.report)
            context_.report("model " + m.spec.name + ": version " + std::to_string(number) +
                            ", which the recorded run used here, was not trained in the replay within a minute; "
                            "version " + std::to_string(v->number) + " answered");
        return v;
    }
    return m.history[n];
}

std::shared_ptr<const ModelRegistry::Version> ModelRegistry::keep(Model& m, std::shared_ptr<const Network> net,
                                                                  int64_t number, const Version* parent,
                                                                  int64_t activity, const nlohmann::json& metrics,
                                                                  const nlohmann::json& items,
                                                                  const nlohmann::json& snapshot) {
    auto v = std::make_shared<Version>();
    v->number = number;
    v->net = std::move(net);
    if (m.spec.arch == Architecture::Load && number == 0) {
        v->file = m.spec.file;
        if (v->file.is_relative()) v->file = (context_.inputDir.empty() ? context_.workdir : context_.inputDir) / v->file;
    } else {
        // One folder per run: a work directory used again never overwrites the files an earlier
        // run's provenance names (nor one a `load` reads).
        const int64_t run = context_.store ? context_.store->runId() : 0;
        const auto dir = context_.workdir / "models" / m.spec.name / ("run" + std::to_string(run));
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) throw ModelError("cannot create " + dir.string() + ": " + ec.message());
        v->file = dir / ("v" + std::to_string(number) + ".pt");
        try {
            v->net->save(v->file);
        } catch (const std::exception& e) {
            throw ModelError("cannot save version " + std::to_string(number) + " of model " + m.spec.name + " to " +
                             v->file.string() + ": " + e.what());
        }
    }
    if (runtime::prov::Capture* store = context_.store) {
        std::error_code ec;
        runtime::prov::EntityRecord e;
        e.kind = runtime::prov::entity_kind::model_version;
        e.label = m.spec.name;
        e.type = "model " + m.spec.archText() + " v" + std::to_string(number);
        e.site = m.spec.site;
        e.path = v->file.string();
        e.bytes = static_cast<int64_t>(std::filesystem::file_size(v->file, ec));
        e.hash = runtime::prov::contentHashOfFile(v->file);
        v->entity = store->entity(e);
        if (activity > 0) store->generated(v->entity, activity);
        if (parent) store->derivedFrom(v->entity, parent->entity, activity);
        runtime::prov::ModelVersionRecord r;
        r.model = m.spec.name;
        r.version = number;
        r.parent = parent ? parent->row : -1;
        r.entity = v->entity;
        r.metricsJson = metrics.dump();
        if (!items.is_null()) r.itemsJson = items.dump();
        if (!snapshot.is_null()) r.snapshot = snapshot.dump();
        v->row = store->modelVersion(r);
    }
    return v;
}

runtime::Inference ModelRegistry::infer(const std::string& name, const runtime::Value& x, int64_t version) {
    Model& m = model(name);
    std::vector<float> row;
    appendRow(x, m.spec, row);
    const auto v = version >= 0 && context_.keepVersions ? pinned(m, version) : current(m);
    runtime::Inference out;
    out.probabilities.resize(m.spec.classes.size());
    v->net->probabilities(row.data(), 1, out.probabilities.data());
    out.classIndex = std::max_element(out.probabilities.begin(), out.probabilities.end()) - out.probabilities.begin();
    out.className = m.spec.classes[static_cast<std::size_t>(out.classIndex)];
    out.version = v->number;
    out.versionRow = v->row;
    out.versionEntity = v->entity;
    std::lock_guard lock(m.mutex);
    m.figures.inferences++;
    return out;
}

int64_t ModelRegistry::version(const std::string& name) {
    return current(model(name))->number;
}

double ModelRegistry::accuracy(const std::string& name, const std::vector<runtime::LabeledItem>& items,
                               const std::function<void(const std::string&)>& reportItem) {
    Model& m = model(name);
    const auto v = current(m);
    constexpr std::size_t kChunk = 1024;  // bounds the memory of one forward pass
    int64_t correct = 0, scored = 0;
    for (std::size_t first = 0; first < items.size(); first += kChunk) {
        std::vector<runtime::LabeledItem> chunk(items.begin() + static_cast<std::ptrdiff_t>(first),
                                                items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), first + kChunk)));
        const LabeledRows rows = labeledRows(chunk, m.spec, "", reportItem);
        correct += v->net->score(rows.rows.data(), rows.labels.data(), rows.size()).correct;
        scored += static_cast<int64_t>(rows.size());
    }
    if (scored == 0) throw ModelError("accuracy of model " + name + ": no items to score");
    return static_cast<double>(correct) / static_cast<double>(scored);
}

std::string ModelRegistry::statsJson() {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [name, m] : models_) {
        nlohmann::json j;
        if (!m->unavailable.empty()) {
            j["unavailable"] = m->unavailable;
            out[name] = j;
            continue;
        }
        std::lock_guard lock(m->mutex);
        const Figures& f = m->figures;
        j = {{"arch", m->spec.archText()},
             {"version", m->current->number},
             {"file", m->current->file.string()},
             {"trainings", f.trainings},
             {"trained_items", f.items},
             {"rehearsed_items", f.rehearsed},
             {"inferences", f.inferences},
             {"train_seconds", f.seconds},
             {"step_seconds", f.stepSeconds},
             {"buffer_seconds", f.bufferSeconds},
             {"buffer_share_of_step", f.stepSeconds > 0 ? f.bufferSeconds / f.stepSeconds : 0.0},
             {"last_training", f.last}};
        out[name] = j;
    }
    return out.dump();
}

}  // namespace xdml::ml
