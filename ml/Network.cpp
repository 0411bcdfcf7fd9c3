// Network.cpp — see Network.h. The only translation unit with LibTorch's headers.
//
// Declared architectures are torch::nn modules (the C++ frontend trains them about 1.6 times
// faster than a TorchScript module); they are saved as TorchScript by copying their weights
// into a module whose forward is generated from the architecture, so every saved version is
// a file `load(...)` and PyTorch can read. Loaded files stay TorchScript modules.
#include "ml/Network.h"

#include "runtime/engine/Models.h"
#include "runtime/io/AtomicWrite.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cstring>
#include <mutex>
#include <sstream>

namespace xdml::ml {

using runtime::ModelError;

namespace {

torch::Tensor rowsTensor(const float* rows, std::size_t n, const ModelSpec& spec) {
    std::vector<int64_t> shape = {static_cast<int64_t>(n)};
    shape.insert(shape.end(), spec.inputDims.begin(), spec.inputDims.end());
    return torch::from_blob(const_cast<float*>(rows), shape, torch::kFloat32);
}

torch::Tensor labelsTensor(const int64_t* labels, std::size_t n) {
    return torch::from_blob(const_cast<int64_t*>(labels), {static_cast<int64_t>(n)}, torch::kInt64);
}

/// A Torch error in one line, without its C++ backtrace.
std::string reason(const std::exception& e) {
    const auto* torchError = dynamic_cast<const c10::Error*>(&e);
    std::string text = torchError ? torchError->what_without_backtrace() : e.what();
    std::string out;
    for (char c : text) {
        if (c == '\n') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out.size() > 400 ? out.substr(0, 400) + "..." : out;
}

std::string shapeText(at::IntArrayRef dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

void saveModule(const torch::jit::Module& module, const std::filesystem::path& file) {
    // Serialized in memory, then written as every file of the tool is (runtime/io/AtomicWrite.h):
    // a full disk leaves the old file whole and says why, never a truncated model.
    std::ostringstream bytes;
    try {
        module.save(bytes);
    } catch (const std::exception& e) {
        throw ModelError(reason(e));
    }
    try {
        runtime::writeFileAtomically(file, bytes.str());
    } catch (const runtime::WriteError& e) {
        throw ModelError(e.what());
    }
}

/// What every network does with its logits.
class TorchNetwork : public Network {
public:
    explicit TorchNetwork(const ModelSpec& spec) : spec_(spec) {}

    virtual torch::Tensor logits(const torch::Tensor& x) const = 0;
    virtual std::vector<torch::Tensor> parameters() const = 0;

    void probabilities(const float* rows, std::size_t n, float* out) const override {
        torch::NoGradGuard noGrad;
        torch::Tensor p = torch::softmax(logits(rowsTensor(rows, n, spec_)), 1).contiguous();
        std::memcpy(out, p.data_ptr<float>(), n * spec_.classes.size() * sizeof(float));
    }

    Score score(const float* rows, const int64_t* labels, std::size_t n) const override {
        if (n == 0) return {};
        torch::NoGradGuard noGrad;
        torch::Tensor out = logits(rowsTensor(rows, n, spec_));
        torch::Tensor y = labelsTensor(labels, n);
        Score s;
        s.loss = torch::nn::functional::cross_entropy(out, y).item<double>();
        s.correct = out.argmax(1).eq(y).sum().item<int64_t>();
        return s;
    }

    std::unique_ptr<Optimizer> optimizer(const std::string& kind, double lr) override;

protected:
    ModelSpec spec_;
};

class TorchOptimizer : public Optimizer {
public:
    TorchOptimizer(TorchNetwork& net, const std::string& kind, double lr, const ModelSpec& spec) : net_(net), spec_(spec) {
        auto params = net.parameters();
        if (kind == "adam") optimizer_ = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(lr));
        else optimizer_ = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(lr));
    }
    double step(const float* rows, const int64_t* labels, std::size_t n) override {
        try {
            optimizer_->zero_grad();
            torch::Tensor loss =
                torch::nn::functional::cross_entropy(net_.logits(rowsTensor(rows, n, spec_)), labelsTensor(labels, n));
            loss.backward();
            optimizer_->step();
            return loss.item<double>();
        } catch (const c10::Error& e) {
            throw ModelError("model " + spec_.name + ": a training step failed: " + reason(e));
        }
    }

private:
    TorchNetwork& net_;
    const ModelSpec& spec_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

std::unique_ptr<Optimizer> TorchNetwork::optimizer(const std::string& kind, double lr) {
    return std::make_unique<TorchOptimizer>(*this, kind, lr, spec_);
}

/// linear, mlp(hidden: [...]) and cnn(channels: [...]) as a torch::nn::Sequential.
class DeclaredNetwork : public TorchNetwork {
public:
    DeclaredNetwork(const ModelSpec& spec, torch::nn::Sequential net) : TorchNetwork(spec), net_(std::move(net)) {}

    static std::unique_ptr<Network> build(const ModelSpec& spec) {
        torch::nn::Sequential net;
        const int64_t classes = static_cast<int64_t>(spec.classes.size());
        if (spec.arch == Architecture::Cnn) {
            int64_t in = 1, h = spec.inputDims[0], w = spec.inputDims[1];
            for (int64_t c : spec.widths) {
                net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c, 3).padding(1)));
                net->push_back(torch::nn::ReLU());
                if (h >= 2 && w >= 2) {
                    net->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
                    h /= 2;
                    w /= 2;
                }
                in = c;
            }
            net->push_back(torch::nn::Flatten());
            net->push_back(torch::nn::Linear(in * h * w, classes));
        } else {
            net->push_back(torch::nn::Flatten());
            int64_t in = spec.inputSize;
            for (int64_t width : spec.widths) {
                net->push_back(torch::nn::Linear(in, width));
                net->push_back(torch::nn::ReLU());
                in = width;
            }
            net->push_back(torch::nn::Linear(in, classes));
        }
        return std::make_unique<DeclaredNetwork>(spec, net);
    }

