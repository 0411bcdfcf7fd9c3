// CheckPython.cpp — Python tasks (LANGUAGE.md §9): `task f(x: T) -> R = python "module:function";`.
// The signature is XDML's and is all the checker relies on; the module is never imported here.
// It is looked for as a file where the run will look (next to the script, `--python-path`,
// PYTHONPATH), so the plan can carry its path and content hash; a module found there that does
// not define the function, or a module found nowhere (not even among python3's installed
// packages), is a warning: the run would fail at the first call.
#include "sema/SemaContext.h"

#include "planformat/ContentHash.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <regex>
#include <sstream>

namespace xdml::sema {

using namespace ast;
namespace fs = std::filesystem;

namespace {

bool isIdentifier(const std::string& s) {
    static const std::regex word("[A-Za-z_][A-Za-z0-9_]*");
    return std::regex_match(s, word);
}

/// Why `t` cannot cross to Python ("a stream"), or "" when it can.
std::string uncrossable(const Type* t) {
    if (!t) return "";
    switch (t->kind) {
    case TypeKind::Stream: return "a stream";
    case TypeKind::Catalog: return "a catalog";
    case TypeKind::Model: return "a model";
    case TypeKind::Site: return "a site";
    case TypeKind::Function: return "a function";
    case TypeKind::List: case TypeKind::Optional: case TypeKind::Nominal: return uncrossable(t->element);
    case TypeKind::Record:
        for (const Field& f : t->fields)
            if (std::string why = uncrossable(f.type); !why.empty()) return why;
        return "";
    default: return "";
    }
}

/// The folders a module is looked for in, in the run's order.
std::vector<std::string> searchFolders(const SemaContext& ctx, const Decl& task) {
    // The declaring file's folder: a REPL session's input typed at the prompt ("<input 3>") is
    // in the current directory.
    const std::string& declaredIn = ctx.diags.sources().path(task.file);
    std::vector<std::string> folders = {
        (declaredIn.rfind('<', 0) == 0 ? fs::current_path() : fs::absolute(fs::path(declaredIn)).parent_path()).lexically_normal().string()};
    for (const std::string& dir : ctx.program.pythonPath) folders.push_back(fs::absolute(dir).lexically_normal().string());
    if (const char* env = std::getenv("PYTHONPATH")) {
        std::stringstream parts(env);
        for (std::string dir; std::getline(parts, dir, ':');)
            if (!dir.empty()) folders.push_back(fs::absolute(dir).lexically_normal().string());
    }
    return folders;
}

/// The file of `module` under `folder` (a module or a package), or "".
std::string moduleFile(const std::string& folder, const std::string& module) {
    fs::path relative;
    std::stringstream parts(module);
    for (std::string part; std::getline(parts, part, '.');) relative /= part;
    std::error_code ec;
    for (fs::path candidate : {fs::path(folder) / relative.string().append(".py"), fs::path(folder) / relative / "__init__.py"})
        if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
    return "";
}

/// Whether python3's own folders hold package or module `top`.
bool lookForPackage(const std::string& top) {
    std::vector<fs::path> folders = {"/usr/lib/python3/dist-packages"};
    std::error_code ec;
    for (const char* base : {"/usr/lib", "/usr/local/lib"})
        for (const auto& entry : fs::directory_iterator(base, ec)) {
            const std::string name = entry.path().filename().string();
            if (name.rfind("python3", 0) != 0) continue;
            folders.push_back(entry.path());
            folders.push_back(entry.path() / "dist-packages");
            folders.push_back(entry.path() / "site-packages");
            folders.push_back(entry.path() / "lib-dynload");
        }
    for (const fs::path& folder : folders) {
        if (fs::exists(folder / top, ec) || fs::exists(folder / (top + ".py"), ec)) return true;
        for (const auto& entry : fs::directory_iterator(folder, ec))  // extension modules: top.cpython-311-x86_64-linux-gnu.so
            if (entry.path().filename().string().rfind(top + ".", 0) == 0) return true;
    }
    return false;
}

/// Whether python3's own folders hold the module's top-level package (an installed one). A
/// package found is remembered for the process (the language server checks on every edit); one
/// not found is looked for again, as the user may install it meanwhile.
bool installedForPython(const std::string& module) {
    const std::string top = module.substr(0, module.find('.'));
    static std::mutex mutex;
    static std::set<std::string> found;
    std::lock_guard lock(mutex);
    if (found.count(top)) return true;
    if (!lookForPackage(top)) return false;
    found.insert(top);
    return true;
}

/// The names a module file defines at its top level, as far as plain reading tells; false
/// when it may define more than it shows (`import *`, a module `__getattr__`).
bool topLevelNames(const std::string& file, std::vector<std::string>& names) {
    std::ifstream in(file);
    static const std::regex def(R"(^(?:async\s+)?(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*))");
    static const std::regex assign(R"(^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=[^=])");
    static const std::regex from(R"(^from\s+\S+\s+import\s+(.*))");
    static const std::regex import(R"(^import\s+(.*))");
    static const std::regex alias(R"(([A-Za-z_][A-Za-z0-9_.]*)(?:\s+as\s+([A-Za-z_][A-Za-z0-9_]*))?)");
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, def) || std::regex_search(line, m, assign)) {
            names.push_back(m[1]);
        } else if (std::regex_search(line, m, from) || std::regex_search(line, m, import)) {
            const std::string list = m[1];
            if (list.find('*') != std::string::npos || list.find('(') != std::string::npos) return false;
            for (auto it = std::sregex_iterator(list.begin(), list.end(), alias); it != std::sregex_iterator(); ++it) {
                std::string name = (*it)[2].matched ? (*it)[2].str() : (*it)[1].str();
                names.push_back(name.substr(0, name.find('.')));
            }
        }
        if (line.rfind("def __getattr__", 0) == 0) return false;
    }
    return true;
}

