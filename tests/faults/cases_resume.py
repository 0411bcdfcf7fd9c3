"""Resume (`xdmlc run --resume [--run ID]`, docs/distributed.md "Resume"): kill -9 of a run with
tasks and a catalog at random points, then --resume: only the unfinished work runs again
(counted in --stats-json), and the catalog equals an uninterrupted run's, row for row. A
finished run resumed re-runs nothing; an edited task body re-runs that task only; bad input
(no run, a wrong --run, another script, a corrupt resume log, a full disk) gets a clear message,
never a crash."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import time

from faultlib import Failure, check, small_tmpfs, stop
from run_runtime import npy_bytes, query, run, wait_for

CASES = {}
ITEMS = 60

# Two tasks per item (one slowed by a shell command, so a kill finds work under way), a catalog
# row per item made from both.
FLOW = """
import std.exec;
type Frame = tensor<f32>[8, 8];
stream disk: Frame from files("in/*.npy");
catalog rows: {{ n: int, total: float, peak: float }} at "rows.db";
task total(f: Frame) -> float {{ let waited = sh("sleep 0.02"); return sum(f); }}
task peak(f: Frame) -> float {{ return max(f) * {factor}; }}
flow main {{
    on new data of type Frame in disk as f {{
        record {{ n: seq(f), total: total(f), peak: peak(f) }} in rows;
    }}
}}
"""


def setup(tmp, name, factor="2.0"):
    """A work directory with ITEMS .npy inputs, and the flow written at tmp/flow.xdml."""
    flow = os.path.join(tmp, "flow.xdml")
    with open(flow, "w") as f:
        f.write(FLOW.format(factor=factor))
    work = os.path.join(tmp, name)
    os.makedirs(os.path.join(work, "in"), exist_ok=True)
    for i in range(ITEMS):
        with open(os.path.join(work, "in", f"f{i:03d}.npy"), "wb") as f:
            f.write(npy_bytes([float(i + j) for j in range(64)], (8, 8)))
    return flow, work


def run_flow(xdmlc, flow, work, *extra):
    stats = os.path.join(work, "stats.json")
    r = run(xdmlc, [flow, "--workdir", work, "--no-jit", "--stats-json", stats, *extra], timeout=300)
    s = json.load(open(stats)) if r.returncode == 0 and os.path.exists(stats) else None
    return r, s


def rows(work):
    return sorted(query(os.path.join(work, "rows.db"), "SELECT n, total, peak FROM rows"))


def recorded(work):
    """Rows in the catalog so far; 0 before the run has made it (a kill -9 can come after the
    database file is created and before its table is)."""
    try:
        return query(os.path.join(work, "rows.db"), "SELECT count(*) FROM rows")[0][0]
    except sqlite3.OperationalError:
        return 0


def reference(xdmlc, tmp, factor="2.0"):
    """The rows of an uninterrupted run (in a folder of its own)."""
    ref_tmp = os.path.join(tmp, "ref-" + factor)
    os.makedirs(ref_tmp)
    flow, work = setup(ref_tmp, "w", factor)
    r, _ = run_flow(xdmlc, flow, work)
    check(r.returncode == 0, f"the uninterrupted run exited {r.returncode}: {r.stderr}")
    out = rows(work)
    check(len(out) == ITEMS, f"the uninterrupted run recorded {len(out)} rows, not {ITEMS}")
    return out


def killed_run(xdmlc, flow, work, rng, at_least, *extra):
    """kill -9 of `xdmlc run` at a random point of its work: once the catalog holds a random
    number of rows from `at_least` up (a point in the work, not in time: on a loaded machine a
    fixed time can fall before the run has opened anything), a little later still (mid-call);
    or, drawn as 0 rows, at a random moment of its start."""
    proc = subprocess.Popen([xdmlc, "run", flow, "--workdir", work, "--quiet", "--no-jit", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        at = rng.randint(at_least, ITEMS * 2 // 3)
        if at == 0:
            time.sleep(rng.uniform(0.0, 0.5))
        else:
            wait_for(lambda: proc.poll() is not None or recorded(work) >= at, 120, f"{at} rows")
            time.sleep(rng.uniform(0.0, 0.1))
    finally:
        stop(proc, signal.SIGKILL)


def handled(s):
    return sum(s["items"].values())


def check_counted(s, what):
    """Only unfinished work ran: skipped items made no calls; each call of the others ran or was reused."""
    check(handled(s) + s["resumed_items"] == ITEMS, f"{what}: {handled(s)} items handled + {s['resumed_items']} skipped != {ITEMS}")
    calls = 2 * handled(s)
    check(s["tasks_run"] + s["reused_tasks"] == calls,
          f"{what}: {s['tasks_run']} tasks run + {s['reused_tasks']} reused != {calls} calls of the items handled")


def case_resume_after_kill(xdmlc, tmp):
    """kill -9 at random points (once, then twice in a row; local and loopback executors), then
    --resume: the catalog equals an uninterrupted run's, and the resume ran only what the killed
    runs had not finished."""
    seed = int(os.environ.get("XDML_FAULT_SEED", time.time()))
    rng = random.Random(seed)
    print(f"seed {seed} (XDML_FAULT_SEED reproduces it)")
    expected = reference(xdmlc, tmp)
    skipped_total, reused_total, rerun_total = 0, 0, 0
    for round_ in range(4):
        round_tmp = os.path.join(tmp, f"round{round_}")
        os.makedirs(round_tmp)
        flow, work = setup(round_tmp, "w")
        # Resume is decided at the coordinator's side of a call: the same through the executor seam.
        executor = ["--executor", "loopback"] if round_ >= 2 else []
        # Round 0 kills after some rows at least, so the last check below always has a test.
        killed_run(xdmlc, flow, work, rng, 3 if round_ == 0 else 0, *executor)
        if round_ % 2 == 1:  # a resume killed in turn: the next resumes the resume
            killed_run(xdmlc, flow, work, rng, 0, "--resume", *executor)
        before = recorded(work)
        r, s = run_flow(xdmlc, flow, work, "--resume", *executor)
        check(r.returncode == 0, f"round {round_}: the resume exited {r.returncode}: {r.stdout}{r.stderr}")
        got = rows(work)
        check(got == expected, f"round {round_}: the catalog after kill and resume differs from an uninterrupted run's: "
              f"{len(got)} rows, {len(expected)} expected; first differences "
              f"{[g for g in got if g not in expected][:3]} / {[e for e in expected if e not in got][:3]}")
        check_counted(s, f"round {round_}")
        check("resume:" in r.stdout and "task calls reused" in r.stdout, "the summary says what was reused")
        decisions = dict(query(os.path.join(work, "provenance.db"),
                               "SELECT choice, count(*) FROM decisions WHERE kind = 'reuse' AND run = "
                               "(SELECT max(id) FROM runs) GROUP BY choice"))
        check(decisions.get("reused", 0) == s["reused_tasks"], f"round {round_}: reuse decisions {decisions}, stats {s}")
        check(decisions.get("skipped", 0) == s["resumed_items"], f"round {round_}: skip decisions {decisions}, stats {s}")
        print(f"round {round_}: {before} rows before the resume; {s['resumed_items']} items skipped, "
              f"{s['reused_tasks']} calls reused, {s['tasks_run']} run")
        skipped_total += s["resumed_items"]
        reused_total += s["reused_tasks"]
        rerun_total += s["tasks_run"]
    check(skipped_total > 0, "no kill came after a fully handled item: the kills were too early to test anything")
    check(rerun_total < 4 * 2 * ITEMS, "every resume ran every task again")
    print(f"over 4 rounds: {skipped_total} items skipped, {reused_total} calls adopted, {rerun_total} run again")


def case_resume_finished_run(xdmlc, tmp):
    """A finished run resumed runs nothing again, and its catalog stays as it was."""
    flow, work = setup(tmp, "w")
    r, s = run_flow(xdmlc, flow, work)
    check(r.returncode == 0, f"the run exited {r.returncode}: {r.stderr}")
    first = rows(work)
    r, s = run_flow(xdmlc, flow, work, "--resume")
    check(r.returncode == 0, f"the resume exited {r.returncode}: {r.stdout}{r.stderr}")
    check(s["tasks_run"] == 0 and s["resumed_items"] == ITEMS and handled(s) == 0,
          f"a finished run resumed ran {s['tasks_run']} tasks, skipped {s['resumed_items']} items")
    check(rows(work) == first, "the catalog changed")
    # And a resume of that resume (--run names it) is the same: what it skipped it kept.
    r, s = run_flow(xdmlc, flow, work, "--resume", "--run", "2")
    check(r.returncode == 0 and s["resumed_items"] == ITEMS and s["tasks_run"] == 0, f"resuming run 2: {r.stderr} {s}")
    check(rows(work) == first, "the catalog changed on the second resume")


def case_resume_edited_task(xdmlc, tmp):
    """Editing one task's body re-runs that task's calls; the other task's outcomes are reused."""
    expected = reference(xdmlc, tmp, factor="3.0")
    flow, work = setup(tmp, "w", factor="2.0")
    r, _ = run_flow(xdmlc, flow, work)
    check(r.returncode == 0, f"the run exited {r.returncode}: {r.stderr}")
    with open(flow, "w") as f:
        f.write(FLOW.format(factor="3.0"))
    r, s = run_flow(xdmlc, flow, work, "--resume")
    check(r.returncode == 0, f"the resume exited {r.returncode}: {r.stdout}{r.stderr}")
    check("code changed" in r.stdout + r.stderr, "the resume says the code changed")
    check(s["resumed_items"] == 0, f"{s['resumed_items']} items skipped although the code changed")
    check(s["tasks_run"] == ITEMS and s["reused_tasks"] == ITEMS,
          f"{s['tasks_run']} run, {s['reused_tasks']} reused: expected the edited task's {ITEMS} calls run, the other's reused")
    check(rows(work) == expected, "the catalog differs from a fresh run of the edited flow")


