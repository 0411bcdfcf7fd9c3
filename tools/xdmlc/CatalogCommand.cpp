// CatalogCommand.cpp — see CatalogCommand.h.
#include "tools/xdmlc/CatalogCommand.h"

#include "runtime/catalog/CatalogStore.h"
#include "runtime/io/AtomicWrite.h"
#include "runtime/io/WriteFormats.h"

#include <filesystem>
#include <iostream>
#include <optional>

namespace xdml::tools {
namespace fs = std::filesystem;

namespace {

/// The database files below `workdir` (three levels down at most: catalogs live at their
/// declared paths, relative to the work directory) that hold catalog `name`.
std::vector<std::pair<fs::path, runtime::TypeDesc>> findCatalog(const fs::path& workdir, const std::string& name) {
    std::vector<std::pair<fs::path, runtime::TypeDesc>> found;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(workdir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it.depth() >= 3) it.disable_recursion_pending();
        const fs::path& p = it->path();
        if (!it->is_regular_file(ec) || p.extension() != ".db" || p.filename() == "provenance.db") continue;
        if (p.string().find("/replays/") != std::string::npos) continue;  // a replay's copies
        try {
            if (auto type = runtime::CatalogStore::storedType(p, name)) found.emplace_back(p, *type);
        } catch (const std::exception&) {
            // not a catalog database: not this one
        }
    }
    return found;
}

}  // namespace

CatalogCommand::CatalogCommand(CLI::App& app) {
    catalog_ = app.add_subcommand("catalog", "A catalog's rows for other tools (catalog export)");
    catalog_->require_subcommand(1);
    export_ = catalog_->add_subcommand("export", "Write a catalog's rows as CSV or JSON, each with its run");
    export_->add_option("name", name_, "The catalog's name, as the flow declares it")->required();
    export_->add_option("--workdir", workdir_, "The work directory the catalog is in (default: the current directory)");
    export_->add_option("--run", run_, "Only the rows this run recorded (its id in provenance.db; xdmlc prov runs)")
        ->check(CLI::PositiveNumber);
    export_->add_option("--format", format_, "csv (flat records) or json (any)")->check(CLI::IsMember({"csv", "json"}));
    export_->add_option("-o,--output", output_, "The file to write (default: standard output)");
    export_->footer("Example: xdmlc catalog export hits --workdir eiger.run --run 2 --format json -o hits.json");
}

bool CatalogCommand::chosen() const { return catalog_->parsed(); }

int CatalogCommand::run() {
    const auto found = findCatalog(workdir_, name_);
    if (found.empty()) {
        std::cerr << "xdmlc: error: " << workdir_ << ": no catalog '" << name_ << "' in its databases\n";
        return 1;
    }
    if (found.size() > 1) {
        std::cerr << "xdmlc: error: catalog '" << name_ << "' is in more than one database:";
        for (const auto& [p, t] : found) std::cerr << " " << p.string();
        std::cerr << " (pass the folder of one with --workdir)\n";
        return 1;
    }
    try {
        auto store = runtime::CatalogStore::open(found[0].first, name_, found[0].second);
        std::vector<runtime::Value> rows = store->rows(run_ > 0 ? std::optional<int64_t>(run_) : std::nullopt, true);
        const auto format = format_ == "json" ? planformat::FileFormat::Json : planformat::FileFormat::Csv;
        const std::string where = found[0].first.string() + ": catalog " + name_;
        const std::string bytes = runtime::encodeForFile(format, runtime::Value::list(std::move(rows)), where);
        if (output_ == "-") std::cout << bytes << std::flush;
        else runtime::writeFileAtomically(output_, bytes);
    } catch (const std::exception& e) {
        std::cerr << "xdmlc: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace xdml::tools
