#!/usr/bin/python3
"""Runtime tests: flows run by `xdmlc run`, with their catalogs, counters and provenance
asserted. One case per invocation (`run_runtime.py --xdmlc X CASE`), so CTest reports each.

Needs Debian's python3 with python3-zmq (scripts/install-deps.sh installs it)."""
import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


class Failure(Exception):
    pass


def without_leak_checks(env):
    """The environment of runs under an MPI launcher. Under the sanitizer build
    (scripts/test.sh --sanitize sets ASAN_OPTIONS) leak checks are off there: OpenMPI and MPICH
    unload components at finalize whose allocations LeakSanitizer then reports from an
    "<unknown module>", which no suppression can name. Memory errors are still caught."""
    return dict(env, ASAN_OPTIONS=env["ASAN_OPTIONS"] + ":detect_leaks=0") if env.get("ASAN_OPTIONS") else env


def check(cond, what):
    if not cond:
        raise Failure(what)


def npy_bytes(values, shape):
    """A .npy file (format 1.0) of little-endian f32s, written by hand (no numpy needed)."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{d}, " for d in shape).rstrip(" ")
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(f"<{len(values)}f", *values)


def run(xdmlc, args, **kw):
    return subprocess.run([xdmlc, "run", *args], capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


def query(db, sql, args=()):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def wait_for(cond, seconds, what):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if cond():
                return
        except sqlite3.Error:
            pass  # the table may not exist yet
        time.sleep(0.05)
    raise Failure("timed out waiting for " + what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- cases

def case_statements(xdmlc, tmp):
    """Every statement and finite source; the catalogs and provenance are what the flow implies."""
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [os.path.join(EXAMPLES, "statements.xdml"), "--workdir", work, "--stats-json", os.path.join(tmp, "s.json")])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    stats = json.load(open(os.path.join(tmp, "s.json")))
    # 12 generated frames, 4 of them bright (i % 3 == 0), and 4 files, 1 bright: 5 relayed.
    check(stats["items"] == {"synthetic": 12, "disk": 4, "bright": 5}, f"items {stats['items']}")
    db = os.path.join(work, "summaries.db")
    rows = query(db, "SELECT id, total, peak, place FROM summaries ORDER BY place, id")
    check(len(rows) == 17, f"{len(rows)} summaries, expected 12 + 5")
    check(sum(1 for r in rows if r[3] == "hpc") == 5, "5 summaries made at the HPC site")
    check([r[0] for r in rows if r[3] == "edge"] == list(range(12)), "edge summaries carry seq 0..11")
    check(query(db, "SELECT count(*), min(name) FROM checks") == [(3, "checked\n")], "until ran 3 passes with sh's output")
    check("bright done: 17 summaries, 3 checks" in r.stdout, "on end of bright ran last: " + r.stdout)
    check("read back 4.125KiB: same frame true" in r.stdout, "read, size and exists work: " + r.stdout)
    # Provenance: one task activity per task call, every entity hashed, a trigger per firing.
    prov = os.path.join(work, "provenance.db")
    check(query(prov, "SELECT status FROM runs") == [("complete",)], "the run is complete")
    tasks = query(prov, "SELECT count(*) FROM activities WHERE kind = 'task' AND status = 'ok'")[0][0]
    check(tasks == stats["tasks_run"] == 22, f"{tasks} task activities, {stats['tasks_run']} tasks run, expected 22")
    check(query(prov, "SELECT count(*) FROM entities WHERE hash IS NULL OR hash = ''")[0][0] == 0, "every entity has its hash")
    handlers = query(prov, "SELECT count(*) FROM activities WHERE kind = 'handler'")[0][0]
    firings = sum(stats["handler_firings"].values())
    check(handlers == firings, f"{handlers} handler activities for {firings} firings")
    # A trigger decision where a choice was made: Bright (a predicate) fired once, the groups of
    # four twice, and the two `on end of` handlers once each.
    triggers = query(prov, "SELECT count(*) FROM decisions WHERE kind = 'trigger'")[0][0]
    check(triggers == 5, f"{triggers} trigger decisions, expected 5")
    items = query(prov, "SELECT count(*) FROM entities WHERE kind = 'item'")[0][0]
    check(items == 21, f"{items} item entities, expected 21")
    files = query(prov, "SELECT count(*) FROM entities WHERE kind = 'file' AND hash IS NOT NULL")[0][0]
    check(files == 5, f"{files} file entities: 4 written, 1 read")
    moved = query(prov, "SELECT count(*) FROM activities WHERE kind = 'transfer'")[0][0]
    check(moved == stats["transfers"] > 0, f"{moved} transfer activities, {stats['transfers']} transfers")
    used = query(prov, "SELECT count(*) FROM used u JOIN activities a ON a.id = u.activity WHERE a.kind = 'task'")[0][0]
    check(used == 22 * 2 - 5, f"{used} task inputs recorded")  # summarize takes 2, refine 1
    # A second run in the same work directory appends to the catalogs and adds a run.
    r = run(xdmlc, [os.path.join(EXAMPLES, "statements.xdml"), "--workdir", work, "--quiet"])
    check(r.returncode == 0 and r.stdout == "", f"quiet second run: exit {r.returncode}, output {r.stdout!r}")
    check(query(db, "SELECT count(*) FROM summaries")[0][0] == 34, "catalog appended by the second run")
    check(len(query(prov, "SELECT id FROM runs")) == 2, "two runs recorded")


def case_bytes(xdmlc, tmp):
    """Measured moved and written bytes per frame equal the plan's estimates, at -O0 and -O2."""
    for level in ("0", "2"):
        out = os.path.join(tmp, f"s{level}.json")
        r = run(xdmlc, [os.path.join(EXAMPLES, "relay.xdml"), "--workdir", os.path.join(tmp, "w" + level), f"-O{level}",
                        "--stats-json", out, "--quiet"])
        check(r.returncode == 0, f"-O{level}: exit {r.returncode}: {r.stderr}")
        s = json.load(open(out))
        n = s["items"]["raw_frames"]
        check(n == 200, f"{n} frames")
        for measured, planned in (("moved_bytes", "planned_moved_bytes_per_item"),
                                  ("written_bytes", "planned_written_bytes_per_item")):
            check(abs(s[measured] / n - s[planned]) < 1e-6,
                  f"-O{level}: {measured} per frame {s[measured] / n} but the plan says {s[planned]}")
    o0, o2 = (json.load(open(os.path.join(tmp, f"s{l}.json"))) for l in ("0", "2"))
    check(o2["written_bytes"] < o0["written_bytes"] / 100, "-O2 writes far less than -O0")
    values = os.listdir(os.path.join(tmp, "w0", "sites", "edge", "values"))
    check(len(values) >= 200 * 3, f"-O0 persisted every task output at the edge ({len(values)} files)")


