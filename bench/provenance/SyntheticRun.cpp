// SyntheticRun.cpp — the capture calls of a synthetic beamline run, in the order and with the
// rows the runtime writes them (docs/provenance.md, "What `xdmlc run` records"), and their timing.
#include "SyntheticRun.h"

#include "runtime/engine/ItemTypes.h"
#include "runtime/values/Text.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace xdml::bench {
namespace {

namespace prov = runtime::prov;
using Clock = std::chrono::steady_clock;

const std::string kSite = "beamline";
const std::string kStream = "frames", kHotType = "Hot";
const std::string kOk(prov::activity_status::ok);
// Roles are made once: a literal would build a std::string inside the timed calls.
const std::string kItemRole = "item", kModelRole = "model", kPeaksRole = "peaks", kParentRole = "parent",
                  kTrainRole = "train";
const std::string kHandlerPolicy = R"({"deadline_ms": 50, "retries": 1})";

int64_t chainsAmong(int64_t items) {
    const int64_t first = RunShape::kChainEvery / 2;
    return items > first ? (items - first - 1) / RunShape::kChainEvery + 1 : 0;
}

/// What derived content hashes from: the bytes of a value are a function of what it was made from.
uint64_t deriveHash(uint64_t from, uint64_t step) {
    const uint64_t words[2] = {from, step};
    return prov::xxh64(words, sizeof words);
}

constexpr uint64_t kPeaksStep = 0x5045414b53ULL;    // "PEAKS"
constexpr uint64_t kWeightsSalt = 0x574549474854ULL;  // "WEIGHT"

/// Times the capture calls of one task: as a whole, or call by call for the breakdown (a clock
/// read between calls costs about as much as a call, so only a sample of tasks does that).
class TaskClock {
public:
    TaskClock(CaptureTimings& timings, bool callByCall)
        : timings_(timings), callByCall_(callByCall), start_(Clock::now()), last_(start_) {}

    void lap(CaptureCall call) {
        if (!callByCall_) return;
        const auto now = Clock::now();
        const auto i = static_cast<std::size_t>(call);
        timings_.callNanos[i] += static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_).count());
        ++timings_.calls[i];
        last_ = now;
    }
    /// The task's whole time joins `samples`, unless it was timed call by call.
    void finish(std::vector<uint32_t>& samples) const {
        if (callByCall_) return;
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
        samples.push_back(static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
    }

private:
    CaptureTimings& timings_;
    bool callByCall_;
    Clock::time_point start_, last_;
};

class RunCapture {
public:
    RunCapture(prov::Store& store, const RunShape& shape, const RunOptions& options)
        : store_(store), shape_(shape), options_(options) {}

    CapturedRun capture() {
        const prov::CaptureCounters before = store_.counters();
        const std::string script = "flow beamline { ... }  // bench_provenance's synthetic run";
        out_.run = store_.beginRun({.flow = "beamline",
                                    .scriptPath = "bench/provenance/beamline.xdml",
                                    .scriptHash = prov::contentHash(script.data(), script.size()),
                                    .arguments = "--frames " + std::to_string(shape_.items),
                                    .seed = 7});
        out_.itemIds.reserve(static_cast<std::size_t>(shape_.items));
        out_.chains.reserve(static_cast<std::size_t>(shape_.chains));
        out_.timings.stepTask.reserve(static_cast<std::size_t>(shape_.chains * RunShape::kChainSteps));
        out_.timings.handlerTask.reserve(static_cast<std::size_t>(shape_.items));
        const int64_t sampleEvery = std::max<int64_t>(1, shape_.items / 64);

        start_ = Clock::now();
        versionZero();
        int64_t version = 0;
        for (int64_t seq = 0; seq < shape_.items; ++seq) {
            const uint64_t itemHash = frameHash(seq);
            const int64_t item = frame(seq, itemHash);
            const int64_t value = fire(seq, item, itemHash, version);
            notFired(seq, item);
            if (seq % sampleEvery == 0 && version > 0) out_.inferences.push_back({value, modelRow_, version});
            if (RunShape::chained(seq)) refine(item, value, deriveHash(itemHash, kPeaksStep));
            if ((seq + 1) % shape_.trainingSpan == 0 && version < shape_.versions) train(++version, seq);
            pace();
        }
        const auto captured = Clock::now();
        out_.versions = version;
        store_.flush();
        const auto durable = Clock::now();
        out_.captureSeconds = std::chrono::duration<double>(captured - start_).count();
        out_.durableSeconds = std::chrono::duration<double>(durable - start_).count();

        const prov::CaptureCounters after = store_.counters();
        out_.stalls = after.stalls - before.stalls;
        const auto committed = static_cast<int64_t>(after.records - before.records);
        if (committed != out_.records || after.lost != before.lost)
            throw std::runtime_error("run " + std::to_string(out_.run) + ": " + std::to_string(out_.records) +
                                     " records captured, but the store committed " + std::to_string(committed) +
                                     " and lost " + std::to_string(after.lost - before.lost));
        store_.endRun(std::string(prov::run_status::complete),
                      R"({"records": )" + std::to_string(out_.records) + R"(, "entities": )" +
                          std::to_string(out_.entities) + "}");
        return std::move(out_);
    }

private:
    uint64_t frameHash(int64_t seq) const {
        // 64 distinct bytes per frame: its sequence number spread over eight words.
        uint64_t words[8];
        for (uint64_t i = 0; i < 8; ++i) words[i] = static_cast<uint64_t>(seq) * 0x9E3779B97F4A7C15ULL + i;
        if (seq == options_.alteredSeq) words[3] ^= 1;  // one bit of one frame differs
        return prov::xxh64(words, sizeof words);
    }

