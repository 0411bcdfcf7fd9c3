// test_sbatch_script.cpp — `xdmlc submit`'s batch script from profiles built in code
// (deploy/JobComponents.cpp, deploy/SbatchScript.cpp): components and ranks, merged requests,
// the plugin choice and its refusals, the hetjob fallback, the stop-signal trap.
#include "deploy/JobComponents.h"
#include "deploy/SbatchScript.h"

#include <catch2/catch.hpp>

using namespace xdml::deploy;

namespace {

SiteBinding mpiSite(const std::string& name, int ranks, SlurmRequest request) {
    SiteBinding b;
    b.site = name;
    b.placement = Placement::Mpi;
    b.ranks = ranks;
    request.at = {"d.toml", 10, 1};
    b.slurm = request;
    return b;
}

SiteBinding localSite(const std::string& name, std::optional<SlurmRequest> request = std::nullopt) {
    SiteBinding b;
    b.site = name;
    if (request) request->at = {"d.toml", 20, 1};
    b.slurm = request;
    return b;
}

Profile profileOf(std::vector<SiteBinding> sites, const std::string& mpi = "openmpi", bool hetjob = true) {
    Profile p;
    p.name = "cluster";
    p.mpi = mpi;
    p.hetjob = hetjob;
    p.at = {"d.toml", 1, 1};
    for (auto& s : sites) p.sites[s.site] = s;
    return p;
}

SlurmRequest request(const std::string& partition, int cpus, const std::string& memory, const std::string& time) {
    SlurmRequest r;
    r.partition = partition;
    r.cpusPerTask = cpus;
    r.memory = memory;
    r.wallTime = time;
    return r;
}

std::string scriptOf(const Profile& p, std::vector<std::string> order, const std::string& after = "") {
    SbatchJob job;
    job.profile = &p;
    job.siteOrder = std::move(order);
    job.jobName = "relay";
    job.xdmlc = "/opt/xdml/bin/xdmlc";
    job.plan = "/w/plan.json";
    job.deployment = "/w/deploy.toml";
    job.workdir = "/w";
    job.after = after;
    return sbatchScript(job);
}

std::string errorOf(const Profile& p, std::vector<std::string> order) {
    try {
        scriptOf(p, std::move(order));
    } catch (const DeployError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("components follow the plan's site order after the coordinator's", "[submit]") {
    Profile p = profileOf({mpiSite("hpc", 4, request("gpu", 8, "64G", "01:00:00")), mpiSite("edge", 2, {}), localSite("beamline")});
    auto c = jobComponents(p, {"beamline", "edge", "hpc", "unbound"});
    REQUIRE(c.size() == 3);
    CHECK(c[0].sites == std::vector<std::string>{"beamline", "unbound"});
    CHECK(c[0].tasks == 1);
    CHECK(c[1].sites == std::vector<std::string>{"edge"});
    CHECK((c[1].firstRank == 1 && c[1].tasks == 2));
    CHECK((c[2].firstRank == 3 && c[2].tasks == 4));
    // component 0 asked nothing: it borrows where the first site asking runs, and for how long
    CHECK(c[0].request.partition == "gpu");
    CHECK(c[0].request.wallTime == "01:00:00");
    CHECK(c[0].request.memory.empty());
}

TEST_CASE("a heterogeneous job: one #SBATCH block per component, one srun over all", "[submit]") {
    SlurmRequest hpc = request("gpu", 8, "64G", "01:00:00");
    hpc.account = "xpcs";
    hpc.nodes = 2;
    hpc.gpusPerNode = 4;
    hpc.setup = {"module load cuda", "module load openmpi"};
    Profile p = profileOf({mpiSite("hpc", 4, hpc), localSite("beamline", request("login", 2, "4G", "02:00:00"))});
    std::string s = scriptOf(p, {"beamline", "hpc"}, "1234");
    CHECK(s.rfind("#!/bin/bash\n", 0) == 0);
    CHECK_THAT(s, Catch::Contains("#SBATCH --signal=B:USR1@120\n#SBATCH --dependency=afterok:1234\n"
                                  "#SBATCH --partition=login\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=2\n"
                                  "#SBATCH --mem=4G\n#SBATCH --time=02:00:00\n#SBATCH hetjob\n"
                                  "#SBATCH --partition=gpu\n#SBATCH --account=xpcs\n#SBATCH --nodes=2\n"
                                  "#SBATCH --ntasks=4\n#SBATCH --cpus-per-task=8\n#SBATCH --gpus-per-node=4\n"
                                  "#SBATCH --mem=64G\n#SBATCH --time=01:00:00\n\nmodule load cuda\nmodule load openmpi\n"));
    CHECK_THAT(s, Catch::Contains("srun -K --mpi=pmix --het-group=0,1 /opt/xdml/bin/xdmlc run /w/plan.json "
                                  "--deploy /w/deploy.toml --profile cluster --workdir /w &\n"));
    CHECK_THAT(s, Catch::Contains("# component 1: ranks 1-4 (site hpc)"));
    CHECK_THAT(s, Catch::Contains("trap 'stopping=1; kill -USR1 \"$run\"' USR1"));
    // the profile's MPI chooses the plugin each rank loads, not srun's --mpi (Launcher.h)
    CHECK_THAT(s, Catch::Contains("module load openmpi\n\n# The profile's MPI"));
    CHECK_THAT(s, Catch::Contains("\nexport XDML_MPI=openmpi\n\n# Slurm's SIGUSR1"));
}

TEST_CASE("without heterogeneous steps: one allocation for every rank", "[submit]") {
    SlurmRequest a = request("batch", 4, "8G", "30");
    a.nodes = 1;
    SlurmRequest b = request("batch", 2, "16G", "1-00:00:00");
    b.nodes = 2;
    Profile p = profileOf({mpiSite("a", 3, a), mpiSite("b", 2, b)}, "mpich", false);
    std::string s = scriptOf(p, {"a", "b"});
    CHECK(s.find("hetjob\n") == std::string::npos);
    CHECK_THAT(s, Catch::Contains("#SBATCH --partition=batch\n#SBATCH --nodes=3\n#SBATCH --ntasks=6\n"
                                  "#SBATCH --cpus-per-task=4\n#SBATCH --mem=16G\n#SBATCH --time=1-00:00:00\n"));
    CHECK_THAT(s, Catch::Contains("srun -K --mpi=pmi2 -n 6 /opt/xdml/bin/xdmlc run"));
}

TEST_CASE("one allocation cannot hold two partitions", "[submit]") {
    Profile p = profileOf({mpiSite("a", 2, request("batch", 1, "", "")), mpiSite("b", 2, request("gpu", 1, "", ""))}, "openmpi", false);
    std::string e = errorOf(p, {"a", "b"});
    CHECK_THAT(e, Catch::Contains("d.toml:10:1: error: site 'b' asks for partition 'gpu' and site 'a'"));
}

TEST_CASE("the MPI plugin: named by the sites, else the MPI's own, and MPICH under pmix refused", "[submit]") {
    CHECK_THAT(scriptOf(profileOf({mpiSite("a", 2, {})}, "mpich"), {"a"}), Catch::Contains("srun -K --mpi=pmi2 --het-group=0,1 "));
    SlurmRequest pmix;
    pmix.mpiPlugin = "pmix_v4";
    CHECK_THAT(scriptOf(profileOf({mpiSite("a", 2, pmix)}, ""), {"a"}), Catch::Contains("--mpi=pmix_v4 "));
    CHECK(scriptOf(profileOf({mpiSite("a", 2, pmix)}, ""), {"a"}).find("XDML_MPI") == std::string::npos);  // srun's plugin tells
    CHECK_THAT(scriptOf(profileOf({mpiSite("a", 2, {})}, "mpich"), {"a"}), Catch::Contains("\nexport XDML_MPI=mpich\n"));
    CHECK_THAT(errorOf(profileOf({mpiSite("a", 2, pmix)}, "mpich"), {"a"}),
               Catch::Contains("MPICH under srun --mpi=pmix_v4 starts every rank alone (each rank 0 of 1)"));
    CHECK_THAT(errorOf(profileOf({mpiSite("a", 2, {})}, ""), {"a"}),
               Catch::Contains("profile 'cluster' runs 3 MPI ranks but says not which MPI"));
    SlurmRequest pmi2;
    pmi2.mpiPlugin = "pmi2";
    CHECK_THAT(errorOf(profileOf({mpiSite("a", 1, pmix), mpiSite("b", 1, pmi2)}, ""), {"a", "b"}),
               Catch::Contains("one srun starts every rank with one plugin"));
}

TEST_CASE("srun under pmix over components is watched for the hang after the run (Slurm ticket 16817)", "[submit]") {
    const std::string watched = scriptOf(profileOf({mpiSite("a", 2, {})}, "openmpi"), {"a"});
    CHECK_THAT(watched, Catch::Contains("export XDML_RUN_EXIT_FILE=/w/.run-exit-\"$SLURM_JOB_ID\"\n"));
    CHECK_THAT(watched, Catch::Contains("grace=${XDML_SRUN_EXIT_GRACE:-15}\n"));
    // the watch starts after srun and the script reads rank 0's status only when the watch ended srun
    CHECK(watched.find("srun -K --mpi=pmix") < watched.find("watch=$!\nwait \"$run\"\n"));
    CHECK_THAT(watched, Catch::Contains("if [ -e \"$XDML_RUN_EXIT_FILE.ended\" ]; then status=$(cat \"$XDML_RUN_EXIT_FILE\"); fi\n"));
    SlurmRequest v4;
    v4.mpiPlugin = "pmix_v4";
    CHECK_THAT(scriptOf(profileOf({mpiSite("a", 2, v4)}, ""), {"a"}), Catch::Contains("XDML_RUN_EXIT_FILE"));
    // MPICH's pmi2, one step without components, and a one-rank job do not race in the plugin
    CHECK(scriptOf(profileOf({mpiSite("a", 2, {})}, "mpich"), {"a"}).find("XDML_RUN_EXIT_FILE") == std::string::npos);
    CHECK(scriptOf(profileOf({mpiSite("a", 2, {})}, "openmpi", false), {"a"}).find("XDML_RUN_EXIT_FILE") == std::string::npos);
    CHECK(scriptOf(profileOf({localSite("a")}, "openmpi"), {"a"}).find("XDML_RUN_EXIT_FILE") == std::string::npos);
}

TEST_CASE("every site local: one task, no heterogeneous job", "[submit]") {
    std::string s = scriptOf(profileOf({localSite("a"), localSite("b", request("", 2, "", "10:00"))}, ""), {"a", "b"});
    CHECK(s.find("hetjob") == std::string::npos);
    CHECK_THAT(s, Catch::Contains("#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=2\n#SBATCH --time=10:00\n"));
    CHECK_THAT(s, Catch::Contains("srun -K --mpi=none /opt/xdml/bin/xdmlc run"));
    CHECK_THAT(s, Catch::Contains("# rank 0 (the coordinator; local sites: a, b)"));
}

TEST_CASE("Slurm's sizes and times, compared", "[submit]") {
    CHECK(slurmMemoryMiB("64G") == 65536);
    CHECK(slurmMemoryMiB("512") == 512);
    CHECK(slurmMemoryMiB("2048K") == 2);
    CHECK(slurmMemoryMiB("1T") == 1048576);
    CHECK(slurmMemoryMiB("lots") == -1);
    CHECK(slurmTimeSeconds("90") == 5400);
    CHECK(slurmTimeSeconds("30:15") == 1815);
    CHECK(slurmTimeSeconds("01:30:00") == 5400);
    CHECK(slurmTimeSeconds("2-00") == 172800);
    CHECK(slurmTimeSeconds("1-02:03:04") == 93784);
    CHECK(slurmTimeSeconds("1:2:3:4") == -1);
}

TEST_CASE("shell quoting of paths", "[submit]") {
    CHECK(shellQuoted("/w/plan.json") == "/w/plan.json");
    CHECK(shellQuoted("/my runs/it's") == "'/my runs/it'\\''s'");
    CHECK(shellQuoted("") == "''");
}
