#!/usr/bin/env python3
"""Detector files in and files out (LANGUAGE.md §9), through `xdmlc run`: HDF5 frames made here
by h5py (plain, gzip, LZ4, bitshuffle-LZ4, external links, a 2-D dataset, a wrong dtype, a
missing dataset, a truncated file), raw files, streams of paths, `read` of HDF5 and raw, and
`write` by extension read back by h5py, json and csv. Usage: run_files.py --xdmlc X CASE."""
import csv
import json
import os
import subprocess
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_runtime import check, interrupted, main, query, run, running, wait_for  # noqa: E402

import bitshuffle.h5  # noqa: E402,F401  (registers the bitshuffle filter with h5py's HDF5, to write it)

BSHUF_ID, LZ4_ID = 32008, 32004


def frames(n, h=8, w=6, dtype=np.uint32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 1000, size=(n, h, w)).astype(dtype)


def write_h5(path, data, dataset="/entry/data/data", **kw):
    with h5py.File(path, "w") as f:
        f.create_dataset(dataset, data=data, **kw)


SUM_FLOW = """
import std.io;
type Frame = tensor<{elem}>[8, 6];
stream frames: Frame from files("{glob}", dataset: "{dataset}");
catalog sums: {{ i: int, total: float }} at "sums.db";
flow main {{
    on new data of type Frame in frames as f {{ record {{ i: seq(f), total: sum(f) }} in sums; }}
}}
"""


def sums_of(xdmlc, tmp, glob, dataset="/entry/data/data", elem="u32", expect_exit=0):
    flow = os.path.join(tmp, "sum.xdml")
    open(flow, "w").write(SUM_FLOW.format(elem=elem, glob=glob, dataset=dataset))
    work = tmp  # sources and reads find relative paths in the work directory
    db = os.path.join(work, "sums.db")
    if os.path.exists(db):
        os.remove(db)
    r = run(xdmlc, [flow, "--workdir", work, "--quiet"], cwd=tmp)
    check(r.returncode == expect_exit, f"exit {r.returncode}, wanted {expect_exit}: {r.stderr}")
    rows = query(db, "SELECT i, total FROM sums ORDER BY i") if os.path.exists(db) else []
    return rows, r


def case_hdf5_filters(xdmlc, tmp):
    """Frames of a 3-D dataset, one item each, in order, the same sums as NumPy's, whatever the
    compression: none, gzip, LZ4, bitshuffle-LZ4 (chunk per frame: the direct path), and
    bitshuffle-LZ4 and gzip in chunks of several frames (through the library)."""
    data = frames(7)
    variants = {
        "plain": {},
        "gzip": {"compression": "gzip", "chunks": (1, 8, 6)},
        "lz4": {"compression": LZ4_ID, "chunks": (1, 8, 6)},
        "bslz4": {"compression": BSHUF_ID, "compression_opts": (0, 2), "chunks": (1, 8, 6)},
        "bslz4_multi": {"compression": BSHUF_ID, "compression_opts": (0, 2), "chunks": (3, 8, 6)},
        "plain_chunked": {"chunks": (1, 8, 6)},
        "gzip_shuffle": {"compression": "gzip", "shuffle": True, "chunks": (2, 4, 6)},
    }
    want = [(i, float(data[i].sum())) for i in range(len(data))]
    for name, kw in variants.items():
        os.makedirs(os.path.join(tmp, name))
        write_h5(os.path.join(tmp, name, "run.h5"), data, **kw)
        rows, r = sums_of(xdmlc, tmp, f"{name}/*.h5")
        check(rows == want, f"{name}: rows {rows}, wanted {want}")
    # Two files: the frames of the first, then of the second (files in name order).
    os.makedirs(os.path.join(tmp, "two"))
    write_h5(os.path.join(tmp, "two", "a.h5"), data[:3], compression=BSHUF_ID, compression_opts=(0, 2), chunks=(1, 8, 6))
    write_h5(os.path.join(tmp, "two", "b.h5"), data[3:], compression="gzip", chunks=(1, 8, 6))
    rows, _ = sums_of(xdmlc, tmp, "two/*.h5")
    check(rows == want, f"two files: rows {rows}")