    int64_t frame(int64_t seq, uint64_t hash) {
        const int64_t id = store_.entity({.kind = std::string(prov::entity_kind::item),
                                          .label = "frames",
                                          .type = "Frame",
                                          .hash = prov::hashHex(hash),
                                          .site = kSite,
                                          .stream = "frames",
                                          .bytes = 4 << 20,
                                          .seq = seq});
        ++out_.records;
        ++out_.entities;
        out_.itemIds.push_back(id);
        return id;
    }

    /// The handler's firing on frame `seq`: classified by the current model, its peaks found.
    int64_t fire(int64_t seq, int64_t item, uint64_t itemHash, int64_t version) {
        prov::ActivityRecord activity{.kind = std::string(prov::activity_kind::handler),
                                      .name = "find_peaks",
                                      .site = kSite,
                                      .policyJson = kHandlerPolicy,
                                      .handler = 0,
                                      .line = 42};
        prov::EntityRecord peaks{.kind = std::string(prov::entity_kind::value),
                                 .label = "peaks",
                                 .type = "Peaks",
                                 .hash = prov::hashHex(deriveHash(itemHash, kPeaksStep)),
                                 .site = kSite,
                                 .bytes = 512};
        const bool hit = seq % 3 == 0;
        const int permille = 600 + static_cast<int>(seq % 400);
        char reason[160], inputs[160];
        std::snprintf(reason, sizeof reason,
                      "model peaks version %lld classified item %lld of frames as \"%s\" (probability 0.%03d)",
                      static_cast<long long>(version), static_cast<long long>(seq), hit ? "hit" : "blank", permille);
        std::snprintf(inputs, sizeof inputs, R"({"model": "peaks", "version": %lld, "probabilities": [0.%03d, 0.%03d]})",
                      static_cast<long long>(version), hit ? permille : 1000 - permille, hit ? 1000 - permille : permille);
        prov::DecisionRecord inferred{.kind = std::string(prov::decision_kind::inferred_type),
                                      .subject = prov::subjectOfEntity(item),
                                      .choice = hit ? "hit" : "blank",
                                      .reason = reason,
                                      .inputsJson = inputs,
                                      .modelVersion = modelRow_};

        TaskClock clock(out_.timings, timedCallByCall());
        const int64_t a = store_.startActivity(std::move(activity));
        clock.lap(CaptureCall::StartActivity);
        store_.used(a, item, kItemRole);
        clock.lap(CaptureCall::Used);
        store_.used(a, modelEntity_, kModelRole);
        clock.lap(CaptureCall::Used);
        const int64_t value = store_.entity(std::move(peaks));
        clock.lap(CaptureCall::Entity);
        store_.generated(value, a);
        clock.lap(CaptureCall::Generated);
        store_.derivedFrom(value, item, a);
        clock.lap(CaptureCall::DerivedFrom);
        store_.decision(std::move(inferred));
        clock.lap(CaptureCall::Decision);
        store_.endActivity(a, kOk);
        clock.lap(CaptureCall::EndActivity);
        clock.finish(out_.timings.handlerTask);
        out_.records += 8;
        ++out_.entities;
        return value;
    }

