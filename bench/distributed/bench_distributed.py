#!/usr/bin/python3
"""bench_distributed.py — the distributed run's figures (docs/distributed.md), under OpenMPI on
loopback, printed as a table:
  1. no-op task throughput (bench/runtime/noop.xdml) against ranks: 1 (the local executor),
     2, 4, 8, with and without provenance: tasks_run / seconds from --stats-json; then with
     provenance and a deployment profile giving the site every rank but 0 and prefetch 4,
     then 16 (docs/distributed.md, "Prefetch"); the issue's goal, 50,000 tasks/s through 4
     ranks with provenance, is judged on the best of these at 4 ranks;
  2. the call round trip of those no-op tasks at full load (activity start to end: rank 0
     begins the call, sends it to its rank, gets the outcome), p50 and p99, from the
     provenance database;
  3. value transfer between sites, 1 KB to 256 MB: a tensor made at the home site (beside the
     coordinator) passed to a task at site far (moved and counted by Run::moveTo); bytes / the
     calls' round trip (the task activity's start to its end: hashing, moving, the call, the
     outcome), the mean over 4 calls and the best call (the first calls of a run also pay
     for fresh memory). "local": the local executor, whose moves are folder copies (written to
     sites/home/outbox, copied to sites/far/inbox, read back); "2 ranks": far on rank 1 (the
     deployment profile MOVE_DEPLOY), where the value crosses only in MPI messages: encoded
     once into the `run` request, sent in 4 MiB chunks from where it was written, received
     straight into place and decoded on rank 1;
  3b. MPI's own rate for the same sizes (mpi_transfer.c, built with mpicc.openmpi): 4 MiB
     chunks from rank 0 to rank 1 and a one-byte answer, no encoding: the ceiling of figure 3;
  4. frame-to-result latency, p50 and p99: frames renamed into a watched folder at the
     beamline (rank 0) at 200/s, each scored by a task at hpc (ranks 1..), the score recorded
     (frame_latency.py), local against 2 and 4 ranks; and the calls' round trip at that rate,
     the dispatch latency of a run that is not overloaded;
  5. time from `xdmlc submit` to the first task on the test Slurm, OpenMPI and MPICH, hpc on
     two ranks of its own hetjob component (submit_latency.py).
--smoke: tiny sizes, to check that it works; --transfers: figures 3 and 3b only. Run it with
Debian's python3."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "runtime"))
import harness  # noqa: E402
import frame_latency  # noqa: E402
import submit_latency  # noqa: E402

# MPI runs under the sanitizer build: leak checks off (tests/runtime/run_runtime.py, without_leak_checks).
LEAKS = {"ASAN_OPTIONS": os.environ["ASAN_OPTIONS"] + ":detect_leaks=0"} if os.environ.get("ASAN_OPTIONS") else {}
OPENMPI = {**LEAKS, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1",
           "OMPI_MCA_btl_tcp_if_include": "lo", "OMPI_MCA_oob_tcp_if_include": "lo"}
TRANSFER = """
const N: int = CALLS;
site home { cores: 2 }
site far { cores: 2 }
link home <-> far { bandwidth: 10Gbps, latency: 1ms }
catalog got: { n: int } at "got.db";
type Big = tensor<f32>[ELEMS];
fn big(i: int) -> Big = zeros(Big) + i;
stream items: Big from generate(big, N) at home;
task take(t: Big) -> int @ { locality: far } { return 1; }
flow moving {
    on new data of type Big in items as b { record { n: take(b) } in got; }
}
"""
TRANSFER_CALLS, TRANSFER_SLOTS = 12, 2  # far has 2 cores: 2 calls at once
# Figure 3 with 2 ranks: home stays beside the coordinator, far gets rank 1 (without a profile
# the ranks would go to the sites in the plan's order).
MOVE_DEPLOY = """
[profiles.split.sites.home]
placement = "local"
[profiles.split.sites.far]
placement = "mpi"
ranks = 1
"""

# Figure 1's profile with prefetch: noop.xdml declares no site, so its one site is "local".
PREFETCH = """
[profiles.bench.sites.local]
placement = "mpi"
ranks = {ranks}
threads_per_rank = 2
prefetch = {prefetch}
"""
PREFETCHES = (4, 16)
GOAL_TASKS_PER_S_4_RANKS = 50_000


def run(xdmlc, flow, work, ranks, provenance=True, extra=()):
    stats = work + ".stats.json"
    cmd = harness.run_args(xdmlc, flow, work, stats, (*(() if provenance else ("--no-provenance",)), *extra))
    if ranks > 1:
        cmd = ["mpirun.openmpi", "-n", str(ranks), *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=dict(os.environ, **OPENMPI))
    if r.returncode != 0:
        raise harness.BenchError(f"{ranks} ranks: exit {r.returncode}: {harness.last_error(r.stderr + r.stdout)}")
    return harness.read_stats(stats)


def mpi_rates(scratch, sizes):
    """MPI's own transfer rate per size (figure 3b), bytes/s."""
    binary = os.path.join(scratch, "mpi_transfer")
    subprocess.run(["mpicc.openmpi", "-O2", "-o", binary, os.path.join(HERE, "mpi_transfer.c")], check=True)
    rates = {}
    for size in sizes:
        r = subprocess.run(["mpirun.openmpi", "-n", "2", binary, str(size), "4"], capture_output=True, text=True,
                           timeout=600, env=dict(os.environ, **OPENMPI))
        if r.returncode != 0:
            raise harness.BenchError(f"mpi_transfer {size}: exit {r.returncode}: {harness.last_error(r.stderr + r.stdout)}")
        got, seconds = r.stdout.split()
        rates[int(got)] = size / float(seconds)
    return rates


