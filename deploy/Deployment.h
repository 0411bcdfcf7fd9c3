// Deployment.h — where a flow's sites run, kept apart from the flow (docs/distributed.md): a
// deployment file (TOML) names profiles, and each profile binds the flow's declared sites to a
// placement — `local` (this machine's worker pool) or `mpi` (ranks of one MPI job) — and, for
// `xdmlc submit`, to what Slurm must grant them. One flow, many facilities: like Parsl's
// configurations and Nextflow's profiles.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace xdml::deploy {

/// A place in a deployment file, for messages (line and column from 1; 0 when unknown).
struct FilePlace {
    std::string file;
    int line = 0;
    int column = 0;
    std::string str() const;  // "file:line:column"
};

/// A deployment file that cannot be used: `what()` names the place and the problem.
class DeployError : public std::runtime_error {
public:
    DeployError(const FilePlace& at, const std::string& problem);
    FilePlace at;
    std::string problem;
};

enum class Placement { Local, Mpi };
const char* placementName(Placement placement);  // "local", "mpi"

/// What a Slurm-bound site asks of the batch system (one heterogeneous-job component).
struct SlurmRequest {
    std::string partition, account;
    int nodes = 0;             // 0: not asked (Slurm's default)
    int tasks = 0;             // MPI ranks of the component; 0: the binding's ranks
    int cpusPerTask = 0;
    int gpusPerNode = 0;
    std::string memory;        // as Slurm writes it: "64G", "512M"
    std::string wallTime;      // as Slurm writes it: "01:30:00", "2-00:00:00"
    std::string mpiPlugin;     // srun --mpi=...: "pmix", "pmi2"
    std::vector<std::string> setup;  // lines run before the launch ("module load ...")
    FilePlace at;
};

/// One declared site, bound.
struct SiteBinding {
    std::string site;
    Placement placement = Placement::Local;
    int ranks = 1;           // mpi: the site's ranks (its controller and its workers)
    int threadsPerRank = 0;  // 0: as many as the site's declared cores allow
    int prefetch = 0;        // mpi: calls each rank may hold queued per thread (short tasks)
    int cores = 0;           // what the binding grants: ranks × threads, or Slurm's cpus; 0: not bounded
                             // by the binding (the site's declared cores)
    int gpus = 0;
    bool gpusBound = false;  // `gpus` or Slurm's gpus_per_node given; else the site's declared gpus
    std::optional<SlurmRequest> slurm;
    FilePlace at;
};

struct Profile {
    std::string name;
    std::map<std::string, SiteBinding> sites;  // by site name
    std::string mpi;        // the MPI the job runs with, for submission: "openmpi", "mpich"; "": not said
    bool hetjob = true;     // false: the cluster disables heterogeneous steps (submit falls back)
    FilePlace at;
    /// The binding of `site`, or nullptr when the profile leaves it local with the machine's pool.
    const SiteBinding* binding(const std::string& site) const;
};

struct Deployment {
    std::filesystem::path file;
    std::string defaultProfile;                 // the profile used when none is named; "" when
                                                // the file has several and names no default
    std::map<std::string, Profile> profiles;    // by name
    /// The profile `name` (the default when empty); throws DeployError naming the choices.
    const Profile& profile(const std::string& name) const;
};

/// Reads a deployment file. Throws DeployError (with its place) for anything wrong in it:
/// TOML syntax, an unknown key, a value of the wrong kind or range.
Deployment readDeployment(const std::filesystem::path& file);
/// The same from text (`file` names it in messages): for tests and the fuzz target.
Deployment parseDeployment(const std::string& text, const std::string& file);

}  // namespace xdml::deploy