def case_resume_bad_input(xdmlc, tmp):
    """--resume with nothing to resume, a --run that does not exist, another script, another
    flow, --run without --resume, --no-provenance: clear messages and an error status; with no
    earlier run at all, a note and a run from the start."""
    flow, work = setup(tmp, "w")
    # Nothing to resume (a job killed before its run began): a note, and the run from the start.
    r, s = run_flow(xdmlc, flow, work, "--resume")
    check(r.returncode == 0 and "no earlier run" in r.stderr and "starts from the beginning" in r.stderr,
          f"no earlier run: exit {r.returncode}: {r.stderr}")
    check(s["resumed_items"] == 0 and s["reused_tasks"] == 0 and handled(s) == ITEMS, f"no earlier run: {s}")
    r, _ = run_flow(xdmlc, flow, work, "--resume", "--run", "99")
    check(r.returncode == 1 and "there is no run 99" in r.stderr, f"--run 99: exit {r.returncode}: {r.stderr}")
    other = os.path.join(tmp, "other.xdml")
    with open(flow) as src, open(other, "w") as dst:
        dst.write(src.read())
    r, _ = run_flow(xdmlc, other, work, "--resume", "--run", "1")
    check(r.returncode == 1 and "same script" in r.stderr and "other.xdml" in r.stderr, f"another script: {r.stderr}")
    r, _ = run_flow(xdmlc, flow, work, "--resume", "--flow", "main")
    check(r.returncode == 1 and "same --flow" in r.stderr, f"another flow: exit {r.returncode}: {r.stderr}")
    r, _ = run_flow(xdmlc, flow, work, "--run", "1")
    check(r.returncode == 2 and "needs --resume" in r.stderr, f"--run alone: exit {r.returncode}: {r.stderr}")
    r, _ = run_flow(xdmlc, flow, work, "--resume", "--no-provenance")
    check(r.returncode == 2 and "needs provenance" in r.stderr, f"--no-provenance: exit {r.returncode}: {r.stderr}")
    check(rows(work) == sorted(set(rows(work))) and len(rows(work)) == ITEMS, "the refused resumes changed the catalog")


