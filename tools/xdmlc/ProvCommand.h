// ProvCommand.h — `xdmlc prov SUBCOMMAND` (questions to a work directory's provenance) and
// `xdmlc replay` (a run executed again from its log, then compared). The answers come from
// query/; this file is the command line: options, output format, exit status.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace xdml::tools {

struct ProvArguments {
    std::string workdir;   // default: the current directory
    int64_t run = 0;       // 0: the latest
    bool json = false, dot = false;
    int depth = 0;
    std::string subject, model, reason, format, output, kind, handler;
    int limit = 50;
    int64_t runA = 0, runB = 0;
    bool keep = false, quiet = false, noJit = false;
    int handlerThreads = 0;  // replay: per stream, 0 the default (a hidden test setting)
};

class ProvCommands {
public:
    /// Adds `prov` (with its subcommands) and `replay` to `app`.
    explicit ProvCommands(CLI::App& app);
    /// Whether the parsed command line chose one of them.
    bool chosen() const;
    /// Runs the chosen command. Exit status: 0 an answer (diff, replay: the runs are the same),
    /// 1 a difference (diff, replay) or a question that cannot be answered, 2 misuse.
    int run();

private:
    int runProv();
    int runReplay();
    ProvArguments args_;
    CLI::App* prov_;
    CLI::App *runs_, *lineage_, *impact_, *why_, *whyNot_, *producedBy_, *decisions_, *models_, *diff_, *invalidate_, *export_, *replay_;
};

}  // namespace xdml::tools
