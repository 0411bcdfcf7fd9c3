#!/usr/bin/python3
"""bench_runtime.py — the runtime's figures in one run, each beside its goal (see README.md):
  1. what a no-op task costs in the two shapes users write (a call statement, a result bound and
     read), with and without provenance, at 10^5 and 10^6 items, against Dask's threaded
     scheduler, and the run's peak memory at both sizes;
  2. watch latency, file rename to handler start, at 1,000 files/s (p50, p99);
  3. the share of deadline firings that miss under a 2x overload mixed with background work;
  4. bytes moved and written per frame of pipeline4 (without its model) at -O0 and -O2,
     measured against the plan's estimates;
  5. dead code: a heavy unused value in every firing, at -O0 and -O2, against the flow
     without it (the optimized program is what runs).
It ends with a table (figure, measured, goal, met). It exits 1 when a run failed or could not
be measured, 0 otherwise: a goal not met does not fail it (timings need a quiet machine).
--smoke runs everything with tiny sizes to check that it still works (CTest runs it so).

Run it with Debian's python3 (python3-dask, python3-zmq): bench/runtime/run.sh [xdmlc]."""
import argparse
import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chain  # noqa: E402
import deadcode  # noqa: E402
import movement  # noqa: E402
import overload  # noqa: E402
import throughput  # noqa: E402
import watch_latency  # noqa: E402

FULL = {"tasks": 100_000, "tasks_large": 1_000_000, "files": 2_000, "rate": 1_000, "overload_seconds": 10, "calibration": 400, "frames": 400, "chain_items": 50_000}
SMOKE = {"tasks": 2_000, "tasks_large": 4_000, "files": 100, "rate": 1_000, "overload_seconds": 1.5, "calibration": 40, "frames": 4, "chain_items": 200}


def say(line=""):
    print(line, flush=True)


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    lines = []
    for figure, measured, goal, met in rows:
        verdict = "met" if met is True else "not met" if met is False else "NOT MEASURED"
        lines.append(f"{figure:<{widths[0]}}  {measured:<{widths[1]}}  {goal:<{widths[2]}}  {verdict}")
    header = f"{'figure':<{widths[0]}}  {'measured':<{widths[1]}}  {'goal':<{widths[2]}}  met"
    return "\n".join([header, "-" * len(header.ljust(max(map(len, lines))))] + lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(os.path.dirname(os.path.dirname(here)), "build", "xdmlc")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xdmlc", default=default, help="the xdmlc to measure (default: build/xdmlc)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: check that the benchmark runs, judge nothing")
    ap.add_argument("--only", default="123456", help="the figures to run, e.g. 13 (default: all)")
    ap.add_argument("--tasks", type=int, help="items and no-op tasks of figure 1 (the smaller size)")
    ap.add_argument("--tasks-large", type=int, help="the larger size of figure 1")
    ap.add_argument("--files", type=int, help="files of figure 2")
    ap.add_argument("--overload-seconds", type=float, help="how long figure 3 offers its load")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (work dirs, provenance)")
    args = ap.parse_args()
    size = dict(SMOKE if args.smoke else FULL)
    for key in ("tasks", "tasks_large", "files", "overload_seconds"):
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    xdmlc = os.path.abspath(args.xdmlc)
    if not os.access(xdmlc, os.X_OK):
        say(f"bench_runtime: no xdmlc at {xdmlc} (build it: ninja -C build)")
        return 2
    scratch = tempfile.mkdtemp(prefix="xdml-bench-runtime-")
    say(f"bench_runtime: {xdmlc}{' (smoke: tiny sizes, goals not judged)' if args.smoke else ''}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (timings need a quiet machine); "
        f"scratch {scratch}")
    # Every figure runs this copy, so a rebuild during the benchmark cannot mix two binaries.
    shutil.copy2(xdmlc, os.path.join(scratch, "xdmlc"))
    xdmlc = os.path.join(scratch, "xdmlc")
    rows = []
    started = time.time()
    try:
        if "1" in args.only:
            say(f"\n[1] a no-op task per item, two shapes, {size['tasks']:,} and {size['tasks_large']:,} items")
            rows += throughput.measure(xdmlc, scratch, size["tasks"], size["tasks_large"], say)
        if "2" in args.only:
            say(f"\n[2] watch latency, rename -> handler start, {size['files']:,} files at {size['rate']:,}/s")
            rows += watch_latency.measure(xdmlc, scratch, size["files"], size["rate"], say)
        if "3" in args.only:
            say("\n[3] deadline work under a 2x overload with background work, one site of 2 cores")
            rows += overload.measure(xdmlc, scratch, size["overload_seconds"], size["calibration"], say)
        if "4" in args.only:
            say("\n[4] pipeline4 without its model: measured vs planned bytes per frame")
            rows += movement.measure(xdmlc, scratch, say)
        if "5" in args.only:
            say(f"\n[5] dead code: an unused heavy value per frame, {size['frames']:,} frames of 512x512")
            rows += deadcode.measure(xdmlc, scratch, size["frames"], say)
        if "6" in args.only:
            say(f"\n[6] a fused chain of five tasks per item, {size['chain_items']:,} items")
            rows += chain.measure(xdmlc, scratch, size["chain_items"], say)
    finally:
        if args.keep:
            say(f"\nkept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    say(f"\n{table(rows)}")
    say(f"\n{time.time() - started:.0f} s in all{'; smoke run: sizes too small to judge the goals' if args.smoke else ''}")
    return 1 if any(met is None for *_, met in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
