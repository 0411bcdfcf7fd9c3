// Trainer.h — one training of one network (LANGUAGE.md §5): the held-out split, epochs of
// shuffled mini-batches, each topped up with items rehearsed from the stream's buffer,
// until the `until` condition holds or `max_epochs` is reached; enterBuffer() then offers the
// trained items to the buffer, once the caller has kept the version. Mini-batches are assembled on a second thread one step ahead of the optimizer
// (double-buffered), so drawing from the buffer, even from its spill file, overlaps training.
#pragma once

#include "ml/Network.h"
#include "ml/Rows.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace xdml::runtime {
class RehearsalBuffer;
}

namespace xdml::ml {

struct TrainingPlan {
    runtime::TrainingPolicy policy;
    runtime::RehearsalBuffer* buffer = nullptr;
    double mix = 0;
    uint64_t seed = 0;
    std::function<bool()> stopping;  // checked after every step
};

struct TrainingOutcome {
    int64_t epochs = 0, rehearsed = 0;
    double accuracy = 0, loss = 0;  // on the held-out items after the last epoch
    std::string stopReason;
    double seconds = 0, stepSeconds = 0, bufferSeconds = 0;
    std::vector<int64_t> trainEntities, heldOutEntities;
    std::vector<std::size_t> trainRows;  // the rows of the data trained on, in stream order
    std::string bufferProblem;  // the trained items could not all enter the buffer (a spill failure)
};

/// Rehearsed items for a mini-batch of `newItems` new ones, so that a fraction `mix` of the
/// mixed batch is rehearsed: newItems·mix/(1−mix), rounded, at most `capacity`; `mix` counts
/// as at most 0.99 (docs/ml.md).
int64_t rehearsedPerBatch(int64_t newItems, double mix, int64_t capacity);

/// Trains `net` in place on `data`. The `until` callback may throw (an EvalError of the
/// condition): the training then stops and the exception reaches the caller.
TrainingOutcome trainNetwork(Network& net, const ModelSpec& spec, const LabeledRows& data, const TrainingPlan& plan);

/// An item enters the buffer once it has been trained on: offers the rows `outcome` trained
/// on, in stream order, once the version they made is kept. A spill failure is put in
/// outcome.bufferProblem (the items before it stay offered).
void enterBuffer(runtime::RehearsalBuffer& buffer, const LabeledRows& data, std::size_t width, TrainingOutcome& outcome);

/// A seed derived from another and a name or number (splitmix64 over the bytes): per model,
/// per version, per epoch, the same on every machine.
uint64_t deriveSeed(uint64_t seed, std::string_view salt);
uint64_t deriveSeed(uint64_t seed, uint64_t salt);

}  // namespace xdml::ml
