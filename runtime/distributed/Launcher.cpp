// Launcher.cpp — see Launcher.h.
#include "runtime/distributed/Launcher.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace xdml::runtime::distributed {

namespace {

int number(const char* text) {
    if (!text || !*text) return 0;
    char* end = nullptr;
    const long n = std::strtol(text, &end, 10);
    return *end == '\0' && n > 0 && n < 1 << 24 ? static_cast<int>(n) : 0;
}

}  // namespace

LaunchInfo detectLaunch(const std::function<const char*(const char*)>& env) {
    LaunchInfo out;
    // mpirun's own variables first (it may run inside a Slurm allocation), then srun's, then
    // hydra's (which srun --mpi=pmi2 may set too).
    if (const int n = number(env("OMPI_COMM_WORLD_SIZE")); n > 0) {
        out.tasks = n;
        out.launcher = "mpirun (OpenMPI)";
        out.mpi = "openmpi";
    } else if (const int n = number(env("SLURM_STEP_NUM_TASKS")); n > 0 && env("SLURM_MPI_TYPE")) {
        const std::string type = env("SLURM_MPI_TYPE");
        out.tasks = n;
        out.launcher = "srun --mpi=" + type;
        // pmi2 is how MPICH joins one world under srun; PMIx is OpenMPI's.
        out.mpi = type.rfind("pmi2", 0) == 0 ? "mpich" : type.rfind("pmix", 0) == 0 || env("PMIX_RANK") ? "openmpi" : "";
    } else if (const int n = number(env("PMI_SIZE")); n > 0) {
        out.tasks = n;
        out.launcher = "mpiexec (MPICH)";
        out.mpi = "mpich";
    }
    if (const char* chosen = env("XDML_MPI"); chosen && *chosen) {
        const std::string mpi = chosen;
        if (mpi != "openmpi" && mpi != "mpich") out.error = "XDML_MPI is '" + mpi + "': it must be openmpi or mpich";
        else out.mpi = mpi;
    }
    if (out.tasks > 1 && out.mpi.empty() && out.error.empty())
        out.error = out.launcher + " started " + std::to_string(out.tasks) +
                    " tasks, but which MPI it uses is not known: set XDML_MPI=openmpi or XDML_MPI=mpich";
    return out;
}

std::string singletonProblem(const LaunchInfo& launch, int worldSize) {
    if (launch.tasks <= 1 || worldSize == launch.tasks) return "";
    if (worldSize == 1)
        return launch.launcher + " started " + std::to_string(launch.tasks) + " tasks, but " + launch.mpi +
               " sees each as a world of one rank (singletons: MPICH under srun --mpi=pmix does this); "
               "refusing to run the flow " + std::to_string(launch.tasks) +
               " times. Use srun --mpi=pmi2 with MPICH, or OpenMPI with --mpi=pmix";
    return launch.launcher + " started " + std::to_string(launch.tasks) + " tasks, but MPI's world has " +
           std::to_string(worldSize) + " ranks";
}

const XdmlMpiApi& loadMpiPlugin(const std::string& mpi, const std::string& builtDir) {
    const std::string name = "xdml_mpi_" + mpi + ".so";
    std::vector<std::string> candidates;
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back((self.parent_path() / name).string());
    if (!builtDir.empty() && (candidates.empty() || std::filesystem::path(builtDir) != self.parent_path()))
        candidates.push_back((std::filesystem::path(builtDir) / name).string());
    std::string tried;
    for (const std::string& path : candidates) {
        if (!std::filesystem::exists(path, ec)) {
            tried += "\n  " + path + ": no such file";
            continue;
        }
        // RTLD_GLOBAL: OpenMPI's own components (dlopened by libmpi) need its symbols global.
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
        if (!handle) {
            tried += "\n  " + path + ": " + dlerror();
            continue;
        }
        auto api = reinterpret_cast<XdmlMpiApiFunction>(dlsym(handle, "xdml_mpi_api"));
        if (!api) {
            tried += "\n  " + path + ": no xdml_mpi_api in it";
            continue;
        }
        const XdmlMpiApi* table = api();
        if (table->abiVersion != kXdmlMpiAbiVersion) {
            tried += "\n  " + path + ": ABI version " + std::to_string(table->abiVersion) + ", not " +
                     std::to_string(kXdmlMpiAbiVersion);
            continue;
        }
        return *table;
    }
    throw std::runtime_error("cannot load the MPI plugin " + name + "; tried:" + tried);
}

}  // namespace xdml::runtime::distributed
