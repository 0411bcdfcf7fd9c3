// DeployFlags.cpp — see DeployFlags.h.
#include "tools/xdmlc/DeployFlags.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace xdml::tools {

void DeployFlags::addTo(CLI::App& command) {
    CLI::Option* deploy = command.add_option("--deploy", file,
                                             "A deployment file (TOML): where each site runs, per named profile; "
                                             "the flow's policies are checked against what the profile grants its sites")
                              ->check(CLI::ExistingFile);
    command.add_option("--profile", profile, "The deployment file's profile (default: the file's `default`)")->needs(deploy);
}

namespace {

/// The range from a place in the loaded deployment file to the end of its line.
SourceRange rangeAt(const SourceManager& sources, FileId file, const deploy::FilePlace& at) {
    if (at.line <= 0) return {};
    std::string_view text = sources.text(file);
    std::size_t offset = 0;
    for (int line = 1; line < at.line && offset < text.size(); ++line) {
        std::size_t next = text.find('\n', offset);
        offset = next == std::string_view::npos ? text.size() : next + 1;
    }
    std::size_t lineEnd = std::min(text.find('\n', offset), text.size());
    while (lineEnd > offset && (text[lineEnd - 1] == '\r' || text[lineEnd - 1] == ' ')) --lineEnd;
    std::size_t begin = std::min(offset + static_cast<std::size_t>(std::max(at.column, 1) - 1), lineEnd);
    SourceRange range;
    range.begin = sources.locAt(file, static_cast<uint32_t>(begin));
    range.endOffset = static_cast<uint32_t>(std::max(lineEnd, begin + 1));
    return range;
}

}  // namespace

std::optional<BoundProfile> bindProfile(const DeployFlags& flags, SourceManager& sources, Diagnostics& diags) {
    std::ifstream in(flags.file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) {
        diags.error({}, "cannot read the deployment file '" + flags.file + "'");
        return std::nullopt;
    }
    if (text.str().size() > SourceManager::kMaxSourceBytes) {
        diags.error({}, "the deployment file '" + flags.file + "' is too large");
        return std::nullopt;
    }
    FileId file = sources.addFile(flags.file, text.str());
    try {
        deploy::Deployment deployment = deploy::parseDeployment(text.str(), flags.file);
        BoundProfile bound{deployment.profile(flags.profile), {}};
        for (const auto& [site, b] : bound.profile.sites) {
            sema::SiteGrant& grant = bound.grants[site];
            grant.cores = b.cores;
            grant.gpus = b.gpusBound ? b.gpus : -1;
            grant.at = rangeAt(sources, file, b.at);
            grant.by = "profile '" + bound.profile.name + "'";
        }
        return bound;
    } catch (const deploy::DeployError& e) {
        SourceRange at = rangeAt(sources, file, e.at);
        diags.error(at, at.valid() ? e.problem : flags.file + ": " + e.problem);
        return std::nullopt;
    }
}

bool checkPlanSites(const BoundProfile& bound, const nlohmann::json& plan, Diagnostics& diags) {
    std::vector<std::string> sites;
    if (plan.contains("sites") && plan["sites"].is_array())
        for (const auto& s : plan["sites"])
            if (s.is_object() && s.contains("name") && s["name"].is_string()) sites.push_back(s["name"].get<std::string>());
    bool ok = true;
    for (const auto& [site, grant] : bound.grants) {
        if (std::find(sites.begin(), sites.end(), site) != sites.end()) continue;
        std::string names;
        for (const std::string& s : sites) names += (names.empty() ? "'" : ", '") + s + "'";
        diags.error(grant.at, grant.by + " binds site '" + site + "', which the plan does not have" + didYouMean(site, sites) +
                                  "; its sites: " + names);
        ok = false;
    }
    return ok;
}

}  // namespace xdml::tools
