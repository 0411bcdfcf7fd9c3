// ReportCommand.h — `xdmlc report [--workdir DIR] [--run ID] [-o FILE] [--text]`: a run as one
// self-contained HTML page (or text), and `xdmlc serve [--workdir DIR] [--listen [ADDR:]PORT]`:
// the work directory's runs as live pages, read-only, until Ctrl-C (docs/report.md).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace xdml::tools {

class ReportCommand {
public:
    /// Adds `report` and `serve` to `app`.
    explicit ReportCommand(CLI::App& app);
    bool chosen() const;
    /// Exit status: 0 written (or served until Ctrl-C), 1 no such run or work directory, 2 misuse.
    int run();

private:
    int report();
    int serve();

    CLI::App* report_;
    CLI::App* serve_;
    std::string workdir_ = ".", output_, listen_ = "127.0.0.1:8080";
    int64_t run_ = 0;  // 0: the latest
    bool text_ = false, noGraph_ = false;
};

}  // namespace xdml::tools