@contextlib.contextmanager
def running(args, work):
    """A live run (start_running's) for the block; killed if it is still running at its end."""
    proc = start_running(args, work)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def interrupted(proc, timeout=60):
    """SIGINT to a live run, then its output once it has ended."""
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=timeout)


def start_running(args, work):
    """`xdmlc run ARGS` started, once its run row says it is running and its sources are set up."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    prov = os.path.join(work, "provenance.db")
    try:
        wait_for(lambda: os.path.exists(prov) and query(prov, "SELECT count(*) FROM runs WHERE status = 'running'")[0][0] >= 1,
                 30, "the run to start")
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    time.sleep(0.3)  # the watch and the socket are set up right after the run row
    return proc


def start_live(xdmlc, tmp, port, work):
    src = open(os.path.join(EXAMPLES, "live.xdml")).read().replace("tcp://*:5599", f"tcp://*:{port}")
    flow = os.path.join(tmp, "live.xdml")
    open(flow, "w").write(src)
    os.makedirs(os.path.join(work, "incoming"), exist_ok=True)
    return start_running([xdmlc, "run", flow, "--workdir", work, "--stats-json", os.path.join(tmp, "s.json")], work)


def case_live(xdmlc, tmp):
    """watch and zmq: files written by this test, messages sent by a real ZeroMQ client."""
    import zmq
    work = os.path.join(tmp, "w")
    port = free_port()
    proc = start_live(xdmlc, tmp, port, work)
    incoming = os.path.join(work, "incoming")
    try:
        # Renamed in: counted once, whole.
        for i in range(3):
            tmpfile = os.path.join(incoming, f".part{i}")
            open(tmpfile, "wb").write(npy_bytes([float(i)] * 64, (8, 8)))
            os.rename(tmpfile, os.path.join(incoming, f"f{i}.npy"))
        # Written slowly in place: counted when closed, never half-written.
        with open(os.path.join(incoming, "slow.npy"), "wb") as f:
            data = npy_bytes([20.0] * 64, (8, 8))
            for k in range(0, len(data), 50):
                f.write(data[k:k + 50])
                f.flush()
                time.sleep(0.02)
        open(os.path.join(incoming, "ignored.txt"), "w").write("not a frame")
        ctx = zmq.Context()
        push = ctx.socket(zmq.PUSH)
        push.connect(f"tcp://127.0.0.1:{port}")
        for i in range(3):
            push.send(npy_bytes([1.0] * 64, (8, 8)))
        push.send(b"garbage, not a frame")
        push.send(struct.pack("<64f", *([2.0] * 64)))  # raw little-endian elements
        db = os.path.join(work, "seen.db")
        wait_for(lambda: query(db, "SELECT count(*) FROM seen")[0][0] >= 8, 30, "8 records")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        push.close(0)
        ctx.term()
    finally:
        if proc.poll() is None:
            proc.kill()
    check(proc.returncode == 0, f"exit {proc.returncode}: {out}{err}")
    rows = query(db, "SELECT source, total FROM seen ORDER BY source, total")
    check(rows == [("watch", 0.0), ("watch", 64.0), ("watch", 128.0), ("watch", 1280.0),
                   ("zmq", 64.0), ("zmq", 64.0), ("zmq", 64.0), ("zmq", 128.0)], f"records {rows}")
    check("hot frame: 20" in out, "the Hot refinement fired for the slow file: " + out)
    stats = json.load(open(os.path.join(tmp, "s.json")))
    check(stats["malformed_items"]["pushed"] == 1, f"one malformed message: {stats['malformed_items']}")
    check("malformed" in out + err and "#3" in out + err, "the malformed message is reported with its number")
    prov = os.path.join(work, "provenance.db")
    check(query(prov, "SELECT status FROM runs") == [("stopped",)], "the run stopped on SIGINT")
    failed = query(prov, "SELECT error FROM activities WHERE kind = 'ingest' AND status = 'failed'")
    check(len(failed) == 1, f"the malformed item is recorded as a failed item: {failed}")
    paths = query(prov, "SELECT path FROM entities WHERE stream = 'landed' ORDER BY path")
    check([os.path.basename(p[0]) for p in paths] == ["f0.npy", "f1.npy", "f2.npy", "slow.npy"], f"paths {paths}")


def case_crash(xdmlc, tmp):
    """kill -9 mid-run: the database opens, holds what was committed, and the run is incomplete."""
    work = os.path.join(tmp, "w")
    port = free_port()
    proc = start_live(xdmlc, tmp, port, work)
    incoming = os.path.join(work, "incoming")
    try:
        for i in range(20):
            part = os.path.join(incoming, f".p{i}")
            open(part, "wb").write(npy_bytes([1.0] * 64, (8, 8)))
            os.rename(part, os.path.join(incoming, f"k{i}.npy"))
        prov = os.path.join(work, "provenance.db")
        wait_for(lambda: query(prov, "SELECT count(*) FROM entities WHERE kind = 'item'")[0][0] >= 20, 30, "20 items committed")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(query(prov, "PRAGMA integrity_check") == [("ok",)], "the database is intact")
    check(query(prov, "SELECT count(*) FROM entities WHERE kind = 'item'")[0][0] >= 20, "committed items survive")
    # The next run in the work directory marks the killed one incomplete.
    r = run(xdmlc, [os.path.join(EXAMPLES, "statements.xdml"), "--workdir", work, "--quiet"])
    check(r.returncode == 0, f"next run: exit {r.returncode} {r.stderr}")
    statuses = [s for (s,) in query(prov, "SELECT status FROM runs ORDER BY id")]
    check(statuses == ["incomplete", "complete"], f"statuses {statuses}")


FAILING = """
import std.exec;
type Frame = tensor<f32>[4];
fn frame(i: int) -> Frame = zeros(Frame) + i;
stream frames: Frame from generate(frame, 6);
catalog done: { id: int } at "done.db";
policy twice { retry: 2 }
task work(f: Frame) -> int @ twice {
    let out = sh(seq(f) == 3 ? "echo broken >&2; exit 3" : "true");
    return seq(f);
}
task slow(f: Frame) -> int @ { deadline: 1ms } { return len(sh("sleep 0.05")); }
flow main {
    on new data of type Frame in frames as f {
        record { id: work(f) } in done;
        let s = slow(f);
    }
}
"""


def case_failures(xdmlc, tmp):
    """A failing task is retried, then reported with its line; the other items go on; exit 1."""
    flow = os.path.join(tmp, "failing.xdml")
    open(flow, "w").write(FAILING)
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work, "--stats-json", os.path.join(tmp, "s.json")])
    check(r.returncode == 1, f"exit {r.returncode}, expected 1: {r.stdout}{r.stderr}")
    text = r.stdout + r.stderr
    check("failing.xdml:15:" in text and "exited with status 3" in text and "broken" in text,
          "the failure names the call's line, the status and stderr: " + text)
    rows = sorted(i for (i,) in query(os.path.join(work, "done.db"), "SELECT id FROM done"))
    check(rows == [0, 1, 2, 4, 5], f"the other items were recorded: {rows}")
    stats = json.load(open(os.path.join(tmp, "s.json")))
    check(stats["retries"] == 2 and stats["tasks_failed"] == 1, f"retries {stats['retries']}, failed {stats['tasks_failed']}")
    # Item 3's firing stopped at its failed task, so its slow task never started.
    check(stats["deadline_misses"] == 5, f"every slow task missed its 1ms deadline: {stats['deadline_misses']}")
    prov = os.path.join(work, "provenance.db")
    kinds = dict(query(prov, "SELECT kind, count(*) FROM decisions GROUP BY kind"))
    check(kinds.get("retry") == 2 and kinds.get("deadline_miss") == 5, f"decisions {kinds}")
    check(query(prov, "SELECT status FROM runs") == [("failed",)], "the run is marked failed")
    check("deadline misses" in r.stdout, "the summary warns of the deadline misses")


BAD_INPUT = """
type Frame = tensor<f32>[8, 8];
stream disk: Frame from files("in/*.npy");
catalog ok: { id: int } at "ok.db";
flow main { on new data of type Frame in disk as f { record { id: seq(f) } in ok; } }
"""


def case_bad_input(xdmlc, tmp):
    """Malformed files are skipped with their reason; a corrupt work directory is a clear error."""
    flow = os.path.join(tmp, "bad.xdml")
    open(flow, "w").write(BAD_INPUT)
    work = os.path.join(tmp, "w")
    os.makedirs(os.path.join(work, "in"))
    open(os.path.join(work, "in", "a.npy"), "wb").write(npy_bytes([1.0] * 64, (8, 8)))
    open(os.path.join(work, "in", "b.npy"), "wb").write(npy_bytes([1.0] * 16, (4, 4)))   # wrong shape
    open(os.path.join(work, "in", "c.npy"), "wb").write(b"\x93NUMPY\x01\x00garbage")       # truncated
    open(os.path.join(work, "in", "d.npy"), "wb").write(npy_bytes([2.0] * 64, (8, 8)))
    r = run(xdmlc, [flow, "--workdir", work])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    check("b.npy" in r.stdout + r.stderr and "c.npy" in r.stdout + r.stderr, "both bad files are named")
    check(query(os.path.join(work, "ok.db"), "SELECT count(*) FROM ok")[0][0] == 2, "the good files were handled")
    # A provenance.db that is not a database: a clear error naming it, no crash.
    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    open(os.path.join(bad, "provenance.db"), "w").write("this is not a database" * 100)
    r = run(xdmlc, [flow, "--workdir", bad])
    check(r.returncode == 1 and "provenance.db" in r.stderr, f"exit {r.returncode}: {r.stderr}")
    # A plan file that is not a plan.
    notplan = os.path.join(tmp, "x.json")
    open(notplan, "w").write('{"xdml_plan": 1}')
    r = run(xdmlc, [notplan, "--workdir", bad])
    check(r.returncode == 1 and "plan" in r.stderr, f"exit {r.returncode}: {r.stderr}")


def case_plan_file(xdmlc, tmp):
    """A plan written by `xdmlc build` runs as the script does."""
    plan = os.path.join(tmp, "relay.json")
    subprocess.run([xdmlc, "build", os.path.join(EXAMPLES, "relay.xdml"), "--emit=plan", "-o", plan], check=True)
    r = run(xdmlc, [plan, "--workdir", os.path.join(tmp, "w"), "--stats-json", os.path.join(tmp, "s.json"), "--quiet"])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    check(json.load(open(os.path.join(tmp, "s.json")))["items"]["raw_frames"] == 200, "all frames ran")


DATAFLOW = """
import std.exec;
fn id(i: int) -> int = i;
stream one: int from generate(id, 1);
stream relay: string;
catalog naps: { label: string } at "naps.db";
task nap(label: string, seconds: float) -> string { return sh("sleep {seconds}; printf {label}"); }
flow main {
    on new data of type int in one as i {
        let a = nap("a", 0.4);
        let b = nap("b", 0.2);
        record { label: nap("c", 0.4) } in naps;
        record { label: nap("d", 0.1) } in naps;
        emit nap("e", 0.2) to relay;
        record { label: "{a}{b}" } in naps;
    }
    on new data of type string in relay as r { log "relayed {r}"; }
}
"""


def case_dataflow(xdmlc, tmp):
    """Independent calls run at the same time; effects keep program order."""
    flow = os.path.join(tmp, "dataflow.xdml")
    open(flow, "w").write(DATAFLOW)
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    check("relayed e" in r.stdout, "the emit reached its stream: " + r.stdout)
    rows = [l for (l,) in query(os.path.join(work, "naps.db"), "SELECT label FROM naps ORDER BY rowid")]
    check(rows == ["c", "d", "ab"], f"records in program order: {rows}")
    starts = sorted(s for s, e in query(os.path.join(work, "provenance.db"),
                                        "SELECT started, ended FROM activities WHERE kind = 'task'"))
    ends = sorted(e for s, e in query(os.path.join(work, "provenance.db"),
                                      "SELECT started, ended FROM activities WHERE kind = 'task'"))
    check(len(starts) == 5, f"{len(starts)} task activities")
    # Two workers: the second task starts before the first one ends (they overlap).
    check(starts[1] < ends[0], f"tasks ran one after another: starts {starts}, ends {ends}")


def case_deploy_pool(xdmlc, tmp):
    """A deployment profile's `local` binding caps its site's worker pool: bound to one thread,
    the independent calls that overlap in case_dataflow run one after another, whether the
    flow is compiled with the profile or a plan compiled without it is run with it."""
    flow = os.path.join(tmp, "dataflow.xdml")
    open(flow, "w").write(DATAFLOW)
    deploy = os.path.join(tmp, "one.deploy.toml")
    open(deploy, "w").write('[profiles.one.sites.local]\nplacement = "local"\nthreads_per_rank = 1\n')
    plan = os.path.join(tmp, "plan.json")
    r = subprocess.run([xdmlc, "build", flow, "--emit=plan", "-o", plan], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"build: exit {r.returncode}: {r.stderr}")
    for what, target in (("flow", flow), ("plan", plan)):
        work = os.path.join(tmp, "w-" + what)
        r = run(xdmlc, [target, "--workdir", work, "--deploy", deploy])
        check(r.returncode == 0, f"{what}: exit {r.returncode}: {r.stdout}{r.stderr}")
        spans = sorted(query(os.path.join(work, "provenance.db"),
                             "SELECT started, ended FROM activities WHERE kind = 'task'"))
        check(len(spans) == 5, f"{what}: {len(spans)} task activities")
        for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
            check(s1 >= e0, f"{what}: two tasks overlapped on a one-thread site: {spans}")


CYCLES = """
fn gen(i: int) -> int = i;
stream src: int from generate(gen, 20);
stream work: int;
stream a: int;
stream b: int;
flow f {
    on new data of type int in src as x { emit 0 to work; emit 0 to a; }
    on new data of type int in work as x { if x < 6 { emit x + 1 to work; emit x + 1 to work; } }
    on new data of type int in a as x { if x < 10 { emit x + 1 to b; } }
    on new data of type int in b as x { if x < 10 { emit x + 1 to a; } }
    on end of work { log "work ended"; }
    on end of a { log "a ended"; }
}
"""


def case_cycles(xdmlc, tmp):
    """Streams that feed themselves or each other never deadlock, and end when quiet."""
    flow = os.path.join(tmp, "cycles.xdml")
    open(flow, "w").write(CYCLES)
    r = run(xdmlc, [flow, "--workdir", os.path.join(tmp, "w"), "--stats-json", os.path.join(tmp, "s.json")], timeout=120)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    s = json.load(open(os.path.join(tmp, "s.json")))
    # Each of the 20 seeds doubles 6 times in `work` (2^7 - 1 items) and bounces 11 times between a and b.
    check(s["items"] == {"src": 20, "work": 20 * 127, "a": 20 * 6, "b": 20 * 5}, f"items {s['items']}")
    check(s["dropped_items"] == 0, f"dropped {s['dropped_items']}")
    check("work ended" in r.stdout and "a ended" in r.stdout, "the cycles ended: " + r.stdout)


def catalog_rows(work):
    """Every catalog table of a run's work directory, each as its sorted rows."""
    out = {}
    for name in sorted(os.listdir(work)):
        if name.endswith(".db") and name != "provenance.db":
            for (table,) in query(os.path.join(work, name), "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'xdml_%'"):
                out[f"{name}:{table}"] = sorted(query(os.path.join(work, name), f'SELECT * FROM "{table}"'), key=repr)
    return out


