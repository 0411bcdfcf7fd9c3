// SyntheticRun.h — a beamline run captured into a provenance store without running a flow: a
// stream of detector frames, a handler per frame that classifies it with the current version of
// a model and finds its peaks, a ten-step refinement chain for every 50th frame, and a model
// retrained at even intervals (1,000 versions at full size). It remembers the ids the queries
// of bench_provenance ask about and what each answer must be, and times the capture calls.
#pragma once

#include "runtime/provenance/Store.h"

#include <array>
#include <cstdint>
#include <vector>

namespace xdml::bench {

/// How many of each thing one run captures; shapeFor() sizes it to a number of entities.
struct RunShape {
    int64_t items = 0;           // frames on the stream
    int64_t chains = 0;          // frames whose peaks go through the refinement chain
    int64_t versions = 0;        // trained model versions (version 0, the untrained start, extra)
    int64_t trainingSpan = 0;    // frames between two trainings
    static constexpr int64_t kChainEvery = 50;   // every 50th frame is refined...
    static constexpr int kChainSteps = 10;       // ...by ten tasks, each deriving from the last
    static constexpr int kItemsPerTraining = 4;  // frames each training uses
    static constexpr int64_t kModelRows = 1;     // version 0: no training made it

    /// Entities per run: frames, one peaks value per frame, the chains' values, model versions.
    int64_t entities() const { return 2 * items + kChainSteps * chains + versions + kModelRows; }
    /// Whether frame `seq` is refined (never one that a training uses).
    static bool chained(int64_t seq) { return seq % kChainEvery == kChainEvery / 2; }
};

/// The shape with at most `entities` entities per run and `versions` trained versions; throws a
/// std::invalid_argument saying why when they do not fit together.
RunShape shapeFor(int64_t entities, int64_t versions);

/// What one run is asked to do.
struct RunOptions {
    int64_t alteredSeq = -1;    // the frame whose bytes differ from the other runs' (-1: none)
    double pacePerSecond = 0;   // records captured per second at most (0: as fast as possible)
    int callTimingEvery = 16;   // one task in this many is timed call by call, not as a whole
};

/// The capture calls a task makes, for the per-call breakdown.
enum class CaptureCall { StartActivity, Used, Entity, Generated, DerivedFrom, Decision, EndActivity, Count };
const char* captureCallName(CaptureCall call);

/// Nanoseconds spent in capture calls on the producing thread.
struct CaptureTimings {
    std::vector<uint32_t> stepTask;     // per refinement step: the six calls of a plain task
    std::vector<uint32_t> handlerTask;  // per handler firing with a model: eight calls
    std::vector<uint32_t> notFired;     // per frame: the type_test of a handler it did not fire, as sampled
    std::vector<uint32_t> notFiredInFull;  // those of them recorded one by one
    std::array<double, static_cast<int>(CaptureCall::Count)> callNanos{};  // call by call...
    std::array<int64_t, static_cast<int>(CaptureCall::Count)> calls{};    // ...in the sampled tasks
};

/// One refinement chain: the frame, its peaks value and the ten values made from it in turn.
struct Chain {
    int64_t item = 0;
    std::array<int64_t, RunShape::kChainSteps + 1> values{};  // [0] the peaks, [10] the last
};

/// A peaks value whose handler used a model version: what "produced by" must answer.
struct Inference {
    int64_t value = 0, modelRow = 0, version = 0;
};

struct CapturedRun {
    int64_t run = 0;
    int64_t records = 0;          // capture calls made (each is one record)
    int64_t entities = 0;
    int64_t versions = 0;         // trained versions (besides version 0)
    double captureSeconds = 0;    // from the first capture to the last
    double durableSeconds = 0;    // from the first capture until flush() returned
    uint64_t stalls = 0;          // captures that waited for the writer (backpressure)
    CaptureTimings timings;
    std::vector<int64_t> itemIds;  // by seq
    std::vector<Chain> chains;
    std::vector<Inference> inferences;  // a sample spread over the run
    std::vector<int64_t> trainedItems;  // frames some training used
};

/// Begins a run on `store`, captures it, flushes and ends it 'complete'. Throws a
/// ProvenanceError when the store does, and a std::runtime_error when the store committed a
/// different number of records than were captured.
CapturedRun captureRun(runtime::prov::Store& store, const RunShape& shape, const RunOptions& options);

}  // namespace xdml::bench
