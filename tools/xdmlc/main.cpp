// main.cpp — the xdmlc command: a thin face over the compiler stages; no logic of its own.
#include "ast/AstPrinter.h"
#include "driver/Frontend.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <malloc.h>
#include <unistd.h>

using namespace xdml;

namespace {

enum ExitCode { kOk = 0, kInputErrors = 1, kMisuse = 2, kInternal = 3 };

struct Common {
    std::string color = "auto";
    bool werror = false;
};

bool useColor(const Common& c) {
    if (c.color == "always") return true;
    if (c.color == "never") return false;
    const char* noColor = std::getenv("NO_COLOR");
    return isatty(STDERR_FILENO) && !(noColor && *noColor);
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// Compiles one file, prints its diagnostics; returns the exit code.
int compileAndReport(const std::string& path, const Common& common, bool check,
                     const std::function<void(const sema::CheckedProgram&)>& onSuccess) {
    SourceManager sources;
    Diagnostics diags(sources);
    std::unique_ptr<sema::CheckedProgram> program;
    int code = kOk;
    driver::runWithLargeStack([&] {
        try {
            driver::FrontendOptions options;
            options.check = check;
            program = driver::compile(path, sources, diags, options);
        } catch (const std::exception& e) {
            std::cerr << "xdmlc: internal error while compiling " << path << ": " << e.what() << "\n"
                      << "xdmlc: please report this with the input file\n";
            code = kInternal;
        }
    });
    if (code != kOk) return code;
    if (!program) {
        std::cerr << "xdmlc: error: cannot read '" << path << "'\n";
        return kMisuse;
    }
    diags.render(std::cerr, useColor(common));
    bool failed = diags.hasErrors() || (common.werror && diags.warningCount() > 0);
    if (diags.errorCount() || diags.warningCount()) {
        std::string summary = path + ": ";
        if (diags.errorCount()) summary += plural(diags.errorCount(), "error");
        if (diags.errorCount() && diags.warningCount()) summary += ", ";
        if (diags.warningCount()) summary += plural(diags.warningCount(), "warning");
        std::cerr << summary << "\n";
    }
    if (failed) return kInputErrors;
    onSuccess(*program);
    return kOk;
}

}  // namespace

int main(int argc, char** argv) {
    // The compiler allocates many small objects on its big-stack thread: one malloc arena,
    // grown in large steps, avoids a thread arena's many small mprotect growths.
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_TOP_PAD, 64 << 20);
    CLI::App app{"xdmlc — compiler and runtime for XDML flows (experimental-science data pipelines)", "xdmlc"};
    app.set_version_flag("--version", std::string("xdmlc ") + XDML_VERSION);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  xdmlc check examples/ssx.xdml            check a flow; errors point at the source\n"
        "  xdmlc check a.xdml b.xdml                check several files\n"
        "  xdmlc build examples/ssx.xdml --emit=ast print the syntax tree\n"
        "\n"
        "Exit status: 0 no errors, 1 errors in the input, 2 misuse of the command.\n"
        "Language reference: docs/language.md");
    Common common;
    auto addCommon = [&](CLI::App* sub) {
        sub->add_option("--color", common.color, "Color diagnostics: auto, always or never")
            ->check(CLI::IsMember({"auto", "always", "never"}));
        sub->add_flag("--Werror", common.werror, "Treat warnings as errors");
    };

    std::vector<std::string> checkFiles;
    CLI::App* check = app.add_subcommand("check", "Parse and check flows; report every error with its location");
    check->add_option("files", checkFiles, "The .xdml files to check")->required()->check(CLI::ExistingFile);
    addCommon(check);

    std::string buildFile, emit = "ast", output;
    CLI::App* build = app.add_subcommand("build", "Compile a flow and emit a stage's output");
    build->add_option("file", buildFile, "The .xdml file")->required()->check(CLI::ExistingFile);
    build->add_option("--emit", emit, "What to emit: ast")->check(CLI::IsMember({"ast"}));
    build->add_option("-o,--output", output, "Write to this file instead of standard output");
    addCommon(build);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? kOk : kMisuse;
    }

    if (*check) {
        int worst = kOk;
        for (const std::string& file : checkFiles) {
            int code = compileAndReport(file, common, true, [&](const sema::CheckedProgram&) {
                std::cout << file << ": ok\n";
            });
            worst = std::max(worst, code);
        }
        return worst;
    }
    if (*build) {
        return compileAndReport(buildFile, common, true, [&](const sema::CheckedProgram& program) {
            std::ofstream file;
            std::ostream* out = &std::cout;
            if (!output.empty()) {
                file.open(output);
                if (!file) {
                    std::cerr << "xdmlc: error: cannot write '" << output << "'\n";
                    return;
                }
                out = &file;
            }
            for (const auto& module : program.modules) ast::printModule(*out, *module);
        });
    }
    return kOk;
}