OPTIMIZED_FLOW = """
type Frame = tensor<f32>[8, 8];
type Row = { frame: int, level: float, k: float };
fn detector(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(detector, 50);
catalog rows: Row at "rows.db";
flow optimized {
    on new data of type Frame in frames as f {
        let _unused = f * 2.0 + f;
        let k = 2.0 * 3.0 + 1.0;
        record { frame: seq(f), level: mean(f), k: k } in rows;
    }
}
"""

CHAIN_FLOW = """
type Frame = tensor<f32>[8, 8];
type Row = { frame: int, v: float };
fn detector(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(detector, 40);
catalog rows: Row at "rows.db";
catalog nested: Row at "nested.db";
task t1(f: Frame) -> Frame { return f * 2.0; }
task t2(f: Frame) -> Frame { return f + 1.0; }
task t3(f: Frame) -> float { return mean(f); }
flow chains {
    on new data of type Frame in frames as f {
        let a = t1(f);
        let b = t2(a);
        let c = t3(b);
        record { frame: seq(f), v: c } in rows;
        record { frame: seq(f), v: t3(t2(t1(f))) } in nested;
    }
}
"""


def statements_of(plan):
    """Every statement of the plan's flows, nested ones included."""
    out, work = [], [s for f in plan["code"]["flows"].values() for s in f["body"]]
    while work:
        s = work.pop()
        out.append(s)
        for key in ("body", "then", "else"):
            work.extend(s.get(key, []))
    return out


