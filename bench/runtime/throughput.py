"""throughput.py — figure 1: what a no-op task costs, in the two shapes users write, with and
without provenance, at two sizes, against Dask's threaded scheduler on the same work.

Shapes (noop.xdml, a `generate` stream of N ints whose handler calls `task noop(x) { return x; }`):
  fire: `noop(t);`, the call is a statement of its own;
  used: `let y = noop(t); if y != t { log ... }`, the firing binds the result and reads it;
  and, printed without a goal, record: `record { v: t } in sums;`, a catalog row per firing.
µs per task = seconds / tasks_run from --stats-json (seconds is the whole run, from before the
provenance store opens to after its last commit); at the smaller size the median of 3 runs,
at the larger one run. Memory: the run's peak resident set, VmHWM of
/proc/PID/status read every 20 ms until it exits (not wait4's ru_maxrss, which a child inherits
from this process at fork: after Dask's graph of 10^6 items that is gigabytes); "flat" when the
10x larger run peaks at most 1.5x as high.

Dask: per item a node making the item (`ident(i)`, what generate's fn does) and a node calling
`noop` on it, and for the used shape a third node comparing the result with the item: run by
dask.threaded.get with its default pool (one thread per core), timed around the get alone
(building the dict is not scheduling), in a Python process of its own. It is counted as N
tasks, as XDML counts only the task calls and not the items or firings."""
import json
import os
import subprocess
import sys
import threading
import time

import harness

SMALL_RUNS = 3  # runs of XDML at the smaller size; the figure is their median
USED = {"{ noop(t); }": '{ let y = noop(t); if y != t { log "noop({t}) returned {y}"; } }'}
SHAPES = (("fire", {}), ("used", USED))
# The third shape: a firing that records into a catalog, no task at all. Printed per
# firing beside the two, at the smaller size (no goal is set for it, and Dask has no catalog).
RECORD = {"{ noop(t); }": "{ record { v: t } in sums; }",
          "flow noop_tasks {": 'catalog sums: { v: int } at "sums.db";\nflow noop_tasks {'}


def ident(i):
    return i


def noop(x):
    return x


def differs(y, x):
    return y != x


def dask_us_per_task(n, shape):
    """(µs per task, seconds) of Dask's threaded scheduler on N items and N no-op tasks, measured
    in a process of its own (its graph of millions of tuples stays out of this one)."""
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--dask", str(n), shape],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        text = (r.stderr or r.stdout).strip().splitlines()
        raise harness.BenchError(text[-1] if text else f"exited {r.returncode}")
    us, seconds = json.loads(r.stdout)
    return us, seconds


def dask_measured_here(n, shape):
    import dask.threaded
    graph = {}
    for i in range(n):
        graph[("item", i)] = (ident, i)
        graph[("noop", i)] = (noop, ("item", i))
        if shape == "used":
            graph[("check", i)] = (differs, ("noop", i), ("item", i))
    keys = [("check" if shape == "used" else "noop", i) for i in range(n)]
    start = time.perf_counter()
    results = dask.threaded.get(graph, keys)
    seconds = time.perf_counter() - start
    expected = [False] * n if shape == "used" else list(range(n))
    if list(results) != expected:
        raise harness.BenchError("Dask returned wrong results")
    del graph, results
    return seconds / n * 1e6, seconds


def xdml_run(xdmlc, scratch, n, shape, provenance):
    """(µs per task, seconds, peak RSS in MiB) of one run."""
    flow = harness.flow_copy("noop.xdml", scratch, consts={"N": n}, replace=dict(SHAPES)[shape],
                             copy_name=f"noop-{shape}.xdml")
    workdir = os.path.join(scratch, f"noop-{shape}-{n}-{'prov' if provenance else 'none'}")
    stats = workdir + ".stats.json"
    args = harness.run_args(xdmlc, flow, workdir, stats, () if provenance else ("--no-provenance",))
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def watch():
        while proc.poll() is None:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
            except (OSError, ValueError):
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    err = proc.stderr.read()
    proc.wait()
    watcher.join()
    if proc.returncode != 0:
        raise harness.BenchError(f"xdmlc run exited {proc.returncode}: {harness.last_error(err)}")
    s = harness.read_stats(stats)
    if s["tasks_run"] != n or s["tasks_failed"] != 0:
        raise harness.BenchError(f"{s['tasks_run']} tasks run and {s['tasks_failed']} failed, expected {n} and 0")
    return s["seconds"] / n * 1e6, s["seconds"], peak[0] / 1024


def record_run(xdmlc, scratch, n, provenance):
    """µs per firing of one run of the record shape."""
    flow = harness.flow_copy("noop.xdml", scratch, consts={"N": n}, replace=RECORD, copy_name="noop-record.xdml")
    workdir = os.path.join(scratch, f"noop-record-{n}-{'prov' if provenance else 'none'}-{time.monotonic_ns()}")
    s = harness.run_flow(xdmlc, flow, workdir, () if provenance else ("--no-provenance",))
    rows = harness.query(os.path.join(workdir, "sums.db"), "SELECT count(*) FROM sums")[0][0]
    if rows != n:
        raise harness.BenchError(f"{rows} catalog rows, expected {n}")
    return s["seconds"] / n * 1e6