    torch::Tensor logits(const torch::Tensor& x) const override {
        if (spec_.arch == Architecture::Cnn) return net_->forward(x.reshape({x.size(0), 1, x.size(1), x.size(2)}));
        return net_->forward(x);
    }
    std::vector<torch::Tensor> parameters() const override { return net_->parameters(); }

    std::unique_ptr<Network> clone() const override {
        return std::make_unique<DeclaredNetwork>(spec_, std::dynamic_pointer_cast<torch::nn::SequentialImpl>(net_->clone()));
    }

    void save(const std::filesystem::path& file) const override {
        torch::jit::Module m("XdmlModel");
        std::ostringstream forward;
        forward << "def forward(self, x):\n";
        int layer = 0;
        auto param = [&](const char* kind, const torch::Tensor& t) {
            std::string name = std::string(kind) + std::to_string(layer);
            m.register_parameter(name, t.detach().clone(), false);
            return "self." + name;
        };
        if (spec_.arch == Architecture::Cnn) {
            forward << "    x = x.reshape([x.size(0), 1, " << spec_.inputDims[0] << ", " << spec_.inputDims[1] << "])\n";
            int64_t h = spec_.inputDims[0], w = spec_.inputDims[1];
            for (const auto& module : net_->children()) {
                if (auto* conv = module->as<torch::nn::Conv2d>()) {
                    const std::string wName = param("conv_w", conv->weight), bName = param("conv_b", conv->bias);
                    forward << "    x = torch.relu(torch.conv2d(x, " << wName << ", " << bName << ", [1, 1], [1, 1]))\n";
                    if (h >= 2 && w >= 2) {
                        forward << "    x = torch.max_pool2d(x, [2, 2])\n";
                        h /= 2;
                        w /= 2;
                    }
                    ++layer;
                }
            }
        }
        forward << "    x = x.reshape([x.size(0), -1])\n";
        std::vector<torch::nn::LinearImpl*> linears;
        for (const auto& module : net_->children())
            if (auto* linear = module->as<torch::nn::Linear>()) linears.push_back(linear);
        for (std::size_t i = 0; i < linears.size(); ++i) {
            const std::string wName = param("w", linears[i]->weight), bName = param("b", linears[i]->bias);
            const std::string affine = "torch.addmm(" + bName + ", x, " + wName + ".t())";
            forward << "    x = " << (i + 1 < linears.size() ? "torch.relu(" + affine + ")" : affine) << "\n";
            ++layer;
        }
        forward << "    return x\n";
        m.define(forward.str());
        saveModule(m, file);
    }

private:
    mutable torch::nn::Sequential net_;  // forward is not const in Torch; inference does not modify it
};

