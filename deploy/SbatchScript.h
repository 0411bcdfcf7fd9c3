// SbatchScript.h — the batch script `xdmlc submit` hands to sbatch (docs/distributed.md,
// "Submitting to Slurm"): one heterogeneous-job component per `mpi` site after component 0 (the
// coordinator and the local sites), the profile's setup lines, and one `srun -K` that starts every
// rank as one distributed `xdmlc run`. Plain text from plain data: no Slurm is needed to make it.
#pragma once

#include "deploy/Deployment.h"

#include <string>
#include <vector>

namespace xdml::deploy {

/// Seconds before the wall time at which Slurm sends SIGUSR1 to the batch shell, which passes
/// it to the run: the run stops cleanly, resumable, before Slurm kills it.
constexpr int kStopSignalLeadSeconds = 120;
/// How long srun may take to return after rank 0 has ended before the script ends it (only
/// under --mpi=pmix with heterogeneous components; XDML_SRUN_EXIT_GRACE in the job overrides).
constexpr int kSrunExitGraceSeconds = 15;

struct SbatchJob {
    const Profile* profile = nullptr;
    std::vector<std::string> siteOrder;  // the plan's sites, in its order
    std::string jobName;                 // the flow file's stem
    std::string xdmlc;                   // the xdmlc each rank runs (absolute)
    std::string plan, deployment, workdir;  // absolute: the plan, the deployment file's copy, the work directory
    std::string after;                   // a job id this one waits for (afterok), or ""
    bool resume = false;                 // the run reuses the work directory's finished work
};

/// The script. Throws DeployError when the profile cannot be submitted as it is (sites asking
/// for different partitions in one allocation, MPICH under pmix, many ranks and no MPI named).
std::string sbatchScript(const SbatchJob& job);

/// `word` quoted for a POSIX shell when it needs it.
std::string shellQuoted(const std::string& word);

}  // namespace xdml::deploy