def label_of(size):
    return f"{size >> 20} MB" if size >= 1 << 20 else f"{size >> 10} KB"


def round_trips(work, in_order=False):
    """The task calls' round trips, sorted, or in the order the calls began."""
    rows = harness.query(os.path.join(work, "provenance.db"),
                         "SELECT ended - started FROM activities WHERE kind = 'task' ORDER BY started, id")
    times = [r[0] for r in rows if r[0] is not None]
    return times if in_order else sorted(times)


def transfer_rates(size, times):
    """Figure 3's numbers for one run: the first calls (one per slot of `far`, 2 cores) meet
    fresh memory, which the kernel zeroes page by page; the calls after them reuse it, as the
    calls of a stream of large values do (runtime/values/LargeBuffers.h)."""
    cold, steady = times[:TRANSFER_SLOTS], times[TRANSFER_SLOTS:] or times
    return (f"steady {size * len(steady) / sum(steady) / 1e6:7.1f} MB/s (median call {size / harness.percentile(sorted(steady), 50) / 1e6:7.1f}), "
            f"first calls {size * len(cold) / sum(cold) / 1e6:7.1f} MB/s")


def latencies(args, scratch):
    """Figures 4 and 5; False when one failed (said)."""
    ok = True
    frames, rate = (40, 100) if args.smoke else (2_000, 200)
    print(f"[4] frame-to-result latency: a QC handler at the beamline, its task at hpc, {frames:,} frames at {rate}/s", flush=True)
    env = dict(os.environ, **OPENMPI)
    for ranks in (1, 2, 4):
        if frame_latency.measure(args.xdmlc, scratch, frames, rate, ranks, ["mpirun.openmpi", "-n", str(ranks)], env, print) is None:
            ok = False
    jobs = 1 if args.smoke else 5
    print(f"[5] submit to first task on the test Slurm ({jobs} job{'s' if jobs > 1 else ''} per MPI)", flush=True)
    return submit_latency.measure(args.xdmlc, scratch, jobs, OPENMPI, print) and ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdmlc", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--tasks", type=int)
    ap.add_argument("--transfers", action="store_true", help="figures 3 and 3b only")
    args = ap.parse_args()
    n = args.tasks or (300 if args.smoke else 100_000)
    sizes = [1 << 10, 1 << 20] if args.smoke else [1 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20, 256 << 20]
    scratch = tempfile.mkdtemp(prefix="xdml-bench-distributed-")
    failed = False
    try:
        if not args.transfers:
            print(f"[1, 2] no-op tasks, {n:,} items", flush=True)
        flow = harness.flow_copy("noop.xdml", scratch, consts={"N": n})
        for ranks in () if args.transfers else (1, 2, 4, 8):
            for provenance in (False, True):
                work = os.path.join(scratch, f"noop-{ranks}-{int(provenance)}")
                try:
                    s = run(args.xdmlc, flow, work, ranks, provenance)
                    line = f"  {ranks} rank{'s' if ranks > 1 else ' '} {'with' if provenance else 'without'} provenance: {s['tasks_run'] / s['seconds']:>9,.0f} tasks/s"
                    if provenance:
                        t = round_trips(work)
                        line += f"   call round trip at full load p50 {harness.percentile(t, 50) * 1e3:7.3f} ms  p99 {harness.percentile(t, 99) * 1e3:7.3f} ms"
                    print(line, flush=True)
                except harness.BenchError as e:
                    failed = True
                    print(f"  {ranks} ranks: {e}", flush=True)
        best4 = None
        for prefetch in () if args.transfers else PREFETCHES:
            for ranks in (2, 4, 8):
                work = os.path.join(scratch, f"noop-{ranks}-prefetch{prefetch}")
                deploy = work + ".deploy.toml"
                open(deploy, "w").write(PREFETCH.format(ranks=ranks - 1, prefetch=prefetch))
                try:
                    s = run(args.xdmlc, flow, work, ranks, True, ("--deploy", deploy))
                    t = round_trips(work)
                    rate = s['tasks_run'] / s['seconds']
                    if ranks == 4:
                        best4 = max(best4 or 0, rate)
                    print(f"  {ranks} ranks with provenance, prefetch {prefetch:>2}: {rate:>9,.0f} tasks/s"
                          f"   call round trip at full load p50 {harness.percentile(t, 50) * 1e3:7.3f} ms  p99 {harness.percentile(t, 99) * 1e3:7.3f} ms",
                          flush=True)
                except harness.BenchError as e:
                    failed = True
                    print(f"  {ranks} ranks, prefetch {prefetch}: {e}", flush=True)
        if best4 is not None and not args.smoke:
            print(f"  4 ranks with provenance, best prefetch: {best4:,.0f} tasks/s  (goal >= {GOAL_TASKS_PER_S_4_RANKS:,}: "
                  f"{'met' if best4 >= GOAL_TASKS_PER_S_4_RANKS else 'not met'})", flush=True)
        calls = 4 if args.smoke else TRANSFER_CALLS
        print(f"[3] value transfer between sites ({calls} calls each): local (folder copies) against 2 ranks (MPI messages only)", flush=True)
        deploy = os.path.join(scratch, "move.deploy.toml")
        open(deploy, "w").write(MOVE_DEPLOY)
        for size in sizes:
            path = os.path.join(scratch, f"transfer-{size}.xdml")
            open(path, "w").write(TRANSFER.replace("ELEMS", str(size // 4)).replace("CALLS", str(calls)))
            rates = []
            for ranks in (1, 2):
                work = os.path.join(scratch, f"transfer-{size}-{ranks}")
                try:
                    s = run(args.xdmlc, path, work, ranks, extra=("--deploy", deploy, "--profile", "split"))
                    rates.append(f"{transfer_rates(size, round_trips(work, in_order=True))} "
                                 f"({s['moved_bytes'] if 'moved_bytes' in s else '?'} bytes moved)")
                except harness.BenchError as e:
                    failed = True
                    rates.append(str(e))
            print(f"  {label_of(size):>7}: local (folder copy) {rates[0]}   2 ranks (MPI messages) {rates[1]}", flush=True)
        print("[3b] MPI's own transfer rate, 2 ranks, 4 MiB chunks (mpi_transfer.c: no encoding)", flush=True)
        try:
            for size, rate in mpi_rates(scratch, sizes).items():
                print(f"  {label_of(size):>7}: {rate / 1e6:9.1f} MB/s", flush=True)
        except (harness.BenchError, subprocess.CalledProcessError) as e:
            failed = True
            print(f"  {e}", flush=True)
        if not args.transfers:
            failed |= not latencies(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
