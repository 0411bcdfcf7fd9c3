"""Faults around commits: kill -9 between a catalog row and its record entity, SIGTERM, a locked
database, kill -9 then a new run, a copy of provenance.db after replay and invalidate, and a
corrupt model file. Nothing committed is lost, the exit status says what happened, no hang."""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

from faultlib import Failure, check, stop
from run_runtime import query, run, wait_for

CASES = {}

# Many small records, fast: a run is still recording when it is killed.
RECORDING = """
type Frame = tensor<f32>[4];
fn frame(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(frame, {count});
catalog hits: {{ n: int, total: float }} at "hits.db";
flow main {{
    on new data of type Frame in frames as f {{ record {{ n: seq(f), total: sum(f) }} in hits; }}
}}
"""


def write_flow(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start(xdmlc, flow, work, *extra):
    return subprocess.Popen([xdmlc, "run", flow, "--workdir", work, "--quiet", "--no-jit", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def lineage_pairs(work):
    """(catalog rows, record entities, row origins), each a set of (run, row); rows as rowids."""
    prov = os.path.join(work, "provenance.db")
    cat = os.path.join(work, "hits.db")
    if not os.path.exists(cat) or not query(cat, "SELECT 1 FROM sqlite_master WHERE name = 'hits'"):
        return set(), set(), 0, set()  # killed before the catalog was made (with its lineage table)
    rows = {r for (r,) in query(cat, "SELECT rowid FROM hits")}
    origins = set(query(cat, "SELECT run, \"row\" FROM xdml_lineage WHERE catalog = 'hits'"))
    entities = query(prov, "SELECT run, seq FROM entities WHERE kind = 'record' AND label = 'hits'")
    return rows, set(entities), len(entities), origins


def check_no_entity_without_row(work):
    rows, entities, n, origins = lineage_pairs(work)
    check(len(entities) == n, f"{n - len(entities)} record entities name the same row twice")
    check(all(seq in rows for _, seq in entities), "a record entity names a row the catalog does not have: "
          f"{sorted(s for _, s in entities if s not in rows)[:5]}")
    check(entities <= origins, f"record entities whose row has another origin: {sorted(entities - origins)[:5]}")
    check({r for _, r in origins} == rows, "catalog rows without an origin, or origins without a row")
    return rows, entities, origins


def check_every_row_has_entity(work, except_run=None):
    rows, entities, origins = check_no_entity_without_row(work)
    missing = {o for o in origins if o not in entities and o[0] != except_run}
    check(not missing, f"{len(missing)} catalog rows without their record entity, e.g. {sorted(missing)[:5]}")
    return rows, entities


def case_kill_catalog_lineage(xdmlc, tmp):
    """20 kills at random points of a run recording into a catalog: never an entity without its
    row; every row of a killed run gets its entity when the next run opens the work directory."""
    seed = int(os.environ.get("XDML_FAULT_SEED", time.time()))
    rng = random.Random(seed)
    print(f"seed {seed} (XDML_FAULT_SEED reproduces it)")
    flow = write_flow(tmp, "rec.xdml", RECORDING.format(count=1_000_000))
    work = os.path.join(tmp, "w")
    prov = os.path.join(work, "provenance.db")
    killed_with_rows, began = 0, 0
    for i in range(20):
        proc = start(xdmlc, flow, work)
        time.sleep(rng.uniform(0.3, 1.6))
        stop(proc, signal.SIGKILL)
        runs = [r for (r,) in query(prov, "SELECT id FROM runs ORDER BY id")] if os.path.exists(prov) else []
        rows, _, _ = check_no_entity_without_row(work)
        if len(runs) > began:
            # This run began, so it had given every earlier killed run's rows their entities.
            check_every_row_has_entity(work, except_run=runs[-1])
        began = len(runs)
        killed_with_rows += len(rows) > 0
    check(killed_with_rows >= 10, f"only {killed_with_rows} of 20 kills came after the first record")
    # A short run of the same catalog opens the work directory and recovers the last killed run.
    short = write_flow(tmp, "short.xdml", RECORDING.format(count=5))
    r = run(xdmlc, [short, "--workdir", work, "--quiet", "--no-jit"], timeout=120)
    check(r.returncode == 0, f"the run after the kills exited {r.returncode}: {r.stderr}")
    rows, entities = check_every_row_has_entity(work)
    check(len(rows) == len(entities), f"{len(rows)} catalog rows, {len(entities)} record entities")
    statuses = [s for (s,) in query(prov, "SELECT status FROM runs ORDER BY id")]
    check(statuses[-1] == "complete" and set(statuses[:-1]) == {"incomplete"}, f"run statuses {statuses}")
    check(query(prov, "PRAGMA integrity_check") == [("ok",)], "the provenance database is intact")
    print(f"{len(rows)} rows, each with its record entity, after 20 kills")


CASES["kill_catalog_lineage"] = case_kill_catalog_lineage


def case_sigterm(xdmlc, tmp):
    """SIGTERM stops the run in order: it exits 143, is recorded 'stopped', and every record
    made before the stop is in the catalog with its entity. SIGUSR1 (Slurm's warning before
    the wall time, passed on by `xdmlc submit`'s script) does the same and exits 138."""
    for sig in (signal.SIGTERM, signal.SIGUSR1):
        stopped_by(xdmlc, tmp, sig)


def stopped_by(xdmlc, tmp, sig):
    flow = write_flow(tmp, "rec.xdml", RECORDING.format(count=1_000_000))
    work = os.path.join(tmp, f"w-{sig.name}")
    proc = start(xdmlc, flow, work)
    try:
        time.sleep(1.0)
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=60)
    finally:
        stop(proc)
    check(proc.returncode == 128 + sig, f"a run stopped by {sig.name} exited {proc.returncode}: {err}")
    prov = os.path.join(work, "provenance.db")
    check(query(prov, "SELECT status FROM runs") == [("stopped",)], f"{sig.name}: the run is recorded as stopped")
    rows, entities = check_every_row_has_entity(work)
    check(len(rows) > 0 and len(rows) < 1_000_000, f"{sig.name}: {len(rows)} rows: the run was stopped while recording")
    check(len(rows) == len(entities), f"{sig.name}: {len(rows)} rows, {len(entities)} record entities")


CASES["sigterm"] = case_sigterm


def hold_write_lock(db, seconds, ready):
    """Holds `db`'s write lock (BEGIN IMMEDIATE) for `seconds`, as another writer would."""
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        con.execute("ROLLBACK")
    finally:
        con.close()


def locked_run(xdmlc, tmp, which, seconds):
    """A run recording 20,000 items while another process holds `which` database's write lock
    for `seconds` in the middle of it."""
    flow = write_flow(tmp, "rec.xdml", RECORDING.format(count=20_000))
    work = os.path.join(tmp, "w")
    os.makedirs(work)
    # Both files exist before the run, so the lock can be taken while it records.
    r = run(xdmlc, [write_flow(tmp, "first.xdml", RECORDING.format(count=1)), "--workdir", work, "--quiet",
                        "--no-jit"], timeout=120)
    check(r.returncode == 0, f"the first run exited {r.returncode}: {r.stderr}")
    proc = start(xdmlc, flow, work)
    ready = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(os.path.join(work, which), seconds, ready))
    try:
        # Mid-run: once this run has recorded (the first run left one row).
        wait_for(lambda: query(os.path.join(work, "hits.db"), "SELECT count(*) FROM hits")[0][0] > 1, 60, "a record")
        holder.start()
        ready.wait(30)
        out, err = proc.communicate(timeout=seconds + 120)
    finally:
        stop(proc)
        holder.join()
    return proc.returncode, err, work


def case_busy_catalog(xdmlc, tmp):
    """Another writer holds the catalog for 3 s: the run waits for it and loses nothing."""
    code, err, work = locked_run(xdmlc, tmp, "hits.db", 3)
    check(code == 0, f"the run exited {code}: {err}")
    rows, entities = check_every_row_has_entity(work)
    check(len(rows) == 20_001 and len(entities) == 20_001, f"{len(rows)} rows, {len(entities)} entities")


CASES["busy_catalog"] = case_busy_catalog


def case_busy_provenance(xdmlc, tmp):
    """Another writer holds provenance.db for 3 s: the group commits wait for it; nothing is lost."""
    code, err, work = locked_run(xdmlc, tmp, "provenance.db", 3)
    check(code == 0, f"the run exited {code}: {err}")
    rows, entities = check_every_row_has_entity(work)
    check(len(rows) == 20_001 and len(entities) == 20_001, f"{len(rows)} rows, {len(entities)} entities")
    statuses = query(os.path.join(work, "provenance.db"), "SELECT status FROM runs ORDER BY id")
    check(statuses == [("complete",), ("complete",)], f"run statuses {statuses}")


CASES["busy_provenance"] = case_busy_provenance


def case_busy_provenance_timeout(xdmlc, tmp):
    """provenance.db held past the store's 10 s busy timeout: the run says which records could
    not be committed and why, exits 1, is recorded incomplete, and loses no catalog row; the
    next run gives those rows their entities."""
    code, err, work = locked_run(xdmlc, tmp, "provenance.db", 14)
    check(code == 1, f"the run exited {code}: {err}")
    check("could not be committed" in err and "locked" in err, f"the reason is given: {err}")
    prov = os.path.join(work, "provenance.db")
    statuses = query(prov, "SELECT status FROM runs ORDER BY id")
    check(statuses == [("complete",), ("incomplete",)], f"run statuses {statuses}")
    rows, _, _ = check_no_entity_without_row(work)
    check(len(rows) == 20_001, f"{len(rows)} catalog rows")
    r = run(xdmlc, [write_flow(tmp, "short.xdml", RECORDING.format(count=5)), "--workdir", work, "--quiet",
                    "--no-jit"], timeout=120)
    check(r.returncode == 0 and "have one now" in r.stderr, f"the next run exited {r.returncode}: {r.stderr}")
    rows, entities = check_every_row_has_entity(work)
    check(len(rows) == len(entities) == 20_006, f"{len(rows)} rows, {len(entities)} record entities")


CASES["busy_provenance_timeout"] = case_busy_provenance_timeout


def case_kill_then_new_run(xdmlc, tmp):
    """kill -9, then a new run in the same work directory: it starts at once (no stale lock),
    completes, and the killed run is marked incomplete."""
    flow = write_flow(tmp, "rec.xdml", RECORDING.format(count=1_000_000))
    work = os.path.join(tmp, "w")
    proc = start(xdmlc, flow, work)
    time.sleep(1.0)
    stop(proc, signal.SIGKILL)
    short = write_flow(tmp, "short.xdml", RECORDING.format(count=100))
    began = time.time()
    r = run(xdmlc, [short, "--workdir", work, "--quiet", "--no-jit"], timeout=120)
    check(r.returncode == 0, f"the new run exited {r.returncode}: {r.stderr}")
    check(time.time() - began < 30, f"the new run took {time.time() - began:.1f} s")
    prov = os.path.join(work, "provenance.db")
    check(query(prov, "SELECT status FROM runs ORDER BY id") == [("incomplete",), ("complete",)],
          f"run statuses {query(prov, 'SELECT id, status FROM runs')}")
    rows, entities = check_every_row_has_entity(work)
    check(len(rows) == len(entities), f"{len(rows)} rows, {len(entities)} record entities")


CASES["kill_then_new_run"] = case_kill_then_new_run


def copy_alone(db, tmp, name):
    """provenance.db copied without its -wal and -shm, as a backup of the file would be."""
    path = os.path.join(tmp, name)
    shutil.copyfile(db, path)
    return path


def case_copy_after_replay(xdmlc, tmp):
    """After `xdmlc replay` and `xdmlc prov invalidate`, provenance.db alone holds what they wrote."""
    flow = write_flow(tmp, "rec.xdml", RECORDING.format(count=50))
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work, "--quiet"], timeout=120)
    check(r.returncode == 0, f"the run exited {r.returncode}: {r.stderr}")
    db = os.path.join(work, "provenance.db")
    r = subprocess.run([xdmlc, "replay", "--workdir", work, "--quiet"], capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"the replay exited {r.returncode}: {r.stdout}{r.stderr}")
    copy = copy_alone(db, tmp, "after-replay.db")
    runs = query(copy, "SELECT id, status FROM runs ORDER BY id")
    check(runs == [(1, "complete"), (2, "complete")], f"the copy's runs: {runs}")
    records = query(copy, "SELECT count(*) FROM entities WHERE run = 2 AND kind = 'record'")
    check(records == [(50,)], f"the copy holds the replay's records: {records}")
    r = subprocess.run([xdmlc, "prov", "invalidate", "hits#1", "--run", "1", "--reason", "test", "--workdir", work],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"invalidate exited {r.returncode}: {r.stdout}{r.stderr}")
    copy = copy_alone(db, tmp, "after-invalidate.db")
    invalid = query(copy, "SELECT count(*) FROM entities WHERE valid = 0")
    check(invalid[0][0] >= 1, f"the copy holds the invalidation: {invalid}")


