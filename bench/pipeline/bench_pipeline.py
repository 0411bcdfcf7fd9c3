#!/usr/bin/python3
"""bench/pipeline: the four-phase raw-frame pipeline of the issue "Real experiments", in XDML, in
plain Python with NumPy and with Dask's threaded scheduler, in one run, outputs checked equal.

200 raw float32 frames of 512x512 (1 MiB each, no header). Per frame: crop the centre 256x256
and normalize it by its maximum; write it raw; a catalog row (frame, mean, peak); a label file
("lit" or "dark"). At the end a JSON summary. Printed: the wall time of each as a whole command,
from process start to exit, as a user runs it (`xdmlc run`, provenance on and off; `python3`
running the Python or the Dask version), the bytes each wrote, and the goals: XDML with provenance
at or below plain Python's time, and its bytes at most the outputs plus provenance.
`--smoke`: 10 small frames, every path run and checked, no goal judged."""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import numpy as np

FLOW = """
/// The four phases over raw detector frames (bench/pipeline).
import std.io;
param input: path = "frames";
type Raw = tensor<f32>[{n}, {n}];
type Cropped = tensor<f32>[{c}, {c}];
stream raw: Raw from files("{{input}}/*.f32", format: raw);
catalog meta: {{ frame: int, mean: float, peak: float }} at "meta.db";
fn crop(r: Raw) -> Cropped = r[{lo}:{hi}, {lo}:{hi}];
fn normalize(c: Cropped) -> Cropped = c / (max(c) + 1e-6);
flow pipeline {{
    on new data of type Raw in raw as r {{
        let c = normalize(crop(r));
        let i = seq(r);
        write("out/f{{i:03}}.raw", c);
        record {{ frame: i, mean: mean(c), peak: max(c) }} in meta;
        write("labels/f{{i:03}}.txt", mean(c) > 0.5 ? "lit" : "dark");
    }}
    on end of raw {{ write("summary.json", {{ frames: count(meta) }}); }}
}}
"""


def process(path, lo, hi, n):
    r = np.fromfile(path, np.float32).reshape(n, n)
    c = r[lo:hi, lo:hi]
    return c / (c.max() + np.float32(1e-6))


def finish_frame(work, i, c):
    c.tofile(os.path.join(work, "out", f"f{i:03}.raw"))
    mean = float(c.mean(dtype=np.float64))
    with open(os.path.join(work, "labels", f"f{i:03}.txt"), "w") as f:
        f.write("lit" if mean > 0.5 else "dark")
    return (i, mean, float(c.max()))


def python_loop(work, files, lo, hi, n):
    os.makedirs(os.path.join(work, "out"))
    os.makedirs(os.path.join(work, "labels"))
    con = sqlite3.connect(os.path.join(work, "meta.db"))
    con.execute("CREATE TABLE meta (frame INTEGER, mean REAL, peak REAL)")
    for i, path in enumerate(files):
        con.execute("INSERT INTO meta VALUES (?, ?, ?)", finish_frame(work, i, process(path, lo, hi, n)))
        con.commit()
    count = con.execute("SELECT count(*) FROM meta").fetchone()[0]
    con.close()
    json.dump({"frames": count}, open(os.path.join(work, "summary.json"), "w"))


def dask_threads(work, files, lo, hi, n):
    import dask
    os.makedirs(os.path.join(work, "out"))
    os.makedirs(os.path.join(work, "labels"))
    rows = dask.compute(*[dask.delayed(finish_frame)(work, i, dask.delayed(process)(p, lo, hi, n))
                          for i, p in enumerate(files)], scheduler="threads")
    con = sqlite3.connect(os.path.join(work, "meta.db"))
    con.execute("CREATE TABLE meta (frame INTEGER, mean REAL, peak REAL)")
    con.executemany("INSERT INTO meta VALUES (?, ?, ?)", rows)
    con.commit()
    con.close()
    json.dump({"frames": len(rows)}, open(os.path.join(work, "summary.json"), "w"))


def outputs(work, frames):
    """What every implementation must produce the same: cropped frames, labels, rows, summary."""
    crops = [np.fromfile(os.path.join(work, "out", f"f{i:03}.raw"), np.float32) for i in range(frames)]
    labels = [open(os.path.join(work, "labels", f"f{i:03}.txt")).read() for i in range(frames)]
    con = sqlite3.connect(os.path.join(work, "meta.db"))
    rows = con.execute("SELECT frame, mean, peak FROM meta ORDER BY frame").fetchall()
    con.close()
    return crops, labels, rows, json.load(open(os.path.join(work, "summary.json")))["frames"]


def same(a, b):
    ca, la, ra, sa = a
    cb, lb, rb, sb = b
    return (all(np.array_equal(x, y) for x, y in zip(ca, cb)) and la == lb and sa == sb and len(ra) == len(rb)
            and all(x[0] == y[0] and abs(x[1] - y[1]) < 1e-5 and abs(x[2] - y[2]) < 1e-6 for x, y in zip(ra, rb)))