def case_optimized(xdmlc, tmp):
    """What the passes remove is not evaluated, what they fold is not recomputed, and a fused task
    chain runs as one job: the plan's code is the optimized program, and the results are the same."""
    flow = os.path.join(tmp, "optimized.xdml")
    open(flow, "w").write(OPTIMIZED_FLOW)
    evaluated, rows = {}, {}
    for level in ("0", "2"):
        for jit in ("--no-jit", "--jit-wait"):
            work, out = os.path.join(tmp, f"w{level}{jit}"), os.path.join(tmp, f"s{level}{jit}.json")
            r = run(xdmlc, [flow, "--workdir", work, f"-O{level}", jit, "--stats-json", out, "--quiet"])
            check(r.returncode == 0, f"-O{level} {jit}: exit {r.returncode}: {r.stderr}")
            evaluated[level, jit] = json.load(open(out))["expressions_evaluated"]
            rows[level, jit] = query(os.path.join(work, "rows.db"), "SELECT frame, level, k FROM rows ORDER BY frame")
    check(len(rows["0", "--no-jit"]) == 50 and all(r[2] == 7.0 for r in rows["0", "--no-jit"]), "50 rows with k = 7")
    check(len(set(map(tuple, rows.values()))) == 1, "the same rows at -O0 and -O2, compiled and interpreted")
    # Interpreted, per frame: the unused `f * 2.0 + f` (5 nodes) is not evaluated at -O2, and
    # `2.0 * 3.0 + 1.0` (5 nodes) is one literal: 9 nodes fewer per frame.
    saved = evaluated["0", "--no-jit"] - evaluated["2", "--no-jit"]
    check(saved == 9 * 50, f"-O0 evaluated {evaluated['0', '--no-jit']} nodes, -O2 {evaluated['2', '--no-jit']}: "
          f"{saved} fewer, the passes say {9 * 50}")
    check(evaluated["2", "--jit-wait"] < evaluated["0", "--jit-wait"], f"fewer nodes at -O2 with the JIT too: {evaluated}")
    plan = json.loads(subprocess.run([xdmlc, "build", flow, "-O2"], capture_output=True, text=True).stdout)
    body = plan["code"]["flows"]["optimized"]["body"][0]["body"]
    check([s.get("name") for s in body] == ["k", None], f"-O2 code: the unused let is gone: {body}")
    check(body[0]["value"] == {"line": 10, "at": body[0]["value"]["at"], "type": {"kind": "float"}, "folded": True,
                               "op": "float", "value": 7.0}, f"-O2 code: the constant is a literal: {body[0]['value']}")

    # Fused task chains: the plan's code runs them as one job; the results equal -O0's.
    flow = os.path.join(tmp, "chains.xdml")
    open(flow, "w").write(CHAIN_FLOW)
    plan = json.loads(subprocess.run([xdmlc, "build", flow, "-O2"], capture_output=True, text=True).stdout)
    fused = [s for s in statements_of(plan) if s["op"] == "fused"]
    check(len(fused) == 1 and [s["name"] for s in fused[0]["body"]] == ["a", "b", "c"],
          f"-O2 code: the three lets of the chain are one fused block: {fused}")
    chain = plan["nodes"][[n["id"] for n in plan["nodes"]].index(fused[0]["node"])]
    check(chain["kind"] == "fused" and "task t1" in chain["fused"], f"the block's node is the fused chain: {chain}")
    results = {}
    for level in ("0", "2"):
        work, out = os.path.join(tmp, f"c{level}"), os.path.join(tmp, f"c{level}.json")
        r = run(xdmlc, [flow, "--workdir", work, f"-O{level}", "--stats-json", out, "--quiet"])
        check(r.returncode == 0, f"chains -O{level}: exit {r.returncode}: {r.stderr}")
        s = json.load(open(out))
        check(s["tasks_run"] == 240, f"-O{level}: {s['tasks_run']} tasks run, expected 6 per frame")
        # At -O2 the fused chain is one request per frame (its calls run in place on the
        # worker); the nested calls of the record stay three requests.
        expected = {"0": 6 * 40, "2": 4 * 40}[level]
        check(s["requests"] == expected, f"-O{level}: {s['requests']} requests to the sites, expected {expected}")
        prov = os.path.join(work, "provenance.db")
        check(query(prov, "SELECT count(*) FROM activities WHERE kind = 'task' AND status = 'ok'")[0][0] == 240,
              f"-O{level}: every task call is its own activity")
        results[level] = [query(os.path.join(work, f"{c}.db"), f"SELECT frame, v FROM {c} ORDER BY frame") for c in ("rows", "nested")]
    check(results["0"] == results["2"] and len(results["0"][0]) == 40 and results["0"][0] == results["0"][1],
          "the chains give the same values at -O0 and -O2, as statements and nested")