    /// A second handler's `where` type that the frame is not: the decision that says so, built
    /// and captured as ItemTypes does, its explanation's number formatted as the run formats it.
    /// Sampled as ItemTypes samples: the first of each block of items one by one, the rest
    /// counted, the count one decision when the block is over.
    void notFired(int64_t seq, int64_t item) {
        using xdml::runtime::ItemTypes;
        const auto start = Clock::now();
        const bool inFull = seq % ItemTypes::kTestBlock < ItemTypes::kTestsInFull;
        if (inFull) {
            char value[32];
            std::snprintf(value, sizeof value, "%.6g", 3.0 + static_cast<double>(seq % 1000) / 1000);
            store_.decision(xdml::runtime::typeTestDecision(item, seq, kStream, kHotType, false,
                                                            std::string("max(it) = ") + value + ", not > 10.0"));
            ++out_.records;
        } else if (++counted_, seq % ItemTypes::kTestBlock == ItemTypes::kTestBlock - 1) {
            store_.decision({std::string(prov::decision_kind::type_test), "stream:" + kStream, "not " + kHotType,
                             std::to_string(counted_) + " more items of frames were not a Hot", "{}", -1});
            counted_ = 0;
            ++out_.records;
        }
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
        const auto sample = static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX));
        out_.timings.notFired.push_back(sample);
        if (inFull) out_.timings.notFiredInFull.push_back(sample);
    }

    /// Ten tasks, each using the value before it and deriving the next: the last is a record.
    void refine(int64_t item, int64_t peaks, uint64_t hash) {
        Chain chain;
        chain.item = item;
        chain.values[0] = peaks;
        for (int step = 1; step <= RunShape::kChainSteps; ++step) {
            const bool last = step == RunShape::kChainSteps;
            hash = deriveHash(hash, static_cast<uint64_t>(step));
            prov::ActivityRecord activity{.kind = std::string(prov::activity_kind::task),
                                          .name = "refine",
                                          .site = kSite,
                                          .line = 57};
            prov::EntityRecord made{.kind = std::string(last ? prov::entity_kind::record : prov::entity_kind::value),
                                    .label = last ? "hits" : "refined",
                                    .type = last ? "Hit" : "Peaks",
                                    .hash = prov::hashHex(hash),
                                    .site = kSite,
                                    .bytes = 512};
            const int64_t from = chain.values[static_cast<std::size_t>(step - 1)];

            TaskClock clock(out_.timings, timedCallByCall());
            const int64_t a = store_.startActivity(std::move(activity));
            clock.lap(CaptureCall::StartActivity);
            store_.used(a, from, kPeaksRole);
            clock.lap(CaptureCall::Used);
            const int64_t id = store_.entity(std::move(made));
            clock.lap(CaptureCall::Entity);
            store_.generated(id, a);
            clock.lap(CaptureCall::Generated);
            store_.derivedFrom(id, from, a);
            clock.lap(CaptureCall::DerivedFrom);
            store_.endActivity(a, kOk);
            clock.lap(CaptureCall::EndActivity);
            clock.finish(out_.timings.stepTask);
            out_.records += 6;
            ++out_.entities;
            chain.values[static_cast<std::size_t>(step)] = id;
        }
        out_.chains.push_back(chain);
    }

    prov::EntityRecord weights(int64_t version) const {
        return {.kind = std::string(prov::entity_kind::model_version),
                .label = "peaks",
                .type = "model mlp 64-128-2 v" + std::to_string(version),
                .hash = prov::hashHex(deriveHash(kWeightsSalt, static_cast<uint64_t>(version))),
                .site = kSite,
                .path = "models/peaks/run" + std::to_string(out_.run) + "/v" + std::to_string(version) + ".pt",
                .bytes = 67336};
    }

    /// The untrained start, as the runtime records it before the first training.
    void versionZero() {
        modelEntity_ = store_.entity(weights(0));
        modelRow_ = store_.modelVersion({.model = "peaks", .version = 0, .entity = modelEntity_, .metricsJson = "{}"});
        out_.records += 2;
        ++out_.entities;
    }

    /// Version `version`, trained from the current one on four recent frames up to `lastSeq`.
    void train(int64_t version, int64_t lastSeq) {
        std::vector<int64_t> items;
        for (int64_t seq = lastSeq; seq >= 0 && items.size() < RunShape::kItemsPerTraining; --seq)
            if (!RunShape::chained(seq)) items.push_back(out_.itemIds[static_cast<std::size_t>(seq)]);
        const int64_t a = store_.startActivity({.kind = std::string(prov::activity_kind::training),
                                                .name = "train peaks on frames (version " + std::to_string(version) + ")",
                                                .site = kSite,
                                                .line = 30});
        store_.used(a, modelEntity_, kParentRole);
        for (int64_t item : items) store_.used(a, item, kTrainRole);
        const int64_t entity = store_.entity(weights(version));
        store_.generated(entity, a);
        store_.derivedFrom(entity, modelEntity_, a);
        const std::string trained = "[[" + std::to_string(items.back()) + ", " + std::to_string(items.front()) + "]]";
        const int64_t row = store_.modelVersion({.model = "peaks",
                                                 .version = version,
                                                 .parent = modelRow_,
                                                 .entity = entity,
                                                 .metricsJson = R"({"accuracy": 0.94, "loss": 0.043, "epochs": 3})",
                                                 .itemsJson = R"({"stream": "frames", "train": )" + trained + "}"});
        store_.decision({.kind = std::string(prov::decision_kind::train_stop),
                         .subject = prov::subjectOfActivity(a),
                         .choice = "stop after epoch 3",
                         .reason = "loss 0.043 reached the target 0.05",
                         .inputsJson = R"({"loss": 0.043, "epoch": 3, "max_epochs": 10})",
                         .modelVersion = row});
        store_.endActivity(a, kOk);
        out_.records += 8 + static_cast<int64_t>(items.size());
        ++out_.entities;
        out_.trainedItems.insert(out_.trainedItems.end(), items.begin(), items.end());
        modelEntity_ = entity;
        modelRow_ = row;
    }

    int64_t counted_ = 0;  // failed type tests counted in the current block
    bool timedCallByCall() { return ++tasks_ % options_.callTimingEvery == 0; }

    /// Holds the capture to `pacePerSecond`, so the writer keeps up and capture never waits for it.
    void pace() {
        if (options_.pacePerSecond <= 0) return;
        const auto due = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                      static_cast<double>(out_.records) / options_.pacePerSecond));
        if (Clock::now() < due) std::this_thread::sleep_until(due);
    }

    prov::Store& store_;
    const RunShape& shape_;
    const RunOptions& options_;
    CapturedRun out_;
    Clock::time_point start_;
    int64_t modelEntity_ = -1, modelRow_ = -1;
    int64_t tasks_ = 0;
};

}  // namespace

