// ModelsPlugin.cpp — dlopen of libxdml_models.so, once per process.
#include "tools/xdmlc/ModelsPlugin.h"

#include "runtime/interp/Program.h"

#include <dlfcn.h>
#include <elf.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdml::tools {

namespace {

using CreateModels = runtime::Models* (*)(const runtime::Program&, const runtime::ModelContext&);

/// Why `path` is not a whole ELF shared object of this machine's kind, or "". dlopen maps a
/// truncated file and dies of SIGBUS touching what is missing, so it is checked first.
std::string notLoadable(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot open it";
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(in.tellg());
    Elf64_Ehdr header{};
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(&header), sizeof header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN || header.e_machine != EM_X86_64)
        return "not an x86-64 ELF shared library";
    auto fits = [&](uint64_t offset, uint64_t bytes) { return offset <= size && bytes <= size - offset; };
    if (!fits(header.e_phoff, uint64_t(header.e_phnum) * sizeof(Elf64_Phdr)) ||
        !fits(header.e_shoff, uint64_t(header.e_shnum) * header.e_shentsize))
        return "truncated (" + std::to_string(size) + " bytes)";
    in.seekg(static_cast<std::streamoff>(header.e_phoff));
    for (int i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr segment{};
        if (!in.read(reinterpret_cast<char*>(&segment), sizeof segment)) return "truncated";
        if (segment.p_type == PT_LOAD && !fits(segment.p_offset, segment.p_filesz))
            return "truncated (" + std::to_string(size) + " bytes)";
    }
    return "";
}

CreateModels loadPlugin() {
    std::vector<std::string> candidates;
    // A plugin named by the user is the only one tried: falling back would hide their mistake.
    if (const char* path = std::getenv("XDML_MODELS_PLUGIN"); path && *path) {
        candidates.push_back(path);
    } else {
        std::error_code ec;
        const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
        if (!ec) candidates.push_back((self.parent_path() / "libxdml_models.so").string());
        candidates.push_back(XDML_MODELS_PLUGIN_BUILT);
    }
    std::string tried;
    std::error_code ec;
    for (const std::string& path : candidates) {
        if (!std::filesystem::exists(path, ec)) {
            tried += "\n  " + path + ": no such file";
            continue;
        }
        if (std::string why = notLoadable(path); !why.empty()) {
            tried += "\n  " + path + ": " + why;
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