def case_jit(xdmlc, tmp):
    """Flows give identical catalogs compiled and interpreted (--no-jit), compiling before the
    flow starts (--jit-wait) or in the background, at -O0 and -O2; a JIT failure is reported with
    its line and the flow runs on, interpreted."""
    for example in ["hitfinder.xdml", "relay.xdml"]:
        flow = os.path.join(EXAMPLES, example)
        reference = None
        for opt in ["-O0", "-O2"]:
            for mode in ["--no-jit", "--jit-wait", "background"]:
                work = os.path.join(tmp, f"{example}{opt}{mode}")
                stats = work + ".json"
                r = run(xdmlc, [flow, opt, "--workdir", work, "--stats-json", stats, "--quiet"] + ([] if mode == "background" else [mode]))
                check(r.returncode == 0, f"{example} {opt} {mode}: exit {r.returncode}: {r.stdout}{r.stderr}")
                rows = catalog_rows(work)
                check(rows and all(rows.values()), f"{example} {opt} {mode}: empty catalogs {rows}")
                if reference is None:
                    reference = rows
                check(rows == reference, f"{example} {opt} {mode}: catalogs differ from -O0 --no-jit")
                kernels = json.load(open(stats))["jit"]["kernels"]
                if mode == "--no-jit":
                    check(kernels == [], f"{example}: --no-jit compiled {kernels}")
                if mode == "--jit-wait":
                    check(kernels and all(k["compiled"] for k in kernels), f"{example} {opt}: not all compiled: {kernels}")
                    fns = [k for k in kernels if k["what"].startswith("fn ")]
                    check(len(fns) >= 3, f"{example}: fns compiled {fns}")
                    expressions = [k for k in kernels if k["what"].startswith("kernel ")]
                    if example == "hitfinder.xdml":
                        check(any(k["what"] == "type Hit" for k in kernels), f"the predicate is compiled: {kernels}")
                        # Fusion (-O2) makes kernels of the handlers' tensor expressions; -O0 does not.
                        check(bool(expressions) == (opt == "-O2"), f"{opt}: expression kernels {expressions}")

    # A JIT failure: reported once with the fn's line, the fn runs interpreted, the results stay.
    work = os.path.join(tmp, "inject")
    env = dict(os.environ, XDML_JIT_INJECT_FAILURE="fn bright")
    r = run(xdmlc, [os.path.join(EXAMPLES, "hitfinder.xdml"), "--workdir", work, "--jit-wait"], env=env)
    check(r.returncode == 0, f"inject: exit {r.returncode}: {r.stdout}{r.stderr}")
    out = r.stdout + r.stderr
    check("hitfinder.xdml:20: the JIT could not compile fn bright (a failure injected by XDML_JIT_INJECT_FAILURE); it runs interpreted" in out,
          "the failure is reported with its line: " + out)
    check(catalog_rows(work) == catalog_rows(os.path.join(tmp, "hitfinder.xdml-O2--no-jit")), "results after a JIT failure")

    # --emit=llvm: the kernels as LLVM IR, vectorized by construction, each named by its source.
    r = subprocess.run([xdmlc, "build", os.path.join(EXAMPLES, "hitfinder.xdml"), "--emit=llvm"], capture_output=True, text=True)
    check(r.returncode == 0, r.stderr)
    for want in ["; ---- fn bright (line 20): xdml_fn_bright_", "define i32 @xdml_type_Hit_", "load <8 x float>", "@xdml_jit_normal"]:
        check(want in r.stdout, f"--emit=llvm has {want!r}")
    r = subprocess.run([xdmlc, "build", os.path.join(EXAMPLES, "hitfinder.xdml"), "--emit=llvm-opt"], capture_output=True, text=True)
    bright = r.stdout.split("i32 @xdml_fn_bright_")[-1].split("\n}")[0]
    check(r.returncode == 0 and "phi <8 x i64>" in bright, "--emit=llvm-opt: count's eight lanes stay in registers: " + bright)


