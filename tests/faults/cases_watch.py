"""watch() under faults: a flood that overflows inotify's queue while the handler is slow, the
watched folder removed and made again, and a folder that cannot come back. Every file is
ingested once, or the run says it may have missed some and does not exit 0."""
import contextlib
import json
import os
import signal
import subprocess
import time

from faultlib import SKIP, Failure, check, stop
from run_runtime import npy_bytes, query, wait_for

CASES = {}

# The handler does real work per item (a 64x64 tensor made and summed), so the files land far
# faster than it takes them and the source cannot keep reading events.
FLOW = """
type Frame = tensor<f32>[4];
type Big = tensor<f32>[64, 64];
stream landed: Frame from watch("incoming", "*.npy");
catalog seen: { id: int, total: float } at "seen.db";
flow main {
    on new data of type Frame in landed as f {
        let work = sum(noise(Big, seq(f)));
        record { id: seq(f), total: sum(f) + work * 0.0 } in seen;
    }
}
"""

QUEUE_LIMIT = "/proc/sys/fs/inotify/max_queued_events"


def start(xdmlc, tmp, stats=True):
    flow = os.path.join(tmp, "watch.xdml")
    with open(flow, "w") as f:
        f.write(FLOW)
    work = os.path.join(tmp, "w")
    os.makedirs(os.path.join(work, "incoming"), exist_ok=True)
    args = [xdmlc, "run", flow, "--workdir", work] + (["--stats-json", os.path.join(tmp, "s.json")] if stats else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, work


def watching(pid):
    """Whether process `pid` holds an inotify instance with a watch (its fdinfo lists the wd)."""
    fdinfo = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fdinfo):
        with contextlib.suppress(OSError), open(os.path.join(fdinfo, fd)) as f:
            if "inotify wd:" in f.read():
                return True
    return False


def items(work):
    return query(os.path.join(work, "provenance.db"), "SELECT count(*) FROM entities WHERE stream = 'landed'")[0][0]


