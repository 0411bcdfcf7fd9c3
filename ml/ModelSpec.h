// ModelSpec.h — a `model` declaration as the run needs it (LANGUAGE.md §3): the input's shape,
// the class names, the architecture, where it runs. Read from the plan's code section; no Torch.
#pragma once

#include "runtime/interp/Program.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xdml::ml {

enum class Architecture { Linear, Mlp, Cnn, Load };

struct ModelSpec {
    std::string name;
    int line = 0;                      // the declaration's line
    std::vector<int64_t> inputDims;    // the input tensor's shape
    int64_t inputSize = 0;             // the product of inputDims: floats per item
    std::vector<std::string> classes;  // "0".."K-1" for `classes: K`
    Architecture arch = Architecture::Linear;
    std::vector<int64_t> widths;       // mlp: hidden sizes; cnn: channels
    std::string file;                  // load: the TorchScript file, as written
    std::string site;

    /// Reads model `name` of the program. Throws runtime::ModelError saying what is wrong (an
    /// input that is not a tensor of static shape, say); the caller names the model.
    static ModelSpec fromProgram(const std::string& name, const runtime::Program& program);
    /// The line of the declaration (of its first property), for messages; 0 when unknown.
    static int declarationLine(const std::string& name, const runtime::Program& program);
    /// The architecture as written: `mlp(hidden: [256, 256])`.
    std::string archText() const;
    /// The index of a class name, or nullopt.
    std::optional<int64_t> classIndex(const std::string& name) const;
};

}  // namespace xdml::ml