PARAMS_FLOW = """
/// Where the frames come from.
param incoming: path = "incoming";
param threshold: float = 0.5;
param count: int = 4;
param deadline: duration = 200ms;
param tagged: bool = false;

fn id(i: int) -> int = i;
stream ticks: int from generate(id, count);
catalog got: { i: int, t: float, d: string, ms: float, tagged: bool } at "got.db";

flow main {
    on new data of type int in ticks as t @ { deadline: deadline } {
        record { i: t, t: threshold, d: "{incoming}/f{t}.npy", ms: deadline / 1ms, tagged: tagged } in got;
    }
}
"""


def case_params(xdmlc, tmp):
    """Params (LANGUAGE.md §9): --params FILE, then --set (which wins), reach the run's values;
    runs.arguments records the values used (the file's as --set flags); the run recorded with
    them replays identically; a bad value stops the run before anything runs."""
    flow = os.path.join(tmp, "params.xdml")
    open(flow, "w").write(PARAMS_FLOW)
    values = os.path.join(tmp, "values.json")
    json.dump({"count": 3, "threshold": 0.75, "deadline": "1.5s", "incoming": "/from/file"}, open(values, "w"))
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work, "--quiet", "--params", values, "--set", "incoming=/data/run 7",
                    "--set", "tagged=true"])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    rows = query(os.path.join(work, "got.db"), "SELECT i, t, d, ms, tagged FROM got ORDER BY i")
    check(rows == [(i, 0.75, f"/data/run 7/f{i}.npy", 1500.0, 1) for i in range(3)], f"rows {rows}")
    (arguments,), = query(os.path.join(work, "provenance.db"), "SELECT arguments FROM runs")
    for flag in ("--set count=3", "--set threshold=0.75", "--set deadline=1.5s", "--set incoming=/data/run 7", "--set tagged=true"):
        check(flag in arguments, f"runs.arguments has {flag!r}: {arguments!r}")
    check("--params" not in arguments and "/from/file" not in arguments, f"runs.arguments: {arguments!r}")
    (plan,), = query(os.path.join(work, "provenance.db"), "SELECT plan FROM runs")
    params = {p["name"]: p for p in json.loads(plan)["params"]}
    check(params["count"]["value"] == "3" and params["count"]["set_by"].startswith("--params")
          and params["tagged"]["set_by"] == "--set tagged=true" and params["threshold"]["default"] == "0.5",
          f"the recorded plan's params: {params}")
    r = subprocess.run([xdmlc, "replay", "--workdir", work, "--json"], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0 and json.loads(r.stdout)["identical"] is True, f"replay: {r.returncode} {r.stdout} {r.stderr}")
    # Defaults without flags.
    r = run(xdmlc, [flow, "--workdir", os.path.join(tmp, "d"), "--quiet"])
    check(r.returncode == 0, r.stderr)
    check(query(os.path.join(tmp, "d", "got.db"), "SELECT count(*), min(t), max(d) FROM got") == [(4, 0.5, "incoming/f3.npy")],
          "the defaults")
    # A bad value, an unknown name, a plan given --set: refused before the run starts.
    for args, code, says in ((["--set", "count=many"], 1, "--set count=many: 'many' is not a value of param 'count' (int)"),
                             (["--set", "cuont=3"], 1, "the flow declares no param 'cuont' (did you mean 'count'?)"),
                             (["--set", "count"], 2, "--set count: expected NAME=VALUE")):
        bad = os.path.join(tmp, "bad")
        r = run(xdmlc, [flow, "--workdir", bad, "--quiet", *args])
        check(r.returncode == code and says in r.stderr, f"{args}: exit {r.returncode}, {r.stderr!r}")
        check(not os.path.exists(os.path.join(bad, "provenance.db")), f"{args}: nothing ran")
    plan_file = os.path.join(tmp, "plan.json")
    r = subprocess.run([xdmlc, "build", flow, "--set", "count=2", "-o", plan_file], capture_output=True, text=True)
    check(r.returncode == 0, r.stderr)
    r = run(xdmlc, [plan_file, "--workdir", os.path.join(tmp, "p"), "--quiet", "--set", "count=5"])
    check(r.returncode == 2 and "--set and --params apply only to a .xdml file" in r.stderr, r.stderr)
    r = run(xdmlc, [plan_file, "--workdir", os.path.join(tmp, "p"), "--quiet"])
    check(r.returncode == 0 and query(os.path.join(tmp, "p", "got.db"), "SELECT count(*) FROM got") == [(2,)],
          "a plan built with --set runs with its values")


