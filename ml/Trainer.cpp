// Trainer.cpp — see Trainer.h.
#include "ml/Trainer.h"

#include "runtime/numerics/SplitMix.h"
#include "runtime/streams/BoundedQueue.h"
#include "runtime/streams/RehearsalBuffer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

namespace xdml::ml {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

/// A uniform integer in [0, n) from a 64-bit generator, by rejection: the same on every
/// standard library (std::uniform_int_distribution is not).
uint64_t below(std::mt19937_64& rng, uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng();
    while (x >= limit);
    return x % n;
}

void shuffle(std::vector<std::size_t>& v, std::mt19937_64& rng) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(rng, i)]);
}

/// One mixed mini-batch, ready for the optimizer.
struct Batch {
    std::vector<float> rows;
    std::vector<int64_t> labels;
    int64_t rehearsed = 0;
    bool endsEpoch = false;
    double bufferSeconds = 0;
};

}  // namespace

using runtime::splitmix64;

uint64_t deriveSeed(uint64_t seed, std::string_view salt) {
    uint64_t h = splitmix64(seed);
    for (unsigned char c : salt) h = splitmix64(h ^ c);
    return h;
}

uint64_t deriveSeed(uint64_t seed, uint64_t salt) {
    return splitmix64(splitmix64(seed) ^ salt);
}

int64_t rehearsedPerBatch(int64_t newItems, double mix, int64_t capacity) {
    if (mix <= 0) return 0;
    mix = std::min(mix, 0.99);  // `mix: 1` would leave no room for new items: 99 rehearsed to 1 new
    return std::min<int64_t>(capacity, std::llround(static_cast<double>(newItems) * mix / (1 - mix)));
}