def case_resume_corrupt_cache(xdmlc, tmp):
    """Flipped bytes in the resume log: the records are reported as corrupt and skipped, their
    work is done again, and the catalog still equals an uninterrupted run's."""
    expected = reference(xdmlc, tmp)
    flow, work = setup(tmp, "w")
    r, _ = run_flow(xdmlc, flow, work)
    check(r.returncode == 0, f"the run exited {r.returncode}: {r.stderr}")
    log = os.path.join(work, "resume", "run-1.log")
    data = bytearray(open(log, "rb").read())
    for at in (len(data) // 3, len(data) // 2, 2 * len(data) // 3):
        data[at] ^= 0x5A
    open(log, "wb").write(bytes(data))
    r, s = run_flow(xdmlc, flow, work, "--resume")
    check(r.returncode == 0, f"the resume exited {r.returncode}: {r.stdout}{r.stderr}")
    check("corrupt" in r.stdout + r.stderr, f"the corrupt records are not reported: {r.stdout}{r.stderr}")
    check(s["resumed_items"] < ITEMS or s["reused_tasks"] < 2 * ITEMS, f"nothing was done again: {s}")
    check_counted(s, "after corruption")
    check(rows(work) == expected, "the catalog differs from an uninterrupted run's")


def case_resume_log_disk_full(xdmlc, tmp):
    """The resume log on a disk that fills up during the run: the run fails, naming the log and
    the reason; never a silently empty cache (Nextflow #7471)."""
    flow, work = setup(tmp, "w")
    disk = os.path.join(tmp, "disk")
    with small_tmpfs(disk, size="64k"):
        filler = os.path.join(disk, "filler")
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        os.truncate(filler, max(0, os.path.getsize(filler) - 8192))  # room for a few records only
        os.symlink(disk, os.path.join(work, "resume"))
        r, s = run_flow(xdmlc, flow, work)
        os.unlink(os.path.join(work, "resume"))
    text = r.stdout + r.stderr
    check(r.returncode != 0, f"a run whose resume log could not be written exited 0: {text}")
    check("resume log" in text and "No space left on device" in text, f"the failure is not said with its reason: {text}")


for _name, _case in list(globals().items()):
    if _name.startswith("case_resume"):
        CASES[_name[len("case_"):]] = _case