/// A TorchScript module: `load("file.pt")`, or a version saved by DeclaredNetwork::save.
class ScriptNetwork : public TorchNetwork {
public:
    ScriptNetwork(const ModelSpec& spec, torch::jit::Module module) : TorchNetwork(spec), module_(std::move(module)) {
        // deepcopy() clones the weights through autograd: detached in place, each is a leaf
        // again that an optimizer may update.
        for (torch::Tensor p : module_.parameters()) p.detach_().requires_grad_(true);
    }

    torch::Tensor logits(const torch::Tensor& x) const override {
        auto& module = const_cast<torch::jit::Module&>(module_);
        return module.forward({x}).toTensor();
    }
    std::vector<torch::Tensor> parameters() const override {
        std::vector<torch::Tensor> out;
        for (torch::Tensor p : module_.parameters()) out.push_back(p);
        return out;
    }
    std::unique_ptr<Network> clone() const override {
        return std::make_unique<ScriptNetwork>(spec_, module_.deepcopy());
    }
    void save(const std::filesystem::path& file) const override { saveModule(module_, file); }

private:
    torch::jit::Module module_;
};

}  // namespace

void Network::configureThreads() {
    static std::once_flag once;
    std::call_once(once, [] {
        torch::set_num_threads(1);
        try {
            torch::set_num_interop_threads(1);
        } catch (const std::exception&) {
        }  // already started by someone else: harmless
    });
}

std::unique_ptr<Network> Network::create(const ModelSpec& spec, uint64_t seed) {
    configureThreads();
    // Torch's initializers draw from its global generator: one network at a time, seeded.
    static std::mutex seeding;
    std::lock_guard lock(seeding);
    torch::manual_seed(seed);
    return DeclaredNetwork::build(spec);
}

std::unique_ptr<Network> Network::load(const std::filesystem::path& file, const ModelSpec& spec) {
    configureThreads();
    torch::jit::Module module;
    try {
        module = torch::jit::load(file.string());
    } catch (const std::exception& e) {
        std::error_code ec;
        if (!std::filesystem::exists(file, ec)) throw ModelError(file.string() + ": no such file");
        if (std::filesystem::is_directory(file, ec)) throw ModelError(file.string() + ": a folder, not a TorchScript file");
        throw ModelError(file.string() + ": not a TorchScript model that can be loaded: " + reason(e));
    }
    auto net = std::make_unique<ScriptNetwork>(spec, module);
    // It must map one input of the declared shape to one score per class.
    std::vector<float> zeros(static_cast<std::size_t>(spec.inputSize), 0.0f);
    torch::Tensor out;
    try {
        torch::NoGradGuard noGrad;
        out = net->logits(rowsTensor(zeros.data(), 1, spec));
    } catch (const std::exception& e) {
        throw ModelError(file.string() + ": its forward fails on an input of shape " +
                         shapeText(rowsTensor(zeros.data(), 1, spec).sizes()) + ": " + reason(e));
    }
    const int64_t classes = static_cast<int64_t>(spec.classes.size());
    if (out.dim() != 2 || out.size(0) != 1 || out.size(1) != classes || out.scalar_type() != torch::kFloat32)
        throw ModelError(file.string() + ": its forward gives " + shapeText(out.sizes()) + " for one input, but model " +
                         spec.name + " has " + std::to_string(classes) + " classes (it needs [1, " +
                         std::to_string(classes) + "] of float32)");
    return net;
}

}  // namespace xdml::ml
