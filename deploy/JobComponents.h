// JobComponents.h — how a profile's sites become the components of one Slurm job, and which
// ranks each holds (docs/distributed.md, "Submitting to Slurm"). The rank order is the MPI
// executor's: rank 0 is the coordinator with every `local` site on its pool; then each `mpi` site
// takes its ranks in the plan's site order. So component 0 is rank 0 (and what the local sites
// ask of Slurm), and component k ≥ 1 is the k-th `mpi` site: `srun --het-group=0,...,n` numbers
// the ranks of the components one after another, which is that layout.
#pragma once

#include "deploy/Deployment.h"

#include <string>
#include <vector>

namespace xdml::deploy {

/// One heterogeneous-job component: what it asks of Slurm and the sites whose ranks it holds.
struct JobComponent {
    std::vector<std::string> sites;  // component 0: the local sites (rank 0 runs them)
    int tasks = 1;                   // its MPI ranks
    int firstRank = 0;
    SlurmRequest request;            // tasks as above; the rest as the sites asked
};

/// The components of `profile` for a flow declaring `siteOrder` (the plan's order; sites the
/// profile does not bind are local). Component 0 takes the local sites' Slurm requests, merged;
/// when they ask nothing it borrows partition, account and wall time from the first `mpi` site that
/// asks for any of them, so the coordinator lands where the sites do and lives as long. Throws DeployError when two requests
/// that must agree do not.
std::vector<JobComponent> jobComponents(const Profile& profile, const std::vector<std::string>& siteOrder);

/// All components as one allocation, for clusters without heterogeneous steps: every rank, the
/// largest cpus/gpus/memory/time any asked, the nodes summed when each component says them.
/// Throws DeployError when they ask for different partitions or accounts.
JobComponent oneAllocation(const std::vector<JobComponent>& components);

/// The `srun --mpi=` plugin: the one the sites name (they must agree), else the profile's MPI's
/// own (openmpi: pmix, mpich: pmi2), else "none" for a one-rank job. Throws DeployError for more
/// ranks with no MPI named, and for MPICH under pmix (every rank would start alone).
std::string mpiPlugin(const Profile& profile, const std::vector<JobComponent>& components);

/// Slurm's --mem in MiB ("64G" → 65536; no unit is MiB); -1 when not a size.
long long slurmMemoryMiB(const std::string& memory);
/// Slurm's --time in seconds ("1-02:00:00", "90", "30:00"); -1 when not a time.
long long slurmTimeSeconds(const std::string& time);

}  // namespace xdml::deploy