def case_hdf5_links_and_shapes(xdmlc, tmp):
    """An Eiger-style master file whose dataset is an external link into a data file is
    followed; a 2-D dataset is one item; other element types (i16) read as declared."""
    data = frames(4)
    os.makedirs(os.path.join(tmp, "eiger"))
    write_h5(os.path.join(tmp, "eiger", "series_data_000001.h5"), data, dataset="/entry/data/data",
             compression=BSHUF_ID, compression_opts=(0, 2), chunks=(1, 8, 6))
    with h5py.File(os.path.join(tmp, "eiger", "series_master.h5"), "w") as f:
        f["/entry/data/data_000001"] = h5py.ExternalLink("series_data_000001.h5", "/entry/data/data")
    rows, _ = sums_of(xdmlc, tmp, "eiger/*_master.h5", dataset="/entry/data/data_000001")
    check(rows == [(i, float(data[i].sum())) for i in range(4)], f"external link: {rows}")

    os.makedirs(os.path.join(tmp, "flat"))
    write_h5(os.path.join(tmp, "flat", "one.h5"), data[2], dataset="/image")
    rows, _ = sums_of(xdmlc, tmp, "flat/*.h5", dataset="/image")
    check(rows == [(0, float(data[2].sum()))], f"2-D dataset: {rows}")

    os.makedirs(os.path.join(tmp, "signed"))
    signed = (frames(2, dtype=np.int16) - 500).astype(np.int16)
    write_h5(os.path.join(tmp, "signed", "s.h5"), signed, compression="gzip")
    rows, _ = sums_of(xdmlc, tmp, "signed/*.h5", elem="i16")
    check(rows == [(i, float(signed[i].sum())) for i in range(2)], f"i16: {rows}")


