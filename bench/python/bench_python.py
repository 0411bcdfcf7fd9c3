#!/usr/bin/python3
"""bench/python: Python tasks (LANGUAGE.md §9, docs/python.md) against the ways users call
Python today. Printed, in one run:
  - calls/s of a Python task that returns its scalar argument (the result used by the firing),
    with 2 workers, provenance on and off, from the run's own clock (--stats-json "seconds"), and
    the same flow with a native XDML task for the runtime's own share;
  - per-call time with 1 worker (each call waits for the one before: the latency of a call);
  - the same calls through `sh("python3 echo.py N")` (a process per call), and through
    multiprocessing.Pool(2).imap(chunksize=1) in plain Python;
  - 16 MiB frames (tensor<f32>[2048, 2048]) passed to a Python task that sums them with NumPy,
    in GB/s: the run's time less that of the same flow without the call (the frames' making),
    and the same with multiprocessing.Pool(2) (the arrays pickled through its pipes).
Goals (the issue): <= 50 us per call, >= 20,000 calls/s with 2 workers, >= 5 GB/s for frames,
>= 100x faster per call than sh, and at least as fast as multiprocessing.Pool in both.
`--smoke`: tiny sizes, every path run and its results checked, no goal judged."""
import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import numpy as np

MODULE = '''
import numpy as np

def echo(x):
    return x

def frame_sum(frame):
    return float(frame.sum(dtype=np.float64))
'''

CALLS = """{imports}
site edge {{ cores: {workers} }}
fn nth(i: int) -> int = i;
stream items: int from generate(nth, {n}) at edge;
catalog wrong: {{ i: int }} at "wrong.db";
{task}
flow main @ {{ locality: edge }} {{
    on new data of type int in items as i {{
        let y = echo(i);
        if y != i {{ record {{ i: i }} in wrong; }}
    }}
}}
"""
PY_TASK = 'task echo(x: int) -> int = python "calls:echo";'
NATIVE_TASK = "task echo(x: int) -> int { return x; }"
SH_TASK = 'task echo(x: int) -> int {{ let out = sh("{python} {script} {{x}}"); return x; }}'

FRAMES = """
site edge {{ cores: 2 }}
type Frame = tensor<f32>[{h}, {w}];
fn frame(i: int) -> Frame = zeros(Frame) + i;
stream frames: Frame from generate(frame, {n}) at edge;
catalog sums: {{ i: int, total: float }} at "sums.db";
{task}
flow main @ {{ locality: edge }} {{
    on new data of type Frame in frames as f {{ record {{ i: seq(f), total: {total} }} in sums; }}
}}
"""


def run_flow(xdmlc, work, text, extra=()):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    flow = os.path.join(work, "bench.xdml")
    open(flow, "w").write(text)
    shutil.copy(os.path.join(os.path.dirname(work), "calls.py"), os.path.join(work, "calls.py"))
    stats = os.path.join(work, "stats.json")
    start = time.perf_counter()
    r = subprocess.run([xdmlc, "run", flow, "--workdir", work, "--quiet", "--stats-json", stats, *extra],
                       capture_output=True, text=True)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"xdmlc run exited {r.returncode}: {r.stderr[-3000:]}")
    return json.load(open(stats))["seconds"], wall


def best(runs, f):
    return min(f() for _ in range(runs))


def echo(x):
    return x


def frame_sum(frame):
    return float(frame.sum(dtype=np.float64))


def pool_calls(n):
    with multiprocessing.Pool(2) as pool:
        pool.map(echo, range(4))  # started and warm
        start = time.perf_counter()
        got = sum(1 for x, i in zip(pool.imap(echo, range(n), chunksize=1), range(n)) if x == i)
        elapsed = time.perf_counter() - start
    assert got == n
    return elapsed


