// fuzz_deploy.cpp — libFuzzer target: the deployment file reader (deploy/Deployment.h) on
// arbitrary bytes. A hand-written TOML file reaches it, so every input must read or be a
// DeployError with a place in the file; and what reads must hold the model's invariants.
#include "deploy/Deployment.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace xdml::deploy;

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();
}

void checkBinding(const std::string& name, const SiteBinding& b) {
    check(b.site == name && !name.empty());
    check(b.ranks >= 1 && b.threadsPerRank >= 0 && b.cores >= 0 && b.gpus >= 0);
    check(b.placement == Placement::Mpi || b.ranks == 1);
    check(b.threadsPerRank == 0 || b.cores == b.ranks * b.threadsPerRank);
    check(b.at.line >= 1 && b.at.column >= 1);
    if (b.slurm) {
        check(b.slurm->tasks == 0 || b.slurm->tasks == b.ranks);
        for (const std::string& line : b.slurm->setup) check(line.find('\n') == std::string::npos);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        Deployment d = parseDeployment(text, "fuzz.toml");
        check(!d.profiles.empty());
        check(d.defaultProfile.empty() ? d.profiles.size() > 1 : d.profiles.count(d.defaultProfile) == 1);
        for (const auto& [name, profile] : d.profiles) {
            check(profile.name == name && &d.profile(name) == &profile);
            for (const auto& [site, binding] : profile.sites) checkBinding(site, binding);
        }
        try {
            (void)d.profile("");
        } catch (const DeployError& e) {
            check(d.defaultProfile.empty() && !e.problem.empty());
        }
    } catch (const DeployError& e) {
        // the reader's answer to a malformed file: always with a place in it
        check(e.at.file == "fuzz.toml" && e.at.line >= 1 && e.at.column >= 1 && !e.problem.empty());
    }
    return 0;
}
