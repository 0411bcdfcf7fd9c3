// ModelsPlugin.cpp — the models runtime as a plugin (libxdml_models.so): xdmlc loads it only for
// a flow that declares models (tools/xdmlc/ModelsPlugin.h), so LibTorch's loading and start-up,
// about a second, is paid by the runs that use it and not by every check, REPL or editor.
// Runtime symbols resolve to xdmlc's own (it exports them), so both share one runtime.
#include "ml/ModelRegistry.h"

extern "C" xdml::runtime::Models* xdml_create_models(const xdml::runtime::Program& program,
                                                     const xdml::runtime::ModelContext& context) {
    return new xdml::ml::ModelRegistry(program, context);
}
