// test_deployment_file.cpp — the deployment file reader (deploy/DeploymentFile.cpp): every key
// read into the data model, defaults, each kind of problem refused at its file:line:column, and
// the cap a local binding puts on its site's worker pool.
#include "TempDir.h"
#include "deploy/Deployment.h"
#include "deploy/DeploymentFormats.h"
#include "runtime/engine/WorkerPool.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace xdml::deploy;

namespace {

Deployment parse(const std::string& text) { return parseDeployment(text, "d.toml"); }

/// The error a text raises ("" when it reads).
std::string errorOf(const std::string& text) {
    try {
        parse(text);
    } catch (const DeployError& e) {
        return e.what();
    }
    return "";
}

const char* cluster = R"(default = "cluster"

[profiles.laptop.sites.beamline]
placement = "local"
threads_per_rank = 2

[profiles.cluster]
mpi = "openmpi"
hetjob = false

[profiles.cluster.sites.hpc]
placement = "mpi"
ranks = 4
threads_per_rank = 8
gpus = 2

[profiles.cluster.sites.hpc.slurm]
partition = "gpu"
account = "aps-ssx"
nodes = 2
cpus_per_task = 8
gpus_per_node = 1
memory = "64G"
time = "01:30:00"
mpi = "pmix"
setup = ["module load openmpi/4.1", "export OMP_PROC_BIND=close"]
)";

}  // namespace

TEST_CASE("deployment: a cluster profile reads into the data model", "[deploy]") {
    Deployment d = parse(cluster);
    CHECK(d.defaultProfile == "cluster");
    REQUIRE(d.profiles.size() == 2);
    const Profile& p = d.profile("");
    CHECK(p.name == "cluster");
    CHECK(p.mpi == "openmpi");
    CHECK_FALSE(p.hetjob);
    const SiteBinding* hpc = p.binding("hpc");
    REQUIRE(hpc);
    CHECK(hpc->placement == Placement::Mpi);
    CHECK(hpc->ranks == 4);
    CHECK(hpc->threadsPerRank == 8);
    CHECK(hpc->cores == 32);
    CHECK(hpc->gpus == 2);
    CHECK(hpc->gpusBound);
    CHECK(hpc->at.str() == "d.toml:11:1");
    REQUIRE(hpc->slurm);
    const SlurmRequest& s = *hpc->slurm;
    CHECK(s.partition == "gpu");
    CHECK(s.account == "aps-ssx");
    CHECK(s.nodes == 2);
    CHECK(s.tasks == 0);
    CHECK(s.cpusPerTask == 8);
    CHECK(s.gpusPerNode == 1);
    CHECK(s.memory == "64G");
    CHECK(s.wallTime == "01:30:00");
    CHECK(s.mpiPlugin == "pmix");
    CHECK(s.setup == std::vector<std::string>{"module load openmpi/4.1", "export OMP_PROC_BIND=close"});
    CHECK(p.binding("beamline") == nullptr);
}

TEST_CASE("deployment: defaults of a local binding and of a file with one profile", "[deploy]") {
    Deployment d = parse("[profiles.only.sites.edge]\n");
    CHECK(d.defaultProfile == "only");
    const SiteBinding& edge = d.profile("").sites.at("edge");
    CHECK(edge.placement == Placement::Local);
    CHECK(edge.ranks == 1);
    CHECK(edge.threadsPerRank == 0);
    CHECK(edge.prefetch == 0);
    CHECK(edge.cores == 0);
    CHECK(edge.gpus == 0);
    CHECK_FALSE(edge.gpusBound);
    CHECK_FALSE(edge.slurm);
    CHECK(d.profile("").hetjob);
    CHECK(d.profile("").mpi.empty());

    const Deployment both = parse(cluster);  // kept: the binding is a reference into it
    CHECK(both.profile("laptop").sites.at("beamline").cores == 2);
}