def stage(folder, names, value=1.0):
    """Whole files written beside the watched folder, to be renamed in (fast, and never half-written)."""
    os.makedirs(folder, exist_ok=True)
    data = npy_bytes([value] * 4, (4,))
    for name in names:
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def finish(proc, sig=signal.SIGINT):
    """Stops the run as a user would (Ctrl-C) and returns its status, standard output and error."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        stop(proc)
        out, err = proc.communicate()
    return proc.returncode, out, err


def case_watch_flood(xdmlc, tmp):
    """30,000 files renamed in within seconds, a slow handler, inotify's queue made small while
    the run starts: the queue overflows, rescans find what the events missed, each file is
    ingested exactly once, and the run stopped with Ctrl-C exits 0 (nothing is missing)."""
    if os.geteuid() != 0 or not os.access(QUEUE_LIMIT, os.W_OK):
        print(f"skipped: lowering {QUEUE_LIMIT} to force an overflow needs root")
        raise SystemExit(SKIP)
    n = 30000
    names = [f"f{i:05d}.npy" for i in range(n)]
    staging = os.path.join(tmp, "staging")
    stage(staging, names)
    with open(QUEUE_LIMIT) as f:
        saved = f.read().strip()
    proc = None
    try:
        # Read when an inotify instance is made: only this run's instance gets the small queue.
        with open(QUEUE_LIMIT, "w") as f:
            f.write("256")
        proc, work = start(xdmlc, tmp)
        wait_for(lambda: proc.poll() is not None or watching(proc.pid), 60, "the watch to start")
    finally:
        with open(QUEUE_LIMIT, "w") as f:
            f.write(saved)
    if proc.poll() is not None:
        raise Failure("the run ended before any file landed: " + "".join(proc.communicate()))
    try:
        incoming = os.path.join(work, "incoming")
        began = time.time()
        for name in names:
            os.rename(os.path.join(staging, name), os.path.join(incoming, name))
        landed = time.time() - began
        wait_for(lambda: items(work) >= n, 600, f"{n} items")
        took = time.time() - began
        time.sleep(1.5)  # a late duplicate (a second event, a rescan) would show by now
        status, out, err = finish(proc)
    finally:
        stop(proc)
    print(f"{n} files renamed in over {landed:.2f} s, all ingested after {took:.1f} s")
    check(status == 0, f"exit {status} after Ctrl-C with nothing missed: {out}{err}")
    prov = os.path.join(work, "provenance.db")
    rows = query(prov, "SELECT path, count(*) FROM entities WHERE stream = 'landed' GROUP BY path")
    twice = [r for r in rows if r[1] != 1]
    check(not twice, f"{len(twice)} files ingested more than once, e.g. {twice[:3]}")
    check(sorted(os.path.basename(r[0]) for r in rows) == names, f"{len(rows)} distinct files ingested of {n}")
    check(query(os.path.join(work, "seen.db"), "SELECT count(*) FROM seen")[0][0] == n, "one catalog row per file")
    stats = json.load(open(os.path.join(tmp, "s.json")))
    print(f"gaps {stats['source_gaps']}, recovered by rescans {stats['recovered_items']}")
    check(stats["items"]["landed"] == n and stats["malformed_items"]["landed"] == 0, f"items {stats['items']}")
    check(stats["source_gaps"].get("landed", 0) >= 1 and stats["recovered_items"]["landed"] >= 1,
          f"the queue overflowed and rescans recovered files (else this case tests nothing): {stats}")
    check(stats["may_have_missed"] == {}, f"nothing may have been missed: {stats['may_have_missed']}")
    check("overflowed" in err and "lost track of its source" in out, f"the overflow is reported: {out}{err}")
    check(query(prov, "SELECT status FROM runs") == [("stopped",)], "the run stopped on Ctrl-C")


def case_watch_folder_recreated(xdmlc, tmp):
    """The watched folder removed and made again mid-run: the files that land in the new folder
    are ingested (those already there when it is watched again by a rescan, in name order)."""
    proc, work = start(xdmlc, tmp)
    incoming = os.path.join(work, "incoming")
    staging = os.path.join(tmp, "staging")
    try:
        wait_for(lambda: proc.poll() is not None or watching(proc.pid), 60, "the watch to start")
        stage(staging, ["a0.npy", "a1.npy"])
        for name in ["a0.npy", "a1.npy"]:
            os.rename(os.path.join(staging, name), os.path.join(incoming, name))
        wait_for(lambda: items(work) >= 2, 60, "the first 2 items")
        subprocess.run(["rm", "-rf", incoming], check=True)
        time.sleep(0.5)
        os.makedirs(incoming)
        stage(staging, ["b1.npy", "b0.npy"], 2.0)
        for name in ["b1.npy", "b0.npy"]:  # in the folder before it is watched again, or after
            os.rename(os.path.join(staging, name), os.path.join(incoming, name))
        time.sleep(1.5)
        stage(staging, ["c0.npy"], 3.0)
        os.rename(os.path.join(staging, "c0.npy"), os.path.join(incoming, "c0.npy"))
        wait_for(lambda: items(work) >= 5, 60, "5 items")
        time.sleep(0.5)
        status, out, err = finish(proc)
    finally:
        stop(proc)
    check(status == 0, f"exit {status}: the folder came back and nothing was missed: {out}{err}")
    paths = query(os.path.join(work, "provenance.db"), "SELECT path FROM entities WHERE stream = 'landed' ORDER BY id")
    got = [os.path.basename(p[0]) for p in paths]
    check(sorted(got) == ["a0.npy", "a1.npy", "b0.npy", "b1.npy", "c0.npy"], f"items {got}")
    check(got[-1] == "c0.npy", f"the file that landed last came last: {got}")
    check("removed or moved away" in err and "the folder is back" in err, f"the loss and return are reported: {err}")


def case_watch_missed_exit(xdmlc, tmp):
    """The watched folder replaced by a file: the watch cannot go on, the stream ends, and the
    run ends by itself with status 1, run status `incomplete` and the reason in its summary."""
    proc, work = start(xdmlc, tmp)
    incoming = os.path.join(work, "incoming")
    try:
        wait_for(lambda: proc.poll() is not None or watching(proc.pid), 60, "the watch to start")
        stage(os.path.join(tmp, "staging"), ["a0.npy"])
        os.rename(os.path.join(tmp, "staging", "a0.npy"), os.path.join(incoming, "a0.npy"))
        wait_for(lambda: items(work) >= 1, 60, "the first item")
        subprocess.run(["rm", "-rf", incoming], check=True)
        with open(incoming, "w") as f:
            f.write("not a folder")
        out, err = proc.communicate(timeout=60)  # ends by itself: its only stream ended
        status = proc.returncode
    finally:
        stop(proc)
    check(status == 1, f"exit {status}, expected 1 (items may have been missed): {out}{err}")
    check("run incomplete: it may have missed items" in out, f"the summary says so: {out}")
    check("may have missed items: stream landed: its path is no longer a folder" in out, f"with its reason: {out}")
    check("error: stream landed" in err, f"reported when it happened: {err}")
    check(query(os.path.join(work, "provenance.db"), "SELECT status FROM runs") == [("incomplete",)],
          "the run is recorded incomplete")
    stats = json.load(open(os.path.join(tmp, "s.json")))
    check("landed" in stats["may_have_missed"], f"--stats-json names the stream: {stats['may_have_missed']}")


CASES["watch_flood"] = case_watch_flood
CASES["watch_folder_recreated"] = case_watch_folder_recreated
CASES["watch_missed_exit"] = case_watch_missed_exit