def measure(xdmlc, scratch, n, large, say):
    """Rows for the final table: (figure, measured, goal, met) with met None when unmeasured."""
    xdml, dask, rss = {}, {}, {}
    for size in (n, large):
        for shape, _ in SHAPES:
            for provenance in (False, True):
                label = f"{shape:<4} {'provenance' if provenance else 'none':<10} {size:>9,} items"
                try:
                    # The smaller size takes about a second a run, where one run's noise (a
                    # few µs per task on a shared VM) is most of the figure: its median of 3.
                    runs = [xdml_run(xdmlc, scratch, size, shape, provenance) for _ in range(SMALL_RUNS if size == n else 1)]
                    us, seconds, _ = sorted(runs)[len(runs) // 2]
                    peak = max(r[2] for r in runs)
                    xdml[shape, provenance, size] = us
                    rss[shape, provenance, size] = peak
                    spread = f" (median of {len(runs)}: {min(r[0] for r in runs):.2f}-{max(r[0] for r in runs):.2f})" if len(runs) > 1 else ""
                    say(f"  xdml {label}  {seconds:7.2f} s  {us:6.2f} us/task  {1e6 / us:>9,.0f} tasks/s  peak RSS {peak:6.1f} MiB{spread}")
                except harness.BenchError as e:
                    xdml[shape, provenance, size] = e
                    say(f"  xdml {label}  FAILED: {e}")
            try:
                us, seconds = dask_us_per_task(size, shape)
                dask[shape, size] = us
                say(f"  dask {shape:<4} {'threaded':<10} {size:>9,} items  {seconds:7.2f} s  {us:6.2f} us/task  {1e6 / us:>9,.0f} tasks/s")
            except (harness.BenchError, subprocess.TimeoutExpired, ValueError) as e:
                dask[shape, size] = e
                say(f"  dask {shape:<4} FAILED: {e}")

    for provenance in (False, True):
        label = f"record {'provenance' if provenance else 'none':<10} {n:>9,} items"
        try:
            runs = sorted(record_run(xdmlc, scratch, n, provenance) for _ in range(SMALL_RUNS))
            say(f"  xdml {label}  {runs[len(runs) // 2]:6.2f} us/firing (median of {len(runs)}: {runs[0]:.2f}-{runs[-1]:.2f}; "
                f"a catalog record per firing, no task)")
        except harness.BenchError as e:
            say(f"  xdml {label}  FAILED: {e}")

    def bad(*values):
        return any(isinstance(v, Exception) for v in values)

    rows = []
    for shape, _ in SHAPES:
        for provenance, goal in ((True, 5.0), (False, 2.0)):
            for size in (n, large):
                v = xdml[shape, provenance, size]
                figure = f"1 {shape}, {'provenance' if provenance else 'none'}, {size:,} items"
                rows.append((figure, "failed", f"<= {goal:g} us/task", None) if bad(v) else
                            (figure, f"{v:.2f} us/task", f"<= {goal:g} us/task", v <= goal))
        for size in (n, large):
            v, d = xdml[shape, True, size], dask[shape, size]
            figure = f"1 dask / xdml with provenance, {shape}, {size:,}"
            rows.append((figure, "failed", ">= 10x", None) if bad(v, d) else
                        (figure, f"{d / v:.1f}x (dask {d:.1f} us/task)", ">= 10x", d / v >= 10))
        v, d = xdml[shape, False, n], dask[shape, n]
        figure = f"1 dask / xdml without provenance, {shape}, {n:,}"
        rows.append((figure, "failed", ">= 20x", None) if bad(v, d) else
                    (figure, f"{d / v:.1f}x", ">= 20x", d / v >= 20))
        for provenance in (True, False):
            small, big = rss.get((shape, provenance, n)), rss.get((shape, provenance, large))
            figure = f"1 peak memory, {shape}, {'provenance' if provenance else 'none'}, {n:,} -> {large:,}"
            rows.append((figure, "failed", "flat (<= 1.5x)", None) if small is None or big is None else
                        (figure, f"{small:.0f} -> {big:.0f} MiB ({big / small:.2f}x)", "flat (<= 1.5x)", big <= 1.5 * small))
    return rows


if __name__ == "__main__":
    # python3 throughput.py --dask N SHAPE: one Dask measurement, printed as JSON [us, seconds].
    if len(sys.argv) != 4 or sys.argv[1] != "--dask":
        sys.exit("usage: throughput.py --dask N fire|used")
    print(json.dumps(dask_measured_here(int(sys.argv[2]), sys.argv[3])))
