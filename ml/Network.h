// Network.h — a model's weights and the arithmetic on them (forward, loss, an optimizer step,
// saving), behind an interface that names no Torch type: Network.cpp is the one translation
// unit that includes LibTorch's headers, which keeps them out of every other compile.
#pragma once

#include "ml/ModelSpec.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace xdml::ml {

/// Loss and correct predictions of a set of labeled rows.
struct Score {
    double loss = 0;  // mean cross-entropy
    int64_t correct = 0;
};

/// An optimizer bound to one network's parameters (sgd or adam).
class Optimizer {
public:
    virtual ~Optimizer() = default;
    /// One step on n rows (n * inputSize floats) with their class indexes; the batch's loss.
    virtual double step(const float* rows, const int64_t* labels, std::size_t n) = 0;
};

class Network {
public:
    /// A fresh network of the declared architecture with PyTorch's default initialization,
    /// drawn from a generator seeded by `seed` (the same weights on every run with that seed).
    static std::unique_ptr<Network> create(const ModelSpec& spec, uint64_t seed);
    /// A TorchScript file (`load("file.pt")`, or a version this runtime saved). Throws
    /// runtime::ModelError naming the file when it is unreadable, corrupt, or does not map the
    /// model's input to one score per class.
    static std::unique_ptr<Network> load(const std::filesystem::path& file, const ModelSpec& spec);
    /// One thread for Torch's intra- and inter-op pools: small models on few cores are many
    /// times faster so, and the run's own threads already fill the machine.
    static void configureThreads();

    virtual ~Network() = default;
    /// A deep copy: the next version trains on it while this one keeps answering inferences.
    virtual std::unique_ptr<Network> clone() const = 0;
    /// Class probabilities of n rows into out (n * classes). Safe from many threads at once.
    virtual void probabilities(const float* rows, std::size_t n, float* out) const = 0;
    virtual Score score(const float* rows, const int64_t* labels, std::size_t n) const = 0;
    /// Saves the weights as a TorchScript module, loadable by `load(...)` and by PyTorch.
    virtual void save(const std::filesystem::path& file) const = 0;
    /// `kind`: "sgd" or "adam". The optimizer keeps a reference to this network.
    virtual std::unique_ptr<Optimizer> optimizer(const std::string& kind, double lr) = 0;
};

}  // namespace xdml::ml
