// ModelsPlugin.cpp — dlopen of libxdml_models.so, once per process.
#include "tools/xdmlc/ModelsPlugin.h"

#include "runtime/interp/Program.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdml::tools {

namespace {

using CreateModels = runtime::Models* (*)(const runtime::Program&, const runtime::ModelContext&);

CreateModels loadPlugin() {
    std::vector<std::string> candidates;
    if (const char* path = std::getenv("XDML_MODELS_PLUGIN"); path && *path) candidates.push_back(path);
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back((self.parent_path() / "libxdml_models.so").string());
    candidates.push_back(XDML_MODELS_PLUGIN_BUILT);
    std::string tried;
    for (const std::string& path : candidates) {
        if (!std::filesystem::exists(path, ec)) {
            tried += "\n  " + path + ": no such file";
            continue;
        }
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            tried += "\n  " + path + ": " + dlerror();
            continue;
        }
        if (auto create = reinterpret_cast<CreateModels>(dlsym(handle, "xdml_create_models"))) return create;
        tried += "\n  " + path + ": no xdml_create_models in it";
    }
    throw std::runtime_error("cannot load the models runtime (libxdml_models.so, LibTorch); tried:" + tried);
}

}  // namespace

std::unique_ptr<runtime::Models> createModels(const runtime::Program& program, const runtime::ModelContext& context) {
    if (program.models().is_null() || program.models().empty()) return nullptr;
    static std::once_flag once;
    static CreateModels create = nullptr;
    static std::string failure;
    std::call_once(once, [] {
        try {
            create = loadPlugin();
        } catch (const std::exception& e) {
            failure = e.what();
        }
    });
    if (!create) throw std::runtime_error(failure);
    return std::unique_ptr<runtime::Models>(create(program, context));
}

}  // namespace xdml::tools