TEST_CASE("deployment: what Slurm grants fills the binding", "[deploy]") {
    Deployment d = parse(R"([profiles.p.sites.hpc]
placement = "mpi"
[profiles.p.sites.hpc.slurm]
tasks = 6
cpus_per_task = 4
gpus_per_node = 2
nodes = 3
time = 02:15:00
)");
    const SiteBinding& hpc = d.profile("p").sites.at("hpc");
    CHECK(hpc.ranks == 6);
    CHECK(hpc.cores == 24);
    CHECK(hpc.gpus == 6);
    CHECK(hpc.gpusBound);
    CHECK(hpc.slurm->wallTime == "02:15:00");
}

TEST_CASE("deployment: choosing a profile", "[deploy]") {
    Deployment d = parse(cluster);
    CHECK(d.profile("laptop").name == "laptop");
    CHECK_THROWS_WITH(d.profile("clustr"), Catch::Contains("no profile 'clustr' (did you mean 'cluster'?)") &&
                                               Catch::Contains("'cluster', 'laptop'"));
    Deployment two = parse("[profiles.a]\n[profiles.b]\n");
    CHECK(two.defaultProfile.empty());
    CHECK_THROWS_WITH(two.profile(""), Catch::Contains("sets no `default`; choose one of 'a', 'b'"));
}

TEST_CASE("deployment: TOML syntax errors name their place", "[deploy]") {
    CHECK_THAT(errorOf("[profiles.a\n"), Catch::StartsWith("d.toml:1:") && Catch::Contains("error: TOML:"));
    CHECK_THAT(errorOf("default = \"a\"\n[profiles.a.sites.x]\nranks = = 2\n"), Catch::StartsWith("d.toml:3:"));
    CHECK_THAT(errorOf("[profiles.a]\n[profiles.a]\n"), Catch::StartsWith("d.toml:2:"));
}

TEST_CASE("deployment: prefetch is read for an mpi binding and refused for a local one", "[deploy]") {
    const Deployment d = parse("[profiles.a.sites.x]\nplacement = \"mpi\"\nprefetch = 3\n");
    CHECK(d.profile("").sites.at("x").prefetch == 3);
    CHECK(errorOf("[profiles.a.sites.x]\nprefetch = 1\n") ==
          "d.toml:2:12: error: 'prefetch' needs placement = \"mpi\" (calls are held ahead at a site's ranks)");
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nplacement = \"mpi\"\nprefetch = -1\n"), Catch::Contains("prefetch"));
}

TEST_CASE("deployment: unknown keys suggest the nearest known key", "[deploy]") {
    CHECK(errorOf("[profiles.a.sites.x]\nthread_per_rank = 2\n") ==
          "d.toml:2:1: error: unknown key 'thread_per_rank' in [profiles.a.sites.x] (did you mean 'threads_per_rank'?); "
          "known: placement, ranks, threads_per_rank, prefetch, gpus, slurm");
    CHECK_THAT(errorOf("[profiles.a.sites.x.slurm]\ncpus-per-task = 2\n"),
               Catch::StartsWith("d.toml:2:1: error: unknown key 'cpus-per-task' in [profiles.a.sites.x.slurm] (did you mean 'cpus_per_task'?)"));
    CHECK_THAT(errorOf("defualt = \"a\"\n[profiles.a]\n"), Catch::Contains("(did you mean 'default'?)"));
    CHECK_THAT(errorOf("[profiles.a]\nhetjobs = false\n"), Catch::Contains("(did you mean 'hetjob'?)"));
    CHECK_THAT(errorOf("[profiles.a]\nzzzzzz = 1\n"), !Catch::Contains("did you mean") && Catch::Contains("known: sites, mpi, hetjob"));
}

