// Launcher.h — whether this process was started by an MPI launcher (mpirun, mpiexec, srun) as
// one of several tasks, which MPI that launcher belongs to, and loading that MPI's plugin
// (MpiApi.h). Read from the environment only: nothing is initialised for a local run.
#pragma once

#include "runtime/distributed/MpiApi.h"

#include <functional>
#include <string>

namespace xdml::runtime::distributed {

struct LaunchInfo {
    int tasks = 1;            // the tasks the launcher says it started (1: a local run)
    std::string launcher;     // "mpirun (OpenMPI)", "mpiexec (MPICH)", "srun --mpi=pmix", ...
    std::string mpi;          // the plugin to load: "openmpi" or "mpich"
    std::string error;        // set when the environment is contradictory or XDML_MPI is wrong
    bool distributed() const { return tasks > 1 && error.empty(); }
};

/// Reads OMPI_COMM_WORLD_SIZE (OpenMPI's mpirun), PMI_SIZE (MPICH's hydra), SLURM_STEP_NUM_TASKS
/// with SLURM_MPI_TYPE and PMIX_RANK (srun), and XDML_MPI (openmpi|mpich), which overrides the
/// choice of plugin. `env` is getenv or a test's.
LaunchInfo detectLaunch(const std::function<const char*(const char*)>& env);

/// The refusal when the launcher started `tasks` tasks but MPI sees a world of `worldSize`
/// (MPICH under `srun --mpi=pmix` starts singletons, each "rank 0 of 1"); "" when they agree.
std::string singletonProblem(const LaunchInfo& launch, int worldSize);

/// Loads xdml_mpi_<mpi>.so from the folder of the xdmlc executable (else where the build
/// wrote it). Throws std::runtime_error naming each place tried and why it failed.
const XdmlMpiApi& loadMpiPlugin(const std::string& mpi, const std::string& builtDir);

}  // namespace xdml::runtime::distributed
