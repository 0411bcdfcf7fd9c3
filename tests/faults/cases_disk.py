"""A full disk: every file the tool writes (`:save`, `build -o`, `--stats-json`) fails with the
reason and a non-zero exit, leaving an old file as it was; a run whose work directory fills up
shows its repeated failures a few times with the reason, counts the rest, and still prints its
summary and writes --stats-json. Also the other promises of the one writer: `-o -` is standard
output, and `written_bytes` counts what `write()` wrote."""
import json
import os
import re
import subprocess

from faultlib import Failure, check, small_tmpfs
from run_runtime import run

CASES = {}

FULL = "No space left on device"
OLD = "// the old file, which a failed write must leave as it was\nlet kept = 1;\n"

SMALL_FLOW = """
type Frame = tensor<f32>[4];
fn frame(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(frame, 3);
flow main {
    on new data of type Frame in frames as f { log "frame {seq(f)}"; }
}
"""

# 3,000 frames of 16 KiB written into the work directory: a 2 MiB disk fills after about 100.
FILLING_FLOW = """
import std.io;
type Frame = tensor<f32>[64, 64];
type Row = { n: int, s: float };
fn frame(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(frame, 3000);
catalog rows: Row at "rows.db";
flow main {
    on new data of type Frame in frames as f {
        write("out/f_{seq(f)}.npy", f);
        record { n: seq(f), s: mean(f) } in rows;
    }
}
"""


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def read_text(path):
    with open(path) as f:
        return f.read()


