// Frontend.cpp — import resolution (relative paths, cycles), parsing and checking.
#include "driver/Frontend.h"

#include "parse/Parser.h"

#include <filesystem>
#include <functional>
#include <pthread.h>
#include <set>

#include <algorithm>

namespace xdml::driver {

namespace fs = std::filesystem;

namespace {

std::string canonical(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::path(path), ec);
    return ec ? path : p.string();
}

class ImportLoader {
public:
    ImportLoader(SourceManager& sources, Diagnostics& diags, sema::CheckedProgram& program,
                 const FrontendOptions& options)
        : sources_(sources), diags_(diags), program_(program), options_(options) {}

    void load(FileId file) {
        std::string key = canonical(sources_.path(file));
        loaded_.insert(key);
        stack_.push_back(key);
        auto module = parse::parseModule(sources_, file, diags_);
        ast::Module* m = module.get();
        program_.modules.push_back(std::move(module));
        for (auto& d : m->decls) {
            if (d->kind != ast::DeclKind::Import || d->importFile.empty()) continue;
            fs::path base = fs::path(sources_.path(file)).parent_path();
            std::string target = (base / d->importFile).lexically_normal().string();
            std::string targetKey = canonical(target);
            auto onStack = std::find(stack_.begin(), stack_.end(), targetKey);
            if (onStack != stack_.end()) {
                std::string chain;
                for (auto it = onStack; it != stack_.end(); ++it) chain += fs::path(*it).filename().string() + " -> ";
                diags_.error(d->name.range, "import cycle: " + chain + fs::path(targetKey).filename().string());
                continue;
            }
            if (loaded_.count(targetKey)) continue;
            FileId imported;
            std::string error, text;
            if (options_.openText && options_.openText(target, text)) {
                imported = sources_.addFile(target, std::move(text));
            } else if (!sources_.loadFile(target, imported, error)) {
                diags_.error(d->name.range, "cannot import '" + d->importFile + "': " + error);
                continue;
            }
            load(imported);
        }
        stack_.pop_back();
    }

private:
    SourceManager& sources_;
    Diagnostics& diags_;
    sema::CheckedProgram& program_;
    const FrontendOptions& options_;
    std::set<std::string> loaded_;
    std::vector<std::string> stack_;
};

/// Binds the profile's grants (after every file is loaded) and checks the program; a tree with
/// syntax errors is not checked: that would report guesses about what the user meant.
void bindAndCheck(sema::CheckedProgram& program, Diagnostics& diags, const FrontendOptions& options) {
    if (options.bindGrants && !options.bindGrants(program.grants)) return;
    program.paramSettings = options.params;
    program.pythonPath = options.pythonPath;
    if (options.check && !diags.hasErrors()) sema::checkProgram(program, diags);
}

}  // namespace

std::unique_ptr<sema::CheckedProgram> compile(const std::string& path, SourceManager& sources, Diagnostics& diags,
                                              const FrontendOptions& options, const std::string* text) {
    FileId file;
    if (text) {
        file = sources.addFile(path, *text);
    } else {
        std::string error;
        if (!sources.loadFile(path, file, error)) {
            diags.error({}, "cannot read '" + path + "': " + error);
            return nullptr;
        }
    }
    auto program = std::make_unique<sema::CheckedProgram>();
    ImportLoader(sources, diags, *program, options).load(file);
    bindAndCheck(*program, diags, options);
    return program;
}

std::unique_ptr<sema::CheckedProgram> compileParts(const std::vector<SourcePart>& parts, SourceManager& sources,
                                                   Diagnostics& diags, const FrontendOptions& options) {
    auto program = std::make_unique<sema::CheckedProgram>();
    auto main = std::make_unique<ast::Module>();
    main->path = "<session>";
    ImportLoader loader(sources, diags, *program, options);
    for (const SourcePart& part : parts) {
        FileId file = sources.addFile(part.name, part.text);
        std::size_t at = program->modules.size();
        loader.load(file);  // the part's module, then what it imports
        for (auto& decl : program->modules[at]->decls) main->decls.push_back(std::move(decl));
        program->modules.erase(program->modules.begin() + static_cast<std::ptrdiff_t>(at));
    }
    if (!main->decls.empty()) main->file = main->decls.front()->file;
    program->modules.insert(program->modules.begin(), std::move(main));
    bindAndCheck(*program, diags, options);
    return program;
}

void runWithLargeStack(const std::function<void()>& work) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, std::size_t(1) << 30);  // reserved, not committed
    pthread_t thread;
    auto* task = new std::function<void()>(work);
    auto body = [](void* arg) -> void* {
        auto* fn = static_cast<std::function<void()>*>(arg);
        (*fn)();
        delete fn;
        return nullptr;
    };
    if (pthread_create(&thread, &attr, body, task) != 0) {
        delete task;
        work();  // no thread: run here
    } else {
        pthread_join(thread, nullptr);
    }
    pthread_attr_destroy(&attr);
}

}  // namespace xdml::driver
