// ModelsPlugin.h — the models runtime (ml/, LibTorch), loaded when a run first needs it.
#pragma once

#include "runtime/engine/Models.h"
#include "runtime/interp/Program.h"

#include <memory>

namespace xdml::tools {

/// The models of `program` (null when it declares none, without loading anything). Loads
/// libxdml_models.so on first use: $XDML_MODELS_PLUGIN alone when it is set, else next to the
/// xdmlc executable, else where the build wrote it. Throws std::runtime_error naming each place tried and why it failed.
std::unique_ptr<runtime::Models> createModels(const runtime::Program& program, const runtime::ModelContext& context);

}  // namespace xdml::tools