def fill(disk):
    """Writes one file until the disk says it is full."""
    with open(os.path.join(disk, "filler"), "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass


def expect_refused(r, old_file, what):
    """The promise of a write onto a full disk: non-zero exit, the reason, the old file intact."""
    check(r.returncode != 0, f"{what} on a full disk exited 0: {r.stdout}{r.stderr}")
    check(FULL in r.stderr, f"{what}: no reason in the message: {r.stderr!r}")
    check(os.path.basename(old_file) in r.stderr, f"{what}: the message does not name the file: {r.stderr!r}")
    check(read_text(old_file) == OLD, f"{what} changed the old file")
    leftovers = [n for n in os.listdir(os.path.dirname(old_file)) if n not in ("filler", os.path.basename(old_file))]
    check(leftovers == [], f"{what} left files behind: {leftovers}")


def case_disk_repl_save(xdmlc, tmp):
    with small_tmpfs(os.path.join(tmp, "disk"), "256k") as disk:
        saved = write_text(os.path.join(disk, "session.xdml"), OLD)
        fill(disk)
        # More than the old file holds, so a truncating write would have lost it.
        script = "".join(f"fn value_{i}(x: int) -> int = x * {i};\n" for i in range(40)) + f":save {saved}\n"
        r = subprocess.run([xdmlc, "repl", "--workdir", os.path.join(tmp, "w")], input=script,
                           capture_output=True, text=True, timeout=120)
        check("wrote" not in r.stdout, f":save said it wrote: {r.stdout}")
        expect_refused(r, saved, ":save")


def case_disk_build_output(xdmlc, tmp):
    flow = write_text(os.path.join(tmp, "f.xdml"), SMALL_FLOW)
    with small_tmpfs(os.path.join(tmp, "disk"), "256k") as disk:
        plan = write_text(os.path.join(disk, "plan.json"), OLD)
        fill(disk)
        r = subprocess.run([xdmlc, "build", flow, "-o", plan], capture_output=True, text=True, timeout=120)
        expect_refused(r, plan, "build -o")


def case_disk_stats_json(xdmlc, tmp):
    flow = write_text(os.path.join(tmp, "f.xdml"), SMALL_FLOW)
    with small_tmpfs(os.path.join(tmp, "disk"), "256k") as disk:
        stats = write_text(os.path.join(disk, "stats.json"), OLD)
        fill(disk)
        r = run(xdmlc, [flow, "--workdir", os.path.join(tmp, "w"), "--stats-json", stats], timeout=120)
        expect_refused(r, stats, "--stats-json")


def case_disk_run_workdir(xdmlc, tmp):
    flow = write_text(os.path.join(tmp, "f.xdml"), FILLING_FLOW)
    stats = os.path.join(tmp, "stats.json")  # on another disk than the work directory
    with small_tmpfs(os.path.join(tmp, "w"), "2m") as work:
        r = run(xdmlc, [flow, "--workdir", work, "--stats-json", stats], timeout=300)
    check(r.returncode != 0, f"a run on a full disk exited 0: {r.stdout[-2000:]}")
    failures = [line for line in r.stderr.splitlines() if "cannot write" in line]
    check(failures, f"no write failure reported: {r.stderr[-2000:]}")
    check(len(failures) <= 5, f"{len(failures)} write failures shown (a few, then counted): {failures[:8]}")
    check(all(FULL in line for line in failures), f"a failure without its reason: {failures}")
    check(len(r.stderr.splitlines()) <= 40, f"{len(r.stderr.splitlines())} lines on standard error:\n{r.stderr[-3000:]}")
    check("run finished with failures" in r.stdout, f"no summary: {r.stdout[-2000:]}")
    counted = re.search(r"… (\d+) more like this: .*cannot write it: " + FULL, r.stdout)
    check(counted and int(counted.group(1)) > 100, f"the summary does not count the repeats: {r.stdout[-2000:]}")
    counters = json.loads(read_text(stats))
    check(counters["written_bytes"] > 0, f"--stats-json says nothing was written: {counters}")


def parsed(text, what):
    try:
        return json.loads(text)
    except ValueError:
        raise Failure(f"{what} printed no JSON: {text[:200]!r}")


def case_output_dash(xdmlc, tmp):
    """`-o -` is standard output, for every command that takes -o."""
    flow = write_text(os.path.join(tmp, "f.xdml"), SMALL_FLOW)
    r = subprocess.run([xdmlc, "build", flow, "-o", "-"], capture_output=True, text=True, cwd=tmp, timeout=120)
    check(r.returncode == 0, f"build -o - exited {r.returncode}: {r.stderr}")
    check("stats" in parsed(r.stdout, "build -o -"), "build -o - printed no plan")
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work], timeout=120)
    check(r.returncode == 0, f"the run failed: {r.stderr}")
    r = subprocess.run([xdmlc, "prov", "export", "--workdir", work, "--format", "prov-json", "-o", "-"],
                       capture_output=True, text=True, cwd=tmp, timeout=120)
    check(r.returncode == 0, f"prov export -o - exited {r.returncode}: {r.stderr}")
    check("entity" in parsed(r.stdout, "prov export -o -"), "prov export -o - printed no PROV-JSON")
    check(not os.path.exists(os.path.join(tmp, "-")), "a file named '-' was written")


def case_written_bytes_write(xdmlc, tmp):
    """`written_bytes` counts the files `write()` wrote (and `written_file_bytes` too)."""
    flow = write_text(os.path.join(tmp, "f.xdml"), FILLING_FLOW.replace("3000", "5").replace(
        "        record { n: seq(f), s: mean(f) } in rows;\n", ""))
    stats = os.path.join(tmp, "stats.json")
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work, "--stats-json", stats, "-O2"], timeout=120)
    check(r.returncode == 0, f"the run failed: {r.stderr}")
    on_disk = sum(os.path.getsize(os.path.join(work, "out", n)) for n in os.listdir(os.path.join(work, "out")))
    counters = json.loads(read_text(stats))
    check(on_disk >= 5 * 64 * 64 * 4, f"write() wrote {on_disk} bytes")
    check(counters["written_bytes"] == on_disk, f"written_bytes {counters['written_bytes']}, write() wrote {on_disk}")
    check(counters["written_file_bytes"] == on_disk, f"written_file_bytes {counters['written_file_bytes']}, write() wrote {on_disk}")


CASES["disk_repl_save"] = case_disk_repl_save
CASES["disk_build_output"] = case_disk_build_output
CASES["disk_stats_json"] = case_disk_stats_json
CASES["disk_run_workdir"] = case_disk_run_workdir
CASES["output_dash"] = case_output_dash
CASES["written_bytes_write"] = case_written_bytes_write