def pool_frames(n, h, w):
    def frames():
        for i in range(n):
            yield np.zeros((h, w), dtype=np.float32) + i
    start = time.perf_counter()
    for _ in frames():
        pass
    making = time.perf_counter() - start
    with multiprocessing.Pool(2) as pool:
        pool.map(echo, range(4))
        start = time.perf_counter()
        totals = list(pool.imap(frame_sum, frames(), chunksize=1))
        elapsed = time.perf_counter() - start
    assert totals == [float(i * h * w) for i in range(n)], totals[:4]
    return elapsed - making


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdmlc", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--calls", type=int, default=40000)
    ap.add_argument("--frames", type=int, default=600)
    args = ap.parse_args()
    calls, frames, sh_calls = (200, 6, 5) if args.smoke else (args.calls, args.frames, 40)
    h, w = (256, 256) if args.smoke else (2048, 2048)
    runs = 1 if args.smoke else 3
    tmp = tempfile.mkdtemp(prefix="xdml-bench-python-")
    try:
        open(os.path.join(tmp, "calls.py"), "w").write(MODULE)
        echo_script = os.path.join(tmp, "echo.py")
        open(echo_script, "w").write("import sys\nprint(sys.argv[1])\n")
        xdmlc = args.xdmlc
        work = os.path.join(tmp, "work")

        def calls_seconds(task, workers, n, extra=()):
            imports = "import std.exec;" if "sh(" in task else ""
            seconds, _ = run_flow(xdmlc, work, CALLS.format(imports=imports, workers=workers, n=n, task=task), extra)
            wrong = sqlite3.connect(os.path.join(work, "wrong.db")).execute("SELECT count(*) FROM wrong").fetchone()[0] \
                if os.path.exists(os.path.join(work, "wrong.db")) else 0
            if wrong:
                raise SystemExit(f"{wrong} calls answered wrongly")
            return seconds

        print(f"bench/python: {calls:,} calls of echo(i), {frames} frames of {h * w * 4 / 2**20:.0f} MiB, best of {runs}")
        py_on = best(runs, lambda: calls_seconds(PY_TASK, 2, calls))
        py_off = best(runs, lambda: calls_seconds(PY_TASK, 2, calls, ["--no-provenance"]))
        native_on = best(runs, lambda: calls_seconds(NATIVE_TASK, 2, calls))
        native_off = best(runs, lambda: calls_seconds(NATIVE_TASK, 2, calls, ["--no-provenance"]))
        one_on = best(runs, lambda: calls_seconds(PY_TASK, 1, calls))
        one_off = best(runs, lambda: calls_seconds(PY_TASK, 1, calls, ["--no-provenance"]))
        native_one = best(runs, lambda: calls_seconds(NATIVE_TASK, 1, calls, ["--no-provenance"]))
        sh_task = SH_TASK.format(python=sys.executable, script=echo_script)
        sh_off = best(1, lambda: calls_seconds(sh_task, 1, sh_calls, ["--no-provenance"]))
        pool = best(runs, lambda: pool_calls(calls))
        rate_on, rate_off, pool_rate = calls / py_on, calls / py_off, calls / pool
        per_call = 1e6 * one_off / calls
        per_call_on = 1e6 * one_on / calls
        sh_per_call = 1e6 * sh_off / sh_calls
        print(f"  Python task, 2 workers:  {rate_on:>10,.0f} calls/s (provenance on)   {rate_off:>10,.0f} calls/s (off)")
        print(f"  native task, 2 workers:  {calls / native_on:>10,.0f} calls/s (provenance on)   {calls / native_off:>10,.0f} calls/s (off)")
        print(f"  Python task, 1 worker:   {per_call:>10.1f} us/call (off)   {per_call_on:.1f} us/call (on); "
              f"the runtime's own share (native task): {1e6 * native_one / calls:.1f} us/call")
        print(f"  sh(\"python3 echo.py\"):   {sh_per_call:>10,.0f} us/call (a process per call)")
        print(f"  multiprocessing.Pool(2): {pool_rate:>10,.0f} calls/s (imap, chunksize 1)")

        def frames_seconds(task, total):
            seconds, _ = run_flow(xdmlc, work, FRAMES.format(h=h, w=w, n=frames, task=task, total=total), ["--no-provenance"])
            rows = sqlite3.connect(os.path.join(work, "sums.db")).execute("SELECT i, total FROM sums ORDER BY i").fetchall()
            want = [(i, float(i * h * w)) for i in range(frames)]
            if rows != want:
                raise SystemExit(f"frame sums {rows[:3]}..., wanted {want[:3]}...")
            return seconds

        with_call = best(runs, lambda: frames_seconds('task frame_sum(f: tensor<f32>[{h}, {w}]) -> float = python "calls:frame_sum";'
                                                      .format(h=h, w=w), "frame_sum(f)"))
        without = best(runs, lambda: frames_seconds("", "seq(f) * {0}.0".format(h * w)))
        frame_bytes = frames * h * w * 4
        passing = max(with_call - without, 1e-9)
        gbs = frame_bytes / passing / 1e9
        pool_gbs = frame_bytes / best(runs, lambda: pool_frames(frames, h, w)) / 1e9
        print(f"  frames into a Python task: {gbs:>6.2f} GB/s ({with_call:.2f} s with the call, {without:.2f} s making the frames alone)")
        print(f"  frames through multiprocessing.Pool(2): {pool_gbs:.2f} GB/s")
        if not args.smoke:
            def goal(text, met):
                print(f"goal: {text} ({'met' if met else 'NOT met'})")
            goal(f"<= 50 us per call: {per_call:.1f} us (1 worker, provenance off; {per_call_on:.1f} us on)", per_call <= 50)
            goal(f">= 20,000 calls/s with 2 workers: {rate_off:,.0f} (provenance off), {rate_on:,.0f} (on)", rate_off >= 20000)
            goal(f">= 5 GB/s for 16 MiB frames: {gbs:.2f} GB/s", gbs >= 5)
            goal(f">= 100x faster per call than sh: {sh_per_call / per_call:,.0f}x", sh_per_call >= 100 * per_call)
            goal(f"as fast as multiprocessing.Pool: calls {rate_off / pool_rate:.2f}x, frames {gbs / pool_gbs:.2f}x",
                 rate_off >= pool_rate and gbs >= pool_gbs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