STOP_FLOW = """
type Frame = tensor<f32>[8, 8];
stream frames: Frame from SOURCE;
catalog seen: { m: float } at "seen.db";
catalog summary: { n: int, total: float, loops: int } at "summary.db";
task weigh(f: Frame) -> float { return mean(f); }

flow watcher {
    on new data of type Frame in frames as f { record { m: weigh(f) } in seen; }
    on stop {
        let n = count(seen);
        for k in [1, 2, 3] { log "pass {k}"; }
        record { n: n, total: weigh(zeros(Frame) + 2.0) * n, loops: 3 } in summary;
        log "summary: {n} frames";
    }
}
"""


def case_on_stop(xdmlc, tmp):
    """`on stop` (LANGUAGE.md §9) fires once as the run ends: after a finite stream's end, and
    after SIGINT stops a live `watch` flow — with the work under way finished, before the
    catalogs close, its loop and task running as in any firing; its trigger says why."""
    def summary(work):
        return query(os.path.join(work, "summary.db"), "SELECT n, total, loops FROM summary")

    def reason(work):
        return query(os.path.join(work, "provenance.db"),
                     "SELECT d.reason FROM decisions d JOIN activities a ON d.subject = 'activity:' || a.id "
                     "WHERE d.kind = 'trigger' AND a.name = 'on stop'")

    # A finite stream: the files that exist.
    finite = os.path.join(tmp, "finite")
    os.makedirs(os.path.join(finite, "in"))
    for i in range(4):
        open(os.path.join(finite, "in", f"f{i}.npy"), "wb").write(npy_bytes([float(i)] * 64, (8, 8)))
    flow = os.path.join(tmp, "finite.xdml")
    open(flow, "w").write(STOP_FLOW.replace("SOURCE", 'files("in/*.npy")'))
    r = run(xdmlc, [flow, "--workdir", finite])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    check(summary(finite) == [(4, 8.0, 3)], f"summary after the end: {summary(finite)}")
    check(reason(finite) == [("every stream ended and its handlers finished",)], f"trigger: {reason(finite)}")
    check("pass 3" in r.stderr + r.stdout and "summary: 4 frames" in r.stderr + r.stdout, r.stderr)

    # A live watch stopped by SIGINT.
    live = os.path.join(tmp, "live")
    incoming = os.path.join(live, "incoming")
    os.makedirs(incoming)
    flow = os.path.join(tmp, "live.xdml")
    open(flow, "w").write(STOP_FLOW.replace("SOURCE", 'watch("incoming", "*.npy")'))
    with running([xdmlc, "run", flow, "--workdir", live], live) as proc:
        for i in range(3):
            tmpfile = os.path.join(live, f".f{i}.tmp")
            open(tmpfile, "wb").write(npy_bytes([float(i)] * 64, (8, 8)))
            os.rename(tmpfile, os.path.join(incoming, f"f{i}.npy"))
        wait_for(lambda: os.path.exists(os.path.join(live, "seen.db")) and
                 query(os.path.join(live, "seen.db"), "SELECT count(*) FROM seen")[0][0] >= 3, 30, "3 records")
        out, err = interrupted(proc)
    check(proc.returncode == 0, f"exit {proc.returncode}: {err}")
    check(summary(live) == [(3, 6.0, 3)], f"summary after SIGINT: {summary(live)}")
    check(reason(live) == [("the run was stopped (a signal or the REPL's interrupt)",)], f"trigger: {reason(live)}")
    check(query(os.path.join(live, "provenance.db"), "SELECT status FROM runs") == [("stopped",)], "the run is recorded stopped")
    check("flow watcher on stop: 1 firings" in out + err and "pass 3" in out + err, out + err)