/// A module file as messages show it: relative to the script's folder when under it (so a
/// message reads the same on every machine), else whole.
std::string shown(const std::string& file, const std::vector<std::string>& folders) {
    if (!folders.empty()) {
        const std::string rel = fs::path(file).lexically_relative(folders.front()).string();
        if (!rel.empty() && rel.rfind("..", 0) != 0) return rel;
    }
    return file;
}

}  // namespace

void checkPythonTask(SemaContext& ctx, const Decl& task) {
    const Name& target = *task.python;
    const std::string& text = target.text;
    const std::size_t colon = text.find(':');
    const std::string module = colon == std::string::npos ? text : text.substr(0, colon);
    const std::string function = colon == std::string::npos ? "" : text.substr(colon + 1);
    bool named = colon != std::string::npos && !module.empty() && isIdentifier(function);
    {
        std::stringstream parts(module);
        for (std::string part; named && std::getline(parts, part, '.');) named = isIdentifier(part);
        named = named && module.back() != '.';
    }
    if (!named) {
        ctx.diags.error(target.range, "'" + text + "' does not name a Python function: write \"module:function\" (\"peaks:find_peaks\", \"mypackage.filters:median\")");
        return;
    }

    // Everything the function takes and gives crosses as a Python value (docs/python.md).
    const Type* signature = task.resolved;
    for (std::size_t i = 0; i < task.params.size(); ++i) {
        const Type* t = signature && i < signature->params.size() ? signature->params[i] : nullptr;
        if (std::string why = uncrossable(t); !why.empty())
            ctx.diags.error(task.params[i].type ? task.params[i].type->range : task.params[i].name.range,
                            "parameter '" + task.params[i].name.text + "' of Python task '" + task.name.text + "' is " + why +
                                ", which cannot cross to Python; pass its values instead");
    }
    if (signature && task.type)
        if (std::string why = uncrossable(signature->element); !why.empty())
            ctx.diags.error(task.type->range, "Python task '" + task.name.text + "' cannot return " + why);

    PythonTaskInfo info{module, function, "", "", {}};
    const std::vector<std::string> folders = searchFolders(ctx, task);
    info.path.assign(folders.begin(), folders.begin() + static_cast<std::ptrdiff_t>(std::min(folders.size(), ctx.program.pythonPath.size() + 1)));
    for (const std::string& folder : folders) {
        info.file = moduleFile(folder, module);
        if (info.file.empty()) continue;
        std::string error;
        if (!planformat::hashFile(info.file, info.hash, error))
            ctx.diags.warning(target.range, "module '" + module + "' (" + shown(info.file, folders) + ") cannot be read: " + error);
        break;
    }
    if (info.file.empty()) {
        if (!installedForPython(module))
            ctx.diags.warning(target.range, "module '" + module + "' is found neither next to the script, on --python-path "
                                            "or PYTHONPATH, nor among python3's installed packages; the run will fail to import it");
    } else if (std::vector<std::string> names; topLevelNames(info.file, names) &&
               std::find(names.begin(), names.end(), function) == names.end()) {
        ctx.diags.warning(target.range, "module '" + module + "' (" + shown(info.file, folders) + ") defines no '" + function + "'" +
                                            didYouMean(function, names) + "; the run will fail to call it");
    }
    ctx.program.pythonTasks[&task] = std::move(info);
}

}  // namespace xdml::sema