const char* captureCallName(CaptureCall call) {
    switch (call) {
        case CaptureCall::StartActivity: return "startActivity";
        case CaptureCall::Used: return "used";
        case CaptureCall::Entity: return "entity";
        case CaptureCall::Generated: return "generated";
        case CaptureCall::DerivedFrom: return "derivedFrom";
        case CaptureCall::Decision: return "decision";
        case CaptureCall::EndActivity: return "endActivity";
        case CaptureCall::Count: break;
    }
    return "?";
}

RunShape shapeFor(int64_t entities, int64_t versions) {
    if (versions < 1) throw std::invalid_argument("--versions must be at least 1");
    RunShape s;
    s.versions = versions;
    const int64_t budget = entities - versions - RunShape::kModelRows;
    auto cost = [](int64_t items) { return 2 * items + RunShape::kChainSteps * chainsAmong(items); };
    int64_t items = std::max<int64_t>(0, budget) * RunShape::kChainEvery / (2 * RunShape::kChainEvery + RunShape::kChainSteps);
    while (cost(items + 1) <= budget) ++items;
    while (items > 0 && cost(items) > budget) --items;
    s.items = items;
    s.chains = chainsAmong(items);
    // Each training needs a few frames of its own, and version 0 a span before the first one.
    s.trainingSpan = items / (versions + 1);
    const int64_t minSpan = 2 * RunShape::kItemsPerTraining;
    if (s.trainingSpan < minSpan || s.chains < 1) {
        const int64_t fewest = std::max<int64_t>((versions + 1) * minSpan, RunShape::kChainEvery / 2 + 1);
        throw std::invalid_argument("--entities " + std::to_string(entities) + " is too few for --versions " +
                                    std::to_string(versions) + ": " + std::to_string(items) +
                                    " frames, but each version needs " + std::to_string(minSpan) +
                                    " and the run a refinement chain (give at least " +
                                    std::to_string(cost(fewest) + versions + RunShape::kModelRows) +
                                    " entities, or fewer versions)");
    }
    return s;
}

CapturedRun captureRun(prov::Store& store, const RunShape& shape, const RunOptions& options) {
    return RunCapture(store, shape, options).capture();
}

}  // namespace xdml::bench
