#!/usr/bin/python3
"""bench/resume: the share of work a resume runs again after kill -9 (docs/distributed.md,
"Resume"). A flow of N `files` items, two tasks each (one taking ~20 ms), is timed uninterrupted,
then killed at 25%, 50% and 75% of that time and resumed: printed are the items skipped, the
calls reused (finished before the kill but their item not fully handled), the calls run again,
and the share of all calls that ran again beside the share not yet done at the kill. The scan
time per 100k activities is bench_resume (the C++ half). `--smoke`: small N, counts checked."""
import argparse
import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

FLOW = """
import std.exec;
type Frame = tensor<f32>[8, 8];
stream disk: Frame from files("in/*.npy");
catalog rows: { n: int, total: float, peak: float } at "rows.db";
task total(f: Frame) -> float { let waited = sh("sleep 0.02"); return sum(f); }
task peak(f: Frame) -> float { return max(f) * 2.0; }
flow main { on new data of type Frame in disk as f { record { n: seq(f), total: total(f), peak: peak(f) } in rows; } }
"""


def npy(values, shape):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{d}, " for d in shape).rstrip(" ")
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(f"<{len(values)}f", *values)


def workdir(tmp, name, items):
    work = os.path.join(tmp, name)
    os.makedirs(os.path.join(work, "in"))
    for i in range(items):
        with open(os.path.join(work, "in", f"f{i:04d}.npy"), "wb") as f:
            f.write(npy([float(i + j) for j in range(64)], (8, 8)))
    return work


def run(xdmlc, flow, work, *extra):
    stats = os.path.join(work, "stats.json")
    r = subprocess.run([xdmlc, "run", flow, "--workdir", work, "--quiet", "--no-jit", "--stats-json", stats, *extra],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise SystemExit(f"xdmlc run exited {r.returncode}: {r.stderr}")
    return json.load(open(stats))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdmlc", required=True)
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    items = 20 if args.smoke else args.items
    tmp = tempfile.mkdtemp(prefix="xdml-bench-resume-")
    try:
        flow = os.path.join(tmp, "flow.xdml")
        open(flow, "w").write(FLOW)
        t = time.time()
        run(args.xdmlc, flow, workdir(tmp, "full", items))
        full = time.time() - t
        print(f"uninterrupted: {items} items, {2 * items} task calls in {full:.2f} s")
        print("kill at | items skipped | calls reused | calls run again | share run again | share not done at the kill")
        for at in (0.25, 0.5, 0.75):
            work = workdir(tmp, f"k{int(at * 100)}", items)
            proc = subprocess.Popen([args.xdmlc, "run", flow, "--workdir", work, "--quiet", "--no-jit"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(full * at)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            s = run(args.xdmlc, flow, work, "--resume")
            calls = 2 * items
            handled = sum(s["items"].values())
            if handled + s["resumed_items"] != items or s["tasks_run"] + s["reused_tasks"] != 2 * handled:
                raise SystemExit(f"the counts do not add up: {s}")
            print(f"{at:7.0%} | {s['resumed_items']:13d} | {s['reused_tasks']:12d} | {s['tasks_run']:15d} | "
                  f"{s['tasks_run'] / calls:15.1%} | {1 - at:.0%} (by time)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