def case_hdf5_bad_files(xdmlc, tmp):
    """A wrong dtype, a missing dataset or group, a truncated file, a file that is no HDF5 and a
    dataset of the wrong rank are each a per-file message naming the file and the dataset (the
    run goes on, as for a malformed .npy); the good file's frames arrive; no HDF5 error stack
    reaches the terminal."""
    good = frames(2)
    bad = {
        "dtype": (lambda p: write_h5(p, frames(2, dtype=np.float32)),
                  "dtype.h5:/entry/data/data: expected tensor<u32>[8, 6] frames, got tensor<f32>[8, 6] frames"),
        "nodataset": (lambda p: write_h5(p, good, dataset="/entry/data/other"),
                      "nodataset.h5:/entry/data/data: the file has no dataset '/entry/data/data'"),
        "nogroup": (lambda p: write_h5(p, good, dataset="/entry/other"),
                    "nogroup.h5:/entry/data/data: the file has no group '/entry/data'"),
        "text": (lambda p: open(p, "w").write("not hdf5\n"), "text.h5: is not an HDF5 file"),
        "rank": (lambda p: write_h5(p, np.zeros((2, 2, 8, 6), np.uint32)),
                 "rank.h5:/entry/data/data: is a 4-D dataset; items of tensor<u32>[8, 6] come from a 3-D dataset"),
        "truncated": (None, "truncated.h5: cannot open it as HDF5: truncated file"),
    }
    for name, (make, needle) in bad.items():
        folder = os.path.join(tmp, name)
        os.makedirs(folder)
        write_h5(os.path.join(folder, "a_good.h5"), good, compression="gzip")
        path = os.path.join(folder, f"{name}.h5")
        if make:
            make(path)
        else:
            write_h5(path, frames(50), compression="gzip", chunks=(1, 8, 6))
            blob = open(path, "rb").read()
            open(path, "wb").write(blob[: len(blob) // 2])
        rows, r = sums_of(xdmlc, tmp, f"{name}/*.h5")
        check(rows == [(0, float(good[0].sum())), (1, float(good[1].sum()))], f"{name}: the good frames: {rows}")
        check(needle in r.stderr, f"{name}: missing {needle!r} in:\n{r.stderr}")
        check("skipped a malformed item" in r.stderr, f"{name}: not reported as a malformed item:\n{r.stderr}")
        check("HDF5-DIAG" not in r.stderr and "#000:" not in r.stderr, f"{name}: an HDF5 error stack was printed:\n{r.stderr}")


def case_hdf5_corrupt_chunks(xdmlc, tmp):
    """Corrupt bitshuffle-LZ4 and LZ4 chunks (bytes flipped inside the stored data) are a
    per-frame error, never a crash: XDML's checked decoders stand in for the plugins'."""
    os.makedirs(os.path.join(tmp, "c"))
    data = frames(3, h=64, w=64)
    for name, kw in {"bs": {"compression": BSHUF_ID, "compression_opts": (0, 2)},
                     "lz": {"compression": LZ4_ID}}.items():
        path = os.path.join(tmp, "c", f"{name}.h5")
        write_h5(path, data, chunks=(1, 64, 64), **kw)
        with h5py.File(path, "r") as f:
            offset = f["/entry/data/data"].id.get_chunk_info(1).byte_offset
        blob = bytearray(open(path, "rb").read())
        for k in range(16, 200):
            blob[offset + k] ^= 0x5A
        open(path, "wb").write(bytes(blob))
    flow = os.path.join(tmp, "sum.xdml")
    open(flow, "w").write(SUM_FLOW.format(elem="u32", glob="c/*.h5", dataset="/entry/data/data").replace("[8, 6]", "[64, 64]"))
    work = tmp
    r = run(xdmlc, [flow, "--workdir", work, "--quiet"], cwd=tmp)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    for name in ["bs", "lz"]:
        check(f"{name}.h5:/entry/data/data: frame 1: a block of the" in r.stderr, f"{name}: frame 1 not named:\n{r.stderr}")
    rows = query(os.path.join(work, "sums.db"), "SELECT count(*) FROM sums")
    check(rows[0][0] == 4, f"frames 0 and 2 of both files: {rows}")


RAW_FLOW = """
import std.io;
type Frame = tensor<f32>[4, 4];
stream raws: Frame from files("in/*.f32", format: raw);
stream bins: Frame from files("in/*.bin");
stream names: path from files("in/*.f32");
catalog got: { what: string, total: float } at "got.db";
catalog paths: { p: path } at "got.db";
flow main {
    on new data of type Frame in raws as f { record { what: "raw", total: sum(f) } in got; }
    on new data of type Frame in bins as f { record { what: "bin", total: sum(f) } in got; }
    on new data of type path in names as p { record { p: p } in paths; }
    let r: Frame = read("in/a.bin", Frame);
    log "read raw {sum(r)}";
}
"""


def case_raw_and_paths(xdmlc, tmp):
    """Raw files by `format: raw` and by extension (.bin) read the declared shape's elements; a
    file of another size is a per-file error; a stream of `path` delivers the names."""
    os.makedirs(os.path.join(tmp, "in"))
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    a.tofile(os.path.join(tmp, "in", "f000.f32"))
    (a * 2).tofile(os.path.join(tmp, "in", "f001.f32"))
    np.arange(15, dtype=np.float32).tofile(os.path.join(tmp, "in", "short.f32"))
    (a + 1).tofile(os.path.join(tmp, "in", "a.bin"))
    flow = os.path.join(tmp, "raw.xdml")
    open(flow, "w").write(RAW_FLOW)
    work = tmp
    r = run(xdmlc, [flow, "--workdir", work], cwd=tmp)
    check(r.returncode == 0, f"one malformed file is skipped: exit {r.returncode}: {r.stderr}")
    check("short.f32: raw elements of tensor<f32>[4, 4] are 64 bytes, got 60" in r.stderr, f"the short file's message:\n{r.stderr}")
    check(f"read raw {float((a + 1).sum()):g}" in r.stdout + r.stderr, f"read of a raw file:\n{r.stdout}")
    got = sorted(query(os.path.join(work, "got.db"), "SELECT what, total FROM got"))
    check(got == sorted([("raw", float(a.sum())), ("raw", float(a.sum() * 2)), ("bin", float((a + 1).sum()))]), f"got {got}")
    paths = sorted(p for (p,) in query(os.path.join(work, "got.db"), "SELECT p FROM paths"))
    check([os.path.basename(p) for p in paths] == ["f000.f32", "f001.f32", "short.f32"], f"paths {paths}")


WRITE_FLOW = """
import std.io;
type Img = tensor<u32>[3, 4];
flow main {
    let t: Img = zeros(Img) + 7;
    write("out/t.npy", t);
    write("out/t.h5", t);
    write("out/t.h5:/entry/result", t * 2);
    write("out/t.raw", t);
    write("out/rec.json", { name: "a \\"q\\"", score: 0.5, wait: 500ms, ok: true, img: t, rows: [1, 2] });
    write("out/rows.csv", [{ name: "x,y", score: 1.5, wait: 2s, ok: true }, { name: "z", score: 2.0, wait: 1ms, ok: false }]);
    write("out/note.txt", "line\\n");
    let back: Img = read("out/t.h5:/entry/result", Img);
    let same: Img = read("out/t.h5", Img);
    log "read back {sum(back)} {sum(same)}";
}
"""


def case_write_by_extension(xdmlc, tmp):
    """write() by extension: .npy, HDF5 (/data and a named dataset in one file, read by h5py),
    raw, JSON (python -m json.tool accepts it), CSV (a header row), text; the provenance names
    the HDF5 file and dataset."""
    flow = os.path.join(tmp, "write.xdml")
    open(flow, "w").write(WRITE_FLOW)
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work], cwd=tmp)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    check("read back 168.0 84.0" in r.stdout + r.stderr, f"log:\n{r.stdout}{r.stderr}")
    out = os.path.join(work, "out")
    t = np.full((3, 4), 7, np.uint32)
    check(np.array_equal(np.load(os.path.join(out, "t.npy")), t), "npy")
    with h5py.File(os.path.join(out, "t.h5"), "r") as f:
        check(f["/data"].dtype == np.uint32 and np.array_equal(f["/data"][()], t), "h5 /data")
        check(np.array_equal(f["/entry/result"][()], t * 2), "h5 /entry/result")
    check(np.array_equal(np.fromfile(os.path.join(out, "t.raw"), np.uint32).reshape(3, 4), t), "raw")
    subprocess.run([sys.executable, "-m", "json.tool", os.path.join(out, "rec.json")], check=True, capture_output=True)
    rec = json.load(open(os.path.join(out, "rec.json")))
    check(rec == {"name": 'a "q"', "score": 0.5, "wait": "500ms", "ok": True, "img": t.tolist(), "rows": [1, 2]}, f"json {rec}")
    rows = list(csv.reader(open(os.path.join(out, "rows.csv"), newline="")))
    check(rows == [["name", "score", "wait", "ok"], ["x,y", "1.5", "2s", "true"], ["z", "2.0", "1ms", "false"]], f"csv {rows}")
    check(open(os.path.join(out, "note.txt")).read() == "line\n", "txt")
    paths = [p for (p,) in query(os.path.join(work, "provenance.db"),
                                 "SELECT path FROM entities WHERE path LIKE '%t.h5%'")]
    check(any(p.endswith("t.h5:/entry/result") for p in paths) and any(p.endswith("t.h5:/data") for p in paths),
          f"provenance paths {paths}")