TEST_CASE("deployment: wrong types and out-of-range numbers", "[deploy]") {
    CHECK(errorOf("[profiles.a.sites.x]\nplacement = \"mpi\"\nranks = \"4\"\n") ==
          "d.toml:3:9: error: 'ranks' must be an integer, not a string");
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nplacement = \"mpi\"\nranks = 0\n"),
               Catch::StartsWith("d.toml:3:9:") && Catch::Contains("'ranks' = 0 is out of range (1 to 65536)"));
    CHECK_THAT(errorOf("[profiles.a.sites.x]\ngpus = -1\n"), Catch::Contains("'gpus' = -1 is out of range"));
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nthreads_per_rank = 2.5\n"), Catch::Contains("not a number with a fraction"));
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nranks = 99999999999999\n"), Catch::Contains("out of range"));
    CHECK_THAT(errorOf("[profiles.a]\nhetjob = \"no\"\n"), Catch::Contains("'hetjob' must be true or false"));
    CHECK_THAT(errorOf("profiles = 3\n"), Catch::Contains("'profiles' in the top level must be a table, not an integer"));
    CHECK_THAT(errorOf("profiles.a = 3\n"), Catch::Contains("profile 'a' must be a table"));
    CHECK_THAT(errorOf("[profiles.a]\nsites.x = \"mpi\"\n"), Catch::Contains("site 'x' must be a table"));
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nslurm = 1\n"), Catch::Contains("'slurm' in [profiles.a.sites.x] must be a table"));
    CHECK_THAT(errorOf("[profiles.a.sites.x.slurm]\nsetup = \"module load x\"\n"), Catch::Contains("'setup' must be an array of lines"));
    CHECK_THAT(errorOf("[profiles.a.sites.x.slurm]\nsetup = [\"a\", 2]\n"), Catch::StartsWith("d.toml:2:15:"));
    CHECK_THAT(errorOf("[profiles.a.sites.x.slurm]\nsetup = [\"a\\nb\"]\n"), Catch::Contains("holds a line break"));
}

TEST_CASE("deployment: placements, plugins and flavours are named", "[deploy]") {
    CHECK(errorOf("[profiles.a.sites.x]\nplacement = \"mip\"\n") ==
          "d.toml:2:13: error: unknown placement 'mip' (did you mean 'mpi'?); known: local, mpi");
    CHECK_THAT(errorOf("[profiles.a]\nmpi = \"intel\"\n"), Catch::Contains("unknown mpi 'intel'; known: openmpi, mpich"));
    CHECK_THAT(errorOf("[profiles.a.sites.x.slurm]\nmpi = \"pmi\"\n"), Catch::Contains("unknown mpi plugin 'pmi'"));
    CHECK_THAT(errorOf("[profiles.a]\nmpi = \"mpich\"\n[profiles.a.sites.x]\nplacement = \"mpi\"\n[profiles.a.sites.x.slurm]\nmpi = \"pmix\"\n"),
               Catch::StartsWith("d.toml:6:7:") && Catch::Contains("use mpi = \"pmi2\""));
    CHECK(errorOf("[profiles.a]\nmpi = \"mpich\"\n[profiles.a.sites.x.slurm]\nmpi = \"pmi2\"\n").empty());
}

TEST_CASE("deployment: memory and wall time in Slurm's formats", "[deploy]") {
    for (const char* ok : {"64G", "512M", "1024", "2T", "100k"}) CHECK(isSlurmMemory(ok));
    for (const char* bad : {"", "G", "64GB", "1.5G", "-1G", "0", "64 G", "9999999999G"}) CHECK_FALSE(isSlurmMemory(bad));
    for (const char* ok : {"30", "30:00", "01:30:00", "2-00:00:00", "2-12", "1-2:30", "0"}) CHECK(isSlurmTime(ok));
    for (const char* bad : {"", "1:60", "1:00:61", "2-24:00:00", "a", "1-", "-1", "1::0", "1:2:3:4", "1-1-1"}) CHECK_FALSE(isSlurmTime(bad));
    CHECK(errorOf("[profiles.a.sites.x.slurm]\nmemory = \"64GB\"\n") ==
          "d.toml:2:10: error: 'memory' = '64GB' is not a Slurm size: digits and a unit K, M, G or T, e.g. \"64G\"");
    CHECK_THAT(errorOf("[profiles.a.sites.x.slurm]\ntime = \"90 minutes\"\n"), Catch::Contains("is not a Slurm wall time"));
    CHECK_THAT(errorOf("[profiles.a.sites.x.slurm]\npartition = \"gpu debug\"\n"), Catch::Contains("must be one word"));
}