CASES["copy_after_replay"] = case_copy_after_replay

MODEL_FLOW = """
type Frame = tensor<f32>[4];
fn frame(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(frame, 3);
model m {{ input: Frame, classes: 2, arch: load("{path}") }}
flow main {{
    on new data of type Frame in frames as f {{ log "class {{m(f)}}"; }}
}}
"""


def case_corrupt_model(xdmlc, tmp):
    """A model file that is garbage, empty, or a folder: a clear error naming the file, a
    nonzero exit, no crash."""
    garbage = os.path.join(tmp, "garbage.pt")
    with open(garbage, "wb") as f:
        f.write(bytes(random.Random(7).getrandbits(8) for _ in range(4096)))
    empty = os.path.join(tmp, "empty.pt")
    open(empty, "wb").close()
    folder = os.path.join(tmp, "folder.pt")
    os.makedirs(folder)
    for path in (garbage, empty, folder):
        flow = write_flow(tmp, "model.xdml", MODEL_FLOW.format(path=path))
        work = os.path.join(tmp, "w-" + os.path.basename(path))
        r = run(xdmlc, [flow, "--workdir", work, "--quiet"], timeout=120)
        if r.returncode == 2 and "model" in r.stderr and "plugin" in r.stderr:
            raise Failure(f"no models plugin in this build: {r.stderr}")
        check(r.returncode > 0 and r.returncode != 3, f"{path}: exit {r.returncode} (no crash, nonzero): {r.stderr}")
        check(path in r.stderr, f"{path}: the error names the file: {r.stderr}")
        check("class" not in r.stdout, f"{path}: no answer from a model that could not be made: {r.stdout}")


CASES["corrupt_model"] = case_corrupt_model