def case_write_checked(xdmlc, tmp):
    """A value that does not fit the format of a path computed at run time is an error at the
    write's line, naming the file."""
    flow = os.path.join(tmp, "w.xdml")
    open(flow, "w").write('import std.io;\nflow main {\n    let ext = "csv";\n    write("out.{ext}", 3);\n}\n')
    r = run(xdmlc, [flow, "--workdir", os.path.join(tmp, "w")], cwd=tmp)
    check(r.returncode == 1 and "w.xdml:4" in r.stderr and "out.csv" in r.stderr and ".csv' takes a list of flat records" in r.stderr,
          f"exit {r.returncode}: {r.stderr}")
    open(flow, "w").write('import std.io;\nflow main {\n    let ext = "png";\n    write("out.{ext}", 3);\n}\n')
    r = run(xdmlc, [flow, "--workdir", os.path.join(tmp, "w")], cwd=tmp)
    check(r.returncode == 1 and "w.xdml:4" in r.stderr and "by their extension" in r.stderr, f"exit {r.returncode}: {r.stderr}")


RUNS_FLOW = """
type V = tensor<f32>[2, 2];
fn make(i: int) -> V = zeros(V) + i;
stream s: V from generate(make, 3);
catalog rows: { i: int, total: float } at "rows.db";
flow main {
    on new data of type V in s as v { record { i: seq(v), total: sum(v) } in rows; }
    on stop { log "this run: {count(rows)} rows"; }
}
"""