TrainingOutcome trainNetwork(Network& net, const ModelSpec& spec, const LabeledRows& data, const TrainingPlan& plan) {
    const auto started = Clock::now();
    TrainingOutcome out;
    const std::size_t n = data.size(), width = static_cast<std::size_t>(spec.inputSize);
    const std::size_t batch = static_cast<std::size_t>(std::max<int64_t>(1, plan.policy.batch));

    // The held-out split: a seeded choice of round(n · validate) items, at least one when
    // there are two or more; with a single item, it is scored on itself.
    std::mt19937_64 rng(deriveSeed(plan.seed, "split"));
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    shuffle(order, rng);
    std::size_t heldOut = 0;
    if (plan.policy.validate > 0 && n >= 2)
        heldOut = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(static_cast<double>(n) * plan.policy.validate)), 1, n - 1);
    std::vector<std::size_t> held(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(heldOut));
    std::vector<std::size_t> train(order.begin() + static_cast<std::ptrdiff_t>(heldOut), order.end());
    std::sort(held.begin(), held.end());
    std::sort(train.begin(), train.end());  // stream order: the buffer sees items as they came
    LabeledRows scored;
    for (std::size_t i : held.empty() ? train : held) scored.append(data, i, width);
    out.trainRows = train;
    for (std::size_t i : train) out.trainEntities.push_back(data.entities[i]);
    for (std::size_t i : held) out.heldOutEntities.push_back(data.entities[i]);

    runtime::RehearsalBuffer* buffer = plan.buffer;
    const int64_t perBatch = buffer ? rehearsedPerBatch(static_cast<int64_t>(batch), plan.mix, buffer->capacity()) : 0;

    // The producer assembles batches one step ahead; a queue of one is the second buffer.
    runtime::BoundedQueue<Batch> ready(1);
    std::exception_ptr producerFailure;  // a spill file that cannot be read, say
    std::thread producer([&] {
      try {
        std::mt19937_64 order(deriveSeed(plan.seed, "epochs"));
        std::vector<float> drawn(static_cast<std::size_t>(perBatch) * width);
        std::vector<int64_t> drawnLabels(static_cast<std::size_t>(perBatch));
        for (int64_t epoch = 1; epoch <= plan.policy.maxEpochs; ++epoch) {
            std::vector<std::size_t> items = train;
            shuffle(items, order);
            for (std::size_t first = 0; first < items.size(); first += batch) {
                Batch b;
                const std::size_t last = std::min(items.size(), first + batch);
                b.rows.reserve((last - first + static_cast<std::size_t>(perBatch)) * width);
                for (std::size_t k = first; k < last; ++k) {
                    const float* row = data.rows.data() + items[k] * width;
                    b.rows.insert(b.rows.end(), row, row + width);
                    b.labels.push_back(data.labels[items[k]]);
                }
                // A short last batch gets fewer: every batch is rehearsed in the proportion mix.
                const int64_t wanted = buffer ? rehearsedPerBatch(static_cast<int64_t>(last - first), plan.mix, buffer->capacity()) : 0;
                if (wanted > 0) {
                    const auto t = Clock::now();
                    const uint64_t seed = deriveSeed(deriveSeed(plan.seed, static_cast<uint64_t>(epoch)), first);
                    const std::size_t got = buffer->draw(static_cast<std::size_t>(wanted), seed, drawn.data(),
                                                         drawnLabels.data(), nullptr);
                    b.rows.insert(b.rows.end(), drawn.begin(), drawn.begin() + static_cast<std::ptrdiff_t>(got * width));
                    b.labels.insert(b.labels.end(), drawnLabels.begin(), drawnLabels.begin() + static_cast<std::ptrdiff_t>(got));
                    b.rehearsed = static_cast<int64_t>(got);
                    b.bufferSeconds = secondsSince(t);
                }
                b.endsEpoch = last == items.size();
                if (!ready.push(std::move(b))) return;
            }
        }
      } catch (...) {
        producerFailure = std::current_exception();
      }
      ready.close();
    });
    struct Joiner {
        runtime::BoundedQueue<Batch>& queue;
        std::thread& thread;
        ~Joiner() {  // on every way out, exceptions included
            queue.close();
            if (thread.joinable()) thread.join();
        }
    } joiner{ready, producer};

    auto optimizer = net.optimizer(plan.policy.optimizer, plan.policy.lr);
    const double heldCount = static_cast<double>(scored.size());
    while (auto b = ready.pop()) {
        const auto t = Clock::now();
        optimizer->step(b->rows.data(), b->labels.data(), b->labels.size());
        out.stepSeconds += secondsSince(t);
        out.bufferSeconds += b->bufferSeconds;
        out.rehearsed += b->rehearsed;
        if (plan.stopping && plan.stopping()) {
            out.stopReason = "the run was stopped during epoch " + std::to_string(out.epochs + 1);
            break;
        }
        if (!b->endsEpoch) continue;
        ++out.epochs;
        const Score s = net.score(scored.rows.data(), scored.labels.data(), scored.size());
        out.accuracy = heldCount > 0 ? static_cast<double>(s.correct) / heldCount : 0;
        out.loss = s.loss;
        char figures[96];
        std::snprintf(figures, sizeof figures, "(accuracy %.4g, loss %.4g)", out.accuracy, out.loss);
        if (plan.policy.until && plan.policy.until(out.accuracy, out.loss, out.epochs)) {
            out.stopReason = "until " + plan.policy.untilText + " held after epoch " + std::to_string(out.epochs) + " " + std::string(figures);
            break;
        }
        if (out.epochs >= plan.policy.maxEpochs) {
            out.stopReason = "max_epochs " + std::to_string(plan.policy.maxEpochs) + " reached" +
                             (plan.policy.until ? " before until " + plan.policy.untilText + " held " : " ") + std::string(figures);
            break;
        }
    }
    ready.close();
    producer.join();
    if (producerFailure) std::rethrow_exception(producerFailure);
    if (out.stopReason.empty()) out.stopReason = "no training items after the held-out split";

    out.seconds = secondsSince(started);
    return out;
}

void enterBuffer(runtime::RehearsalBuffer& buffer, const LabeledRows& data, std::size_t width, TrainingOutcome& outcome) {
    if (outcome.trainRows.empty()) return;
    LabeledRows trained;
    for (std::size_t i : outcome.trainRows) trained.append(data, i, width);
    const auto t = Clock::now();
    try {
        buffer.offer(trained.rows.data(), trained.labels.data(), trained.entities.data(), trained.seqs.data(), trained.size());
    } catch (const std::exception& e) {
        // The version stands; the buffer keeps the items offered before the failure.
        outcome.bufferProblem = e.what();
    }
    outcome.bufferSeconds += secondsSince(t);
}

}  // namespace xdml::ml