def bytes_below(folder):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def run_impl(args):
    """One implementation as its own command (what a user runs: `python3 pipeline.py`), so
    each is timed from process start to exit, as `xdmlc run` is."""
    files = sorted(os.path.join(args.input, f) for f in os.listdir(args.input))
    c = args.size // 2
    lo, hi = args.size // 4, args.size // 4 + c
    (python_loop if args.impl == "python" else dask_threads)(args.work, files, lo, hi, args.size)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdmlc")
    ap.add_argument("--impl", choices=["python", "dask"], help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.impl:
        return run_impl(args)
    if not args.xdmlc:
        ap.error("--xdmlc is required")
    frames, n, runs = (10, 64, 1) if args.smoke else (args.frames, args.size, args.runs)
    c = n // 2
    lo, hi = n // 4, n // 4 + c
    tmp = tempfile.mkdtemp(prefix="xdml-bench-pipeline-")
    try:
        inputs = os.path.join(tmp, "frames")
        os.makedirs(inputs)
        rng = np.random.default_rng(7)
        for i in range(frames):
            (rng.random((n, n), dtype=np.float32) * (2.0 if i % 2 else 1.0)).tofile(os.path.join(inputs, f"f{i:03}.f32"))
        files = sorted(os.path.join(inputs, f) for f in os.listdir(inputs))
        flow = os.path.join(tmp, "pipeline.xdml")
        open(flow, "w").write(FLOW.format(n=n, c=c, lo=lo, hi=hi))
        out_bytes = frames * c * c * 4
        print(f"bench/pipeline: {frames} raw f32 frames of {n}x{n}: crop {c}x{c} and normalize, write raw, "
              f"a catalog row and a label file each, a JSON summary; each a whole command (process start to exit)")

        def timed(label, fn):
            best, result = None, None
            for k in range(runs):
                work = os.path.join(tmp, f"{label}-{k}")
                start = time.perf_counter()
                fn(work)
                t = time.perf_counter() - start
                if best is None or t < best[0]:
                    best = (t, work)
                result = outputs(work, frames)
            written = bytes_below(best[1])
            print(f"  {label:<30} {best[0]:7.3f} s  (best of {runs}), {written / 1e6:8.2f} MB written")
            return best[0], result, written, best[1]

        def xdml(extra):
            def go(work):
                r = subprocess.run([args.xdmlc, "run", flow, "--workdir", work, "--quiet", "--set", f"input={inputs}", *extra],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise SystemExit(f"xdmlc run exited {r.returncode}: {r.stderr}")
            return go

        def command(impl):
            def go(work):
                subprocess.run([sys.executable, os.path.abspath(__file__), "--impl", impl, "--work", work, "--input", inputs,
                                "--size", str(n)], check=True)
            return go

        # Every implementation timed as a whole command, from process start to exit.
        py_t, reference, py_bytes, _ = timed("plain Python + NumPy", command("python"))
        dask_t, dask_out, _, _ = timed("Dask, threaded scheduler", command("dask"))
        x_t, x_out, x_bytes, x_work = timed("XDML, provenance on", xdml([]))
        xn_t, xn_out, _, _ = timed("XDML, --no-provenance", xdml(["--no-provenance"]))
        for label, got in [("Dask", dask_out), ("XDML", x_out), ("XDML --no-provenance", xn_out)]:
            if not same(reference, got):
                raise SystemExit(f"{label}'s outputs differ from plain Python's")
        print("  outputs: the same in all four (cropped frames bit for bit, labels, rows, summary)")
        def files_named(prefix):
            return sum(os.path.getsize(os.path.join(x_work, f)) for f in os.listdir(x_work) if f.startswith(prefix))
        # The run's records: provenance and the resume log (what a resume after a kill skips).
        prov = files_named("provenance.db") + bytes_below(os.path.join(x_work, "resume"))
        # The outputs: the crops, the labels, the summary and the catalog (with its sidecars).
        outputs_bytes = (bytes_below(os.path.join(x_work, "out")) + bytes_below(os.path.join(x_work, "labels")) +
                         files_named("summary.json") + files_named("meta.db"))
        print(f"  XDML wrote {x_bytes / 1e6:.2f} MB: outputs {outputs_bytes / 1e6:.2f} MB (the crops alone {out_bytes / 1e6:.2f} MB) "
              f"+ provenance and resume log {prov / 1e6:.2f} MB")
        if not args.smoke:
            print(f"goal: XDML (provenance on) <= plain Python: {x_t:.3f} s vs {py_t:.3f} s "
                  f"({'met' if x_t <= py_t else 'NOT met'}); Dask {dask_t:.3f} s")
            print(f"goal: bytes written <= outputs + provenance: {x_bytes} vs {outputs_bytes + prov} "
                  f"({'met' if x_bytes <= outputs_bytes + prov else 'NOT met'})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
