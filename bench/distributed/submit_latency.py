"""submit_latency.py — figure 5 of bench_distributed.py: the time from `xdmlc submit` to the
first task call starting, on the test Slurm (tests/distributed/slurm_cluster.py: munge,
slurmctld and two slurmd on loopback, started here and stopped by PID). The flow is the Slurm
tests' two-site one (beamline on rank 0, hpc on ranks 1-2 of a component of its own); the
first task's start is its activity's `started` in provenance.db, the submission's the wall
clock before `xdmlc submit` runs (it writes the plan and the script, then calls sbatch)."""
import os
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "..", "tests", "distributed")
sys.path.insert(0, TESTS)
from slurm_cluster import ClusterUnavailable, SlurmCluster  # noqa: E402

import harness  # noqa: E402

FLOW = os.path.join(TESTS, "two_sites.xdml")
DEPLOY = os.path.join(TESTS, "two_sites.toml")
JOB_SECONDS = 120


def first_task(db):
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute("SELECT min(started) FROM activities WHERE kind = 'task'").fetchone()[0]
    finally:
        con.close()


def one_job(xdmlc, cluster, work, profile, env):
    submitted = time.time()
    r = subprocess.run([xdmlc, "submit", FLOW, "--deploy", DEPLOY, "--profile", profile, "--workdir", work],
                       capture_output=True, text=True, timeout=120, env=dict(cluster.env, **env))
    if r.returncode != 0 or not r.stdout.strip().isdigit():
        raise harness.BenchError(f"xdmlc submit --profile {profile}: exit {r.returncode}: {r.stderr.strip()}")
    job = r.stdout.strip()
    if not cluster.wait_job(job, JOB_SECONDS):
        out = os.path.join(work, f"slurm-{job}.out")
        text = open(out, errors="replace").read()[-1500:] if os.path.exists(out) else "(no output)"
        raise harness.BenchError(f"job {job} has not left the queue after {JOB_SECONDS} s:\n{cluster.job_state(job)}"
                                 f"--- its output ---\n{text}\n{cluster.logs('slurmctld', 'slurmd-n1', 'slurmd-n2')}")
    started = first_task(os.path.join(work, "provenance.db"))
    if started is None:
        raise harness.BenchError(f"job {job} ran no task: {open(os.path.join(work, f'slurm-{job}.out')).read()[-500:]}")
    return started - submitted


def measure(xdmlc, scratch, jobs, openmpi_env, say):
    """Prints min / median / max seconds per MPI; False when something failed (said)."""
    try:
        with SlurmCluster() as cluster:
            for profile, env in (("openmpi", openmpi_env), ("mpich", {})):
                seconds = [one_job(xdmlc, cluster, os.path.join(scratch, f"submit-{profile}-{i}"), profile, env)
                           for i in range(jobs)]
                say(f"  {profile}: {jobs} jobs, submit -> first task min {min(seconds):.2f} s  "
                    f"median {statistics.median(seconds):.2f} s  max {max(seconds):.2f} s")
    except (ClusterUnavailable, harness.BenchError) as e:
        say(f"  FAILED: {e}")
        return False
    return True
