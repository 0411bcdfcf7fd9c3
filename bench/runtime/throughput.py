"""throughput.py — figure 1: no-op tasks per second, XDML with and without provenance, and Dask's
threaded scheduler on the same graph.

XDML: noop.xdml, a `generate` stream of N ints whose handler calls a task that returns its
argument; tasks/s = tasks_run / seconds from --stats-json (seconds is the whole run, from
before the provenance store opens to after its last commit).

Dask: per item, a node making the item (`ident(i)`, what generate's fn does) and a node calling
`noop` on it: 2N nodes, run by dask.threaded.get with its default pool (one thread per core),
timed around the get alone (building the dict is not scheduling). It is counted as N tasks,
as XDML counts only the task calls and not the items or firings."""
import os
import time

import harness


def ident(i):
    return i


def noop(x):
    return x


def dask_tasks_per_second(n):
    """(tasks/s, seconds) of Dask's threaded scheduler on N items and N no-op tasks."""
    import dask.threaded
    graph = {}
    for i in range(n):
        graph[("item", i)] = (ident, i)
        graph[("noop", i)] = (noop, ("item", i))
    keys = [("noop", i) for i in range(n)]
    start = time.perf_counter()
    results = dask.threaded.get(graph, keys)
    seconds = time.perf_counter() - start
    if list(results) != list(range(n)):
        raise harness.BenchError("Dask returned wrong results")
    return n / seconds, seconds


def xdml_tasks_per_second(xdmlc, scratch, n, provenance):
    flow = harness.flow_copy("noop.xdml", scratch, consts={"N": n})
    workdir = os.path.join(scratch, "noop-prov" if provenance else "noop-noprov")
    stats = harness.run_flow(xdmlc, flow, workdir, extra=() if provenance else ("--no-provenance",))
    if stats["tasks_run"] != n or stats["tasks_failed"] != 0:
        raise harness.BenchError(f"{stats['tasks_run']} tasks run and {stats['tasks_failed']} failed, expected {n} and 0")
    return stats["tasks_run"] / stats["seconds"], stats["seconds"]


def measure(xdmlc, scratch, n, say):
    """Rows for the final table: (figure, measured, goal, met) with met None when unmeasured."""
    results = {}
    for label, provenance in (("without provenance", False), ("with provenance", True)):
        try:
            rate, seconds = xdml_tasks_per_second(xdmlc, scratch, n, provenance)
            results[label] = rate
            say(f"  xdml {label:<19} {n} tasks in {seconds:7.3f} s  {rate:>10,.0f} tasks/s")
        except harness.BenchError as e:
            results[label] = e
            say(f"  xdml {label:<19} FAILED: {e}")
    try:
        dask_rate, seconds = dask_tasks_per_second(n)
        results["dask"] = dask_rate
        say(f"  dask threaded            {n} tasks in {seconds:7.3f} s  {dask_rate:>10,.0f} tasks/s"
            f"  ({2 * n} graph nodes: item + noop per item)")
    except (ImportError, harness.BenchError) as e:
        results["dask"] = e
        say(f"  dask threaded            FAILED: {e}")

    def row(figure, key, goal, threshold):
        v = results[key]
        if isinstance(v, Exception):
            return (figure, "failed", goal, None)
        return (figure, f"{v:,.0f} tasks/s", goal, v >= threshold)

    rows = [row("1 no-op tasks/s, no provenance", "without provenance", ">= 100,000 tasks/s", 100_000),
            row("1 no-op tasks/s, provenance", "with provenance", ">= 50,000 tasks/s", 50_000)]
    xdml, dask = results["without provenance"], results["dask"]
    if isinstance(xdml, Exception) or isinstance(dask, Exception):
        rows.append(("1 xdml / dask (no provenance)", "failed", ">= 20x", None))
    else:
        rows.append(("1 xdml / dask (no provenance)", f"{xdml / dask:.1f}x ({dask:,.0f} dask tasks/s)", ">= 20x",
                     xdml / dask >= 20))
    return rows
