// DeployFlags.h — `--deploy D.toml [--profile P]` of `xdmlc check` and `xdmlc run`: the
// deployment profile a flow is checked against and run with (docs/distributed.md "Deployment
// profiles"). The checks themselves are the compiler's, fed the profile's grants.
#pragma once

#include "deploy/Deployment.h"
#include "diag/Diagnostics.h"
#include "sema/Sema.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace xdml::tools {

struct DeployFlags {
    std::string file, profile;
    void addTo(CLI::App& command);
    bool given() const { return !file.empty(); }
};

/// A chosen profile and what it grants each bound site, placed at its binding.
struct BoundProfile {
    deploy::Profile profile;
    std::map<std::string, sema::SiteGrant> grants;
};

/// Reads flags.file and chooses its profile (flags.profile, else the file's default). The
/// file's text is loaded into `sources`, so an error or note at a binding shows its line; the
/// compiler calls it after loading the flow (driver::FrontendOptions::bindGrants), which keeps
/// the flow's file numbers. A problem in the file or an unknown profile is an error in `diags`:
/// nullopt then.
std::optional<BoundProfile> bindProfile(const DeployFlags& flags, SourceManager& sources, Diagnostics& diags);

/// For a plan compiled already (run plan.json): each bound site must be one of the plan's
/// sites (its capacities were checked when it was compiled). Reports to `diags`.
bool checkPlanSites(const BoundProfile& bound, const nlohmann::json& plan, Diagnostics& diags);

}  // namespace xdml::tools