PACED_FLOW = """
param pace: duration = 100ms;
fn id(i: int) -> int = i;
stream ticks: int from generate(id, 6, period: pace);
catalog got: { i: int, at: float } at "got.db";
flow main { on new data of type int in ticks as t { record { i: t, at: now() / 1s } in got; } }
"""


def case_generate_period(xdmlc, tmp):
    """`generate(fn, n, period: D)` delivers item i at start + i * D (never sooner), and a
    stop ends the wait at once. Only lower bounds of time are asserted: the machine is shared."""
    flow = os.path.join(tmp, "paced.xdml")
    open(flow, "w").write(PACED_FLOW)
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work, "--quiet"])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    rows = query(os.path.join(work, "got.db"), "SELECT i, at FROM got ORDER BY i")
    check([i for i, _ in rows] == list(range(6)), f"items {rows}")
    # now() counts from the run's start, before the source starts: item i, due i periods after
    # the source started, cannot be recorded sooner than i periods into the run, however loaded
    # the machine (a bound against item 0's time would fail when item 0 itself came late).
    for i, at in rows:
        check(at >= i * 0.1 - 1e-6, f"item {i} was recorded {at:.3f} s into the run, before its time ({i * 0.1:.1f} s)")
    # A long period, stopped after the first item: the run ends without waiting for the rest.
    slow = os.path.join(tmp, "slow")
    proc = subprocess.Popen([xdmlc, "run", flow, "--workdir", slow, "--quiet", "--set", "pace=30s"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: os.path.exists(os.path.join(slow, "got.db")) and
                 query(os.path.join(slow, "got.db"), "SELECT count(*) FROM got")[0][0] >= 1, 30, "the first item")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)  # far below the 150 s the other items would take
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check(proc.returncode == 0, f"exit {proc.returncode}: {err}")
    check(query(os.path.join(slow, "got.db"), "SELECT count(*) FROM got") == [(1,)], "one item before the stop")


TEXT_FLOW = """
import std.io;
task load(p: path) -> string { return read(p, string); }
catalog notes: { text: string, at_start: string } at "notes.db";
fn id(i: int) -> int = i;
stream ticks: int from generate(id, 2);
flow main {
    log "{read(\"note.txt\", string)}";
    on new data of type int in ticks as t { record { text: load("note.txt"), at_start: read("note.txt", string) } in notes; }
}
"""


def case_read_text(xdmlc, tmp):
    """`read(p, string)` reads a text file as it is (LANGUAGE.md §9), in a task and in a firing
    and at flow level — it used to
    pass the check and fail at run time with `plan code: unknown type "string"`."""
    flow = os.path.join(tmp, "text.xdml")
    open(flow, "w").write(TEXT_FLOW)
    work = os.path.join(tmp, "w")
    os.makedirs(work)
    open(os.path.join(work, "note.txt"), "w").write("line one\nline two ✓\n")
    r = run(xdmlc, [flow, "--workdir", work, "--quiet"])
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    rows = query(os.path.join(work, "notes.db"), "SELECT text, at_start FROM notes")
    check(rows == [("line one\nline two ✓\n",) * 2] * 2, f"rows {rows}")
    os.remove(os.path.join(work, "note.txt"))
    r = run(xdmlc, [flow, "--workdir", work, "--quiet"])
    check(r.returncode == 1 and "note.txt" in r.stderr, f"a missing file is an error naming it: {r.returncode} {r.stderr}")


CASES = {name[len("case_"):]: f for name, f in globals().items() if name.startswith("case_")}


def main(cases=CASES, prefix="xdml-runtime"):
    """Runs the case the command line names (`--xdmlc X CASE`); another driver passes its own."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdmlc", required=True)
    ap.add_argument("case", choices=sorted(cases))
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix=f"{prefix}-{args.case}-")
    try:
        cases[args.case](os.path.abspath(args.xdmlc), tmp)
    except Failure as e:
        print(f"FAIL {args.case}: {e}\n(work files kept in {tmp})")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"ok {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