def case_catalog_runs(xdmlc, tmp):
    """Each catalog row carries the run that recorded it; count(catalog) counts the current
    run's rows; `xdmlc catalog export` writes CSV and JSON, all runs or one; a table made before
    the column existed gets it, filled from the lineage sidecar."""
    flow = os.path.join(tmp, "runs.xdml")
    open(flow, "w").write(RUNS_FLOW)
    work = os.path.join(tmp, "w")
    for _ in range(2):
        r = run(xdmlc, [flow, "--workdir", work])
        check(r.returncode == 0 and "this run: 3 rows" in r.stdout + r.stderr, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    db = os.path.join(work, "rows.db")
    check(query(db, "SELECT run, count(*) FROM rows GROUP BY run ORDER BY run") == [(1, 3), (2, 3)],
          f"runs {query(db, 'SELECT run, count(*) FROM rows GROUP BY run')}")
    out = subprocess.run([xdmlc, "catalog", "export", "rows", "--workdir", work, "--run", "2", "--format", "json"],
                         capture_output=True, text=True)
    check(out.returncode == 0, f"export: {out.returncode} {out.stderr}")
    # Rows come in the order they were recorded, which two workers may swap: compared sorted.
    check(sorted(json.loads(out.stdout), key=lambda r: r["i"]) == [{"i": i, "total": 4.0 * i, "run": 2} for i in range(3)],
          f"json {out.stdout}")
    target = os.path.join(tmp, "rows.csv")
    out = subprocess.run([xdmlc, "catalog", "export", "rows", "--workdir", work, "-o", target], capture_output=True, text=True)
    check(out.returncode == 0, f"export csv: {out.returncode} {out.stderr}")
    rows = list(csv.reader(open(target, newline="")))
    check(rows[0] == ["i", "total", "run"] and len(rows) == 7 and ["0", "0.0", "2"] in rows[4:] and ["0", "0.0", "1"] in rows[1:4],
          f"csv {rows}")
    out = subprocess.run([xdmlc, "catalog", "export", "nothere", "--workdir", work], capture_output=True, text=True)
    check(out.returncode == 1 and "no catalog 'nothere'" in out.stderr, f"unknown catalog: {out.returncode} {out.stderr}")
    # A table of an older XDML, without the column: it is added and filled from the lineage.
    import sqlite3
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE old AS SELECT i, total FROM rows")
    con.execute("DROP TABLE rows")
    con.execute("ALTER TABLE old RENAME TO rows")
    con.commit()
    con.close()
    r = run(xdmlc, [flow, "--workdir", work])
    check(r.returncode == 0 and "this run: 3 rows" in r.stdout + r.stderr, f"after the migration: {r.stdout}{r.stderr}")
    got = query(db, "SELECT run, count(*) FROM rows GROUP BY run ORDER BY run")
    check(got == [(1, 3), (2, 3), (3, 3)], f"runs after the migration {got}")


def case_eiger_example(xdmlc, tmp):
    """examples/eiger.xdml over a series examples/eiger_data.py makes (master files with external
    links, bitshuffle-LZ4 frames): every fifth frame is a hit, each hit written as HDF5 that
    h5py reads back equal to its frame, a JSON summary on stop; then the series folder set by
    --set, and a second run in the same work directory counting only its own rows."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    work = os.path.join(tmp, "eiger.run")
    subprocess.run([sys.executable, os.path.join(root, "examples", "eiger_data.py"), os.path.join(work, "series"),
                    "--series", "2", "--frames", "10"], check=True, capture_output=True)
    flow = os.path.join(root, "examples", "eiger.xdml")
    for attempt in range(2):
        r = run(xdmlc, [flow, "--workdir", work])
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
        summary = json.load(open(os.path.join(work, "summary.json")))
        check(summary["frames"] == 20 and summary["hits"] == 4 and summary["hit_rate"] == 0.2, f"run {attempt}: {summary}")
    with h5py.File(os.path.join(work, "series", "run001_data_000001.h5"), "r") as f:
        first = f["/entry/data/data"][0]
    with h5py.File(os.path.join(work, "hits", "hit_00000.h5"), "r") as f:
        check(f["/entry/data/data"].dtype == np.uint32 and np.array_equal(f["/entry/data/data"][()], first), "hit 0 as written")
    os.rename(os.path.join(work, "series"), os.path.join(work, "run7"))
    r = run(xdmlc, [flow, "--workdir", work, "--set", "series=run7", "--set", "min_bright=100000"])
    summary = json.load(open(os.path.join(work, "summary.json")))
    check(r.returncode == 0 and summary["series"] == "run7" and summary["hits"] == 0 and summary["frames"] == 20, f"{summary}")


WATCH_FLOW = """
import std.io;
type Frame = tensor<u32>[8, 6];
stream frames: Frame from watch("incoming", "*.h5", dataset: "/entry/data/data");
catalog sums: { i: int, total: float } at "sums.db";
flow main {
    on new data of type Frame in frames as f { record { i: seq(f), total: sum(f) } in sums; }
    on stop { write("summary.json", { frames: count(sums) }); }
}
"""


def case_hdf5_watch(xdmlc, tmp):
    """watch() with dataset: an HDF5 file written in place by h5py counts once it is closed (its
    frames in order, never half a file); a second file's frames follow; SIGINT ends the run and
    `on stop` writes the summary."""
    flow = os.path.join(tmp, "watch.xdml")
    open(flow, "w").write(WATCH_FLOW)
    incoming = os.path.join(tmp, "incoming")
    os.makedirs(incoming)
    with running([xdmlc, "run", flow, "--workdir", tmp], tmp) as proc:
        a, b = frames(3, seed=1), frames(2, seed=2)
        # Written where it is watched, frame by frame, flushed in between: only its close counts.
        with h5py.File(os.path.join(incoming, "a.h5"), "w") as f:
            ds = f.create_dataset("/entry/data/data", shape=(3, 8, 6), dtype=np.uint32, chunks=(1, 8, 6),
                                  compression=BSHUF_ID, compression_opts=(0, 2))
            for i in range(3):
                ds[i] = a[i]
                f.flush()
                time.sleep(0.1)
        write_h5(os.path.join(incoming, "b.h5"), b, compression="gzip")
        sums = os.path.join(tmp, "sums.db")
        wait_for(lambda: os.path.exists(sums) and query(sums, "SELECT count(*) FROM sums")[0][0] >= 5, 30, "5 frames")
        _, err = interrupted(proc)
    want = [(i, float(x.sum())) for i, x in enumerate(list(a) + list(b))]
    got = query(os.path.join(tmp, "sums.db"), "SELECT i, total FROM sums ORDER BY i")
    check(got == want, f"frames {got}, wanted {want}\n{err}")
    check(json.load(open(os.path.join(tmp, "summary.json"))) == {"frames": 5}, f"summary: {err}")
    check("malformed" not in err, f"a half-written file was read:\n{err}")


CASES = {name[len("case_"):]: f for name, f in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(main(CASES, prefix="xdml-files"))
