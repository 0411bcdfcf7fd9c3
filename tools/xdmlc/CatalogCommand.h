// CatalogCommand.h — `xdmlc catalog export NAME [--workdir DIR] [--run ID] [--format csv|json]
// [-o FILE]`: a catalog's rows for other tools (LANGUAGE.md §9), found in a work directory
// without the flow that wrote them, each row with its `run`.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace xdml::tools {

class CatalogCommand {
public:
    /// Adds `catalog` (with `export`) to `app`.
    explicit CatalogCommand(CLI::App& app);
    bool chosen() const;
    /// Exit status: 0 written, 1 no such catalog or rows that do not fit the format, 2 misuse.
    int run();

private:
    CLI::App* catalog_;
    CLI::App* export_;
    std::string name_, workdir_ = ".", format_ = "csv", output_ = "-";
    int64_t run_ = 0;  // 0: every run
};

}  // namespace xdml::tools