TEST_CASE("deployment: the binding and its Slurm request must agree", "[deploy]") {
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nplacement = \"mpi\"\nranks = 4\n[profiles.a.sites.x.slurm]\ntasks = 2\n"),
               Catch::StartsWith("d.toml:5:9:") && Catch::Contains("differs from the site's 'ranks' = 4"));
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nranks = 4\n"), Catch::Contains("needs placement = \"mpi\""));
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nplacement = \"mpi\"\nthreads_per_rank = 8\n[profiles.a.sites.x.slurm]\ncpus_per_task = 4\n"),
               Catch::StartsWith("d.toml:3:20:") && Catch::Contains("exceeds the slurm 'cpus_per_task' = 4"));
    CHECK_THAT(errorOf("[profiles.a.sites.x]\ngpus = 4\n[profiles.a.sites.x.slurm]\ngpus_per_node = 1\nnodes = 2\n"),
               Catch::Contains("'gpus' = 4 exceeds what slurm grants (2"));
}

TEST_CASE("deployment: profile sets and the default", "[deploy]") {
    CHECK(errorOf("") == "d.toml:1:1: error: the file declares no profile: add one, e.g. [profiles.laptop.sites.SITE] with placement = \"local\"");
    CHECK_THAT(errorOf("default = \"a\"\n[profiles]\n"), Catch::Contains("declares no profile"));
    CHECK(errorOf("default = \"clustr\"\n[profiles.cluster]\n[profiles.laptop]\n") ==
          "d.toml:1:11: error: default = 'clustr' names no profile (did you mean 'cluster'?); the file has cluster, laptop");
    CHECK_THAT(errorOf("default = 1\n[profiles.a]\n"), Catch::Contains("'default' must be a string, not an integer"));
    CHECK_THAT(errorOf("[profiles.\"a b\"]\n"), Catch::Contains("profile name 'a b'"));
    CHECK_THAT(errorOf("[profiles.a.sites.\"1x\"]\n"), Catch::Contains("site name '1x' is not a name"));
}

TEST_CASE("deployment: reading a file", "[deploy]") {
    xdml::test::TempDir dir("deploy");
    CHECK_THROWS_WITH(readDeployment(dir / "missing.toml"), Catch::EndsWith("missing.toml: error: cannot read the deployment file"));
    CHECK_THROWS_WITH(readDeployment(dir.path()), Catch::Contains("is a directory"));
    std::ofstream(dir / "d.toml") << cluster;
    Deployment d = readDeployment(dir / "d.toml");
    CHECK(d.file == dir / "d.toml");
    CHECK(d.profile("cluster").binding("hpc")->at.file == (dir / "d.toml").string());
    CHECK_THAT(errorOf("[profiles.a.sites.x]\nx = \"\xff\"\n"), Catch::StartsWith("d.toml:2:"));
}

TEST_CASE("deployment: a local binding's cores cap its site's worker pool", "[deploy]") {
    using xdml::runtime::boundCores;
    Deployment d = parse(cluster);
    const SiteBinding* beamline = d.profile("laptop").binding("beamline");  // local, 2 threads
    CHECK(boundCores(8, beamline) == 2);
    CHECK(boundCores(0, beamline) == 2);   // the whole machine, capped
    CHECK(boundCores(1, beamline) == 1);   // never more than the plan's
    CHECK(boundCores(8, nullptr) == 8);
    CHECK(boundCores(64, d.profile("cluster").binding("hpc")) == 64);  // mpi: the MPI executor's ranks
    const Deployment plain = parse("[profiles.a.sites.x]\n");  // kept: the binding is a reference into it
    CHECK(boundCores(8, &plain.profile("a").sites.at("x")) == 8);
    CHECK(xdml::runtime::workersFor(boundCores(0, beamline), 16) == 2);
}
