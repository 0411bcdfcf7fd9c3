#!/usr/bin/python3
"""Tests on a real Slurm that this script starts and stops (tests/distributed/slurm_cluster.py):
MPI across the components of a heterogeneous job, and `xdmlc submit` running a flow to the end.

    run_slurm.py --xdmlc X CASE

Nothing here skips: a missing Slurm, munge or MPI package fails the case with its name."""
import contextlib
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "runtime"))
sys.path.insert(0, HERE)
import run_runtime as rt  # noqa: E402
from run_runtime import check  # noqa: E402
from slurm_cluster import ClusterUnavailable, SlurmCluster  # noqa: E402

CASES = {}
JOB_SECONDS = 90
# OpenMPI as root, oversubscribed, on loopback only (the measured facts).
OMPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
            "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_btl_tcp_if_include": "lo",
            "OMPI_MCA_oob_tcp_if_include": "lo"}
MPICC = {"openmpi": ("mpicc.openmpi", "libopenmpi-dev"), "mpich": ("mpicc.mpich", "libmpich-dev")}
# What a task records about its launch: the variables an MPI library finds its peers by.
LAUNCH_VARS = ("SLURM_STEP_NUM_TASKS", "SLURM_PROCID", "SLURM_MPI_TYPE", "PMIX_RANK",
               "PMIX_NAMESPACE", "PMI_RANK", "PMI_SIZE", "PMI_FD")


@contextlib.contextmanager
def test_slurm():
    """The test Slurm; a cluster that cannot start fails the case with the daemons' logs."""
    try:
        with SlurmCluster() as cluster:
            yield cluster
    except ClusterUnavailable as e:
        raise rt.Failure(f"the test Slurm did not start: {e}")


def compile_hello(flavour, tmp):
    cc, package = MPICC[flavour]
    if shutil.which(cc) is None:
        raise rt.Failure(f"{cc} is not installed: apt-get install {package} (scripts/install-deps.sh)")
    binary = os.path.join(tmp, f"hello_{flavour}")
    r = subprocess.run([cc, "-o", binary, os.path.join(HERE, "mpi_hello.c")], capture_output=True,
                       text=True, timeout=120)
    check(r.returncode == 0, f"{cc} mpi_hello.c failed:\n{r.stderr}")
    return binary


def sbatch(cluster, script, env=None):
    """Submits `script`; returns (job id, wall-clock time of the submission)."""
    submitted = time.time()
    r = subprocess.run(["sbatch", "--parsable"], input=script, text=True, capture_output=True,
                       env=dict(cluster.env, **(env or {})), timeout=30)
    check(r.returncode == 0, f"sbatch failed ({r.returncode}): {r.stderr}")
    return r.stdout.strip().split(";")[0], submitted


def wait_done(cluster, job_id):
    if not cluster.wait_job(job_id, JOB_SECONDS):
        raise rt.Failure(f"job {job_id} still queued after {JOB_SECONDS} s:\n{cluster.job_state(job_id)}"
                         f"\n{cluster.logs('slurmctld')}")


def hetjob_script(out, binary, plugin, record):
    """Two one-task components, one step across both; each task records its launch first."""
    grep = "|".join(LAUNCH_VARS)
    task = (f"date +%s.%N > {record}.start.$SLURM_PROCID; "
            f"env | grep -E \"^({grep})=\" | sort > {record}.env.$SLURM_PROCID; exec {binary}")
    return (f"#!/bin/sh\n#SBATCH --ntasks=1 --output={out}\n#SBATCH hetjob\n#SBATCH --ntasks=1\n"
            f"srun -K --het-group=0,1 --mpi={plugin} sh -c '{task}'\n")


def run_hello(cluster, tmp, name, binary, plugin):
    """Runs the hello world as a 2-component hetjob; returns (its output lines, the tasks'
    launch variables by rank, seconds from sbatch to the first task)."""
    out, record = os.path.join(tmp, f"{name}.out"), os.path.join(tmp, name)
    job, submitted = sbatch(cluster, hetjob_script(out, binary, plugin, record), OMPI_ENV)
    wait_done(cluster, job)
    text = open(out).read() if os.path.exists(out) else ""
    starts = [float(open(f"{record}.start.{r}").read()) for r in (0, 1)
              if os.path.exists(f"{record}.start.{r}")]
    check(len(starts) == 2, f"{name}: {len(starts)} of 2 tasks started; output:\n{text}")
    launch = {r: dict(line.split("=", 1) for line in open(f"{record}.env.{r}").read().split("\n") if line)
              for r in (0, 1)}
    return sorted(l for l in text.splitlines() if l.startswith("rank ")), launch, min(starts) - submitted


def case_mpi_hetjob(xdmlc, tmp):
    ompi, mpich = compile_hello("openmpi", tmp), compile_hello("mpich", tmp)
    with test_slurm() as cluster:
        for name, binary, plugin in (("openmpi-pmix", ompi, "pmix"), ("mpich-pmi2", mpich, "pmi2")):
            lines, launch, seconds = run_hello(cluster, tmp, name, binary, plugin)
            check(lines == ["rank 0 of 2 on " + cluster.host, "rank 1 of 2 on " + cluster.host],
                  f"{name}: expected one MPI_COMM_WORLD of 2 across the components, got {lines}")
            if plugin == "pmi2":  # the contrast to the singletons below (docs/distributed.md)
                check(all(env.get("PMI_SIZE") == "2" and "PMIX_RANK" not in env for env in launch.values()),
                      f"{name}: launch variables {launch}")
            print(f"{name}: one world of 2 across 2 components; sbatch to first task {seconds:.2f} s")
        # MPICH (built for PMI-1/PMI-2) under --mpi=pmix: no PMI_* variables reach it, so every
        # task starts alone. These are the variables `xdmlc run` can tell the case by.
        lines, launch, _ = run_hello(cluster, tmp, "mpich-pmix", mpich, "pmix")
        check(lines == ["rank 0 of 1 on " + cluster.host] * 2,
              f"mpich-pmix: expected two singletons (rank 0 of 1), got {lines}")
        for rank, env in launch.items():
            check(env.get("SLURM_STEP_NUM_TASKS") == "2" and env.get("SLURM_MPI_TYPE") == "pmix"
                  and env.get("PMIX_RANK") == str(rank) and "PMI_RANK" not in env
                  and "PMI_SIZE" not in env, f"mpich-pmix: task {rank}'s launch variables: {env}")
        print("mpich-pmix: singletons; SLURM_STEP_NUM_TASKS=2, PMIX_RANK set, no PMI_RANK/PMI_SIZE")


CASES["mpi_hetjob"] = case_mpi_hetjob

if __name__ == "__main__":
    sys.exit(rt.main(CASES, prefix="xdml-slurm"))
