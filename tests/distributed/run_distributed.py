#!/usr/bin/python3
"""The distributed run (docs/distributed.md): the example flows under `mpirun.openmpi -n 4` and
`mpiexec.mpich -n 4` give the catalogs, logs, provenance content and --stats-json work counts of the local executor (the
comparison of tests/runtime/run_loopback.py, up to times, ranks and hosts); a worker rank
killed with SIGKILL ends the run non-zero within 10 s, one stopped (SIGSTOP: a hang) is named by rank 0 within 7 s
and the run ends non-zero; MPICH's singletons under
`srun --mpi=pmix` (simulated by the environment) are refused; values moved to and from a site on
other ranks cross in MPI messages only (nothing in the sites' outbox or inbox folders), counted
and recorded as the local run counts and records them.

`run_distributed.py --xdmlc X CASE`."""
import ctypes
import ctypes.util
import json
import os
import struct
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "runtime"))
sys.path.insert(0, os.path.join(HERE, "..", "faults"))
import cases_resume as resume  # noqa: E402
import run_loopback as lb  # noqa: E402
import run_runtime as rt  # noqa: E402
from run_runtime import EXAMPLES, check  # noqa: E402

SHARED_EXAMPLES = os.path.join(rt.ROOT, "..", "shared", "examples")
OPENMPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
               "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_btl_tcp_if_include": "lo",
               "OMPI_MCA_oob_tcp_if_include": "lo", "OMPI_MCA_btl": "self,tcp"}
LAUNCHERS = {"openmpi": (["mpirun.openmpi", "-n", "4"], OPENMPI_ENV),
             "mpich": (["mpiexec.mpich", "-n", "4"], {"HYDRA_LAUNCHER": "fork"})}
MODE = ("-O2", "--no-jit")
# The layout lines a distributed run prints first (the local run has none).
LAYOUT = re.compile(r"^distributed run: ")
# The --stats-json counters of the work itself: the same wherever it ran (expressions_evaluated
# counts the task bodies run on other ranks too; times, and what only rank 0 sees, are left out).
WORK_COUNTERS = ("expressions_evaluated", "tasks_run", "tasks_failed", "requests", "records", "emits", "logs",
                 "moved_bytes", "transfers")


def launcher(name):
    cmd, env = LAUNCHERS[name]
    if not shutil.which(cmd[0]):
        raise rt.Failure(f"{cmd[0]} is not installed (scripts/install-deps.sh installs it)")
    return cmd, rt.without_leak_checks(dict(os.environ, **env))


def without_launcher_notes(lines):
    """stderr without mpirun's own notes on a non-zero exit: blocks between dashed lines."""
    kept, inside = [], False
    for line in lines:
        if re.fullmatch(r"-{20,}", line):
            inside = not inside
        elif not inside and line:
            kept.append(line)
    return kept


def outputs(xdmlc, flow, work, prefix=(), env=None, extra=()):
    """What a run leaves, as run_loopback compares it; `prefix` launches it (mpirun ...)."""
    paired = lb.SEQ_PAIRED.get(os.path.basename(flow), set())
    stats = work + ".stats.json"
    r = subprocess.run([*prefix, xdmlc, "run", flow, "--workdir", work, *MODE, "--stats-json", stats, *extra],
                       capture_output=True, text=True, timeout=300, env=env)
    log = [line for line in r.stdout.split("\nrun ")[0].replace(work, "WORK").splitlines() if not LAYOUT.match(line)]
    for racing in lb.RACING_LOGS:
        log = [racing.sub(r"\1N", line) for line in log]
    errors = without_launcher_notes(r.stderr.replace(work, "WORK").splitlines())
    counters = json.load(open(stats)) if os.path.exists(stats) else {}
    return {"exit": r.returncode, "log": sorted(log), "errors": sorted(errors),
            "catalogs": lb.catalog_columns(work, lb.MODEL_ANSWERS.get(os.path.basename(flow), set())),
            "provenance": lb.digests(work, paired), "counters": {k: counters.get(k) for k in WORK_COUNTERS}}, r


def same_as_local(xdmlc, tmp, flow, name, mpi, extra=(), exit_code=0):
    """The one comparison: the flow run locally and under `mpi`'s launcher with 4 ranks
    (`extra`: its arguments for the distributed run, a deployment profile)."""
    cmd, env = launcher(mpi)
    tag = os.path.basename(os.path.dirname(flow)) + "-" + os.path.basename(flow)
    local, _ = outputs(xdmlc, flow, os.path.join(tmp, tag + "-local"))
    check(local["exit"] == exit_code, f"{tag}: the local run's exit {local['exit']}: {local['errors']}")
    work = os.path.join(tmp, tag + "-" + mpi)
    dist, r = outputs(xdmlc, flow, work, cmd, env, extra)
    check(any(LAYOUT.match(line) for line in r.stdout.splitlines()), f"{tag}: no rank layout printed: {r.stdout[:2000]}{r.stderr[:2000]}")
    lb.check_same(tag, "local", local, mpi, dist)
    differ = {k: (v, dist["counters"][k]) for k, v in local["counters"].items() if dist["counters"][k] != v}
    check(not differ, f"{tag}: --stats-json counts differ (local, {mpi}): {differ}")
    # The tasks ran on other ranks, and say so.
    ranks = rt.query(os.path.join(work, "provenance.db"), "SELECT DISTINCT rank FROM activities WHERE kind = 'task'")
    tasks = rt.query(os.path.join(work, "provenance.db"), "SELECT count(*) FROM activities WHERE kind = 'task'")[0][0]
    check(not tasks or any(r[0] > 0 for r in ranks), f"{tag}: {tasks} tasks, all on rank 0: {ranks}")
    print(f"  {tag} under {mpi}: same as local ({tasks} tasks on ranks {sorted(r[0] for r in ranks)}, "
          f"{dist['counters']['expressions_evaluated']} expressions evaluated)", flush=True)
    return work


def example_flows():
    names = [os.path.join(EXAMPLES, n) for n in sorted(os.listdir(EXAMPLES)) if n.endswith(".xdml") and n not in lb.ENDLESS]
    if os.path.isdir(SHARED_EXAMPLES):
        mine = {os.path.basename(n): open(n).read() for n in names}
        for n in sorted(os.listdir(SHARED_EXAMPLES)):
            path = os.path.join(SHARED_EXAMPLES, n)
            if n.endswith(".xdml") and n not in lb.ENDLESS and mine.get(n) != open(path).read():
                names.append(path)
    check(len(names) >= 5, f"examples found: {names}")
    return names


def examples_under(mpi):
    def case(xdmlc, tmp):
        for flow in example_flows():
            same_as_local(xdmlc, tmp, flow, os.path.basename(flow), mpi)
    case.__doc__ = f"Every example flow under {mpi} with 4 ranks gives what the local executor gives."
    return case


CALLS = """
fn id(i: int) -> int = i;
site far { cores: 2 }
stream items: int from generate(id, 60);
catalog got: { n: int } at "got.db";
policy tries { retry: 1, locality: far }
policy urgent { priority: 5, locality: far }
task inner(i: int) -> int @ { locality: far } { return i * 2; }
task outer(i: int) -> int @ urgent { log "outer {i}"; return inner(i) + 1; }
task flaky(i: int) -> int @ tries { return 100 / (i % 7); }
flow main {
    on new data of type int in items as i {
        record { n: outer(i) } in got;
        if i == 7 { log "flaky gave {flaky(i)}"; }
    }
}
"""


def far_on_ranks(tmp, name, flow_text, binding):
    """`name`.xdml and `name`.deploy.toml in tmp: the flow, and a profile binding its site `far`
    to 3 ranks with `binding` (TOML lines)."""
    flow = os.path.join(tmp, name + ".xdml")
    open(flow, "w").write(flow_text)
    deploy = os.path.join(tmp, name + ".deploy.toml")
    open(deploy, "w").write('[profiles.p.sites.far]\nplacement = "mpi"\nranks = 3\n' + binding)
    return flow, deploy


def prefetch_under(mpi):
    def case(xdmlc, tmp):
        flow, deploy = far_on_ranks(tmp, "calls", CALLS, "threads_per_rank = 1\nprefetch = 2\n")
        # One call fails both its attempts, so the run ends with failures (exit 1) either way.
        work = same_as_local(xdmlc, tmp, flow, "calls.xdml", mpi, ("--deploy", deploy), exit_code=1)
        ranks = {r[0] for r in rt.query(os.path.join(work, "provenance.db"), "SELECT rank FROM activities WHERE kind = 'task'")}
        check(ranks == {2, 3}, f"the calls ran on ranks {sorted(ranks)}, not on both workers 2 and 3")
        failed = rt.query(os.path.join(work, "provenance.db"), "SELECT count(*) FROM activities WHERE kind = 'task' AND status = 'failed'")
        check(failed[0][0] == 2, f"{failed[0][0]} failed attempts of flaky, not its 2")
    case.__doc__ = (f"Calls held ahead at their ranks (prefetch 2) under {mpi}: retries, nested calls, effects and "
                    "priorities give what the local executor gives.")
    return case


def naps(items, cores, seconds):
    """A flow whose every item waits on a task at site `far` that sleeps `seconds`."""
    return f"""
import std.exec;
fn id(i: int) -> int = i;
stream items: int from generate(id, {items});
catalog naps: {{ n: int }} at "naps.db";
site far {{ cores: {cores} }}
task nap(i: int) -> int @ {{ locality: far }} {{ return len(sh("sleep {seconds}")) + i; }}
flow main {{
    on new data of type int in items as i {{ record {{ n: nap(i) }} in naps; }}
}}
"""


WIDE = naps(48, 16, 0.3)


def every_slot_under(mpi):
    def case(xdmlc, tmp):
        flow, deploy = far_on_ranks(tmp, "wide", WIDE, "threads_per_rank = 8\n")
        cmd, env = launcher(mpi)
        work = os.path.join(tmp, "wide-" + mpi)
        r = subprocess.run([*cmd, xdmlc, "run", flow, "--workdir", work, "--deploy", deploy], capture_output=True, text=True,
                           timeout=300, env=env)
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}")
        spans = rt.query(os.path.join(work, "provenance.db"), "SELECT started, ended FROM activities WHERE kind = 'task'")
        check(len(spans) == 48, f"{len(spans)} task activities, not 48")
        # The most calls under way at once: each call waits on its firing's handler thread, and
        # the stream must have a thread for every one of the site's 16 slots (eight by default).
        edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans], key=lambda e: (e[0], e[1]))
        most = under = 0
        for _, step in edges:
            under += step
            most = max(most, under)
        check(most >= 12, f"at most {most} of the site's 16 slots were busy at once")
        print(f"  {mpi}: up to {most} calls under way at once on the site's 16 slots", flush=True)
    case.__doc__ = (f"Under {mpi}, a site of 2 work ranks x 8 threads gets a call in (nearly) every slot at once, "
                    "though each call's firing waits for it: a stream has a handler thread per slot.")
    return case


SLOW = naps(400, 2, 0.05)


MOVES = """
site home { cores: 2 }
site far { cores: 2 }
link home <-> far { bandwidth: 10Gbps, latency: 1ms }
catalog got: { n: int, s: float } at "got.db";
type Big = tensor<f32>[1500000];
fn big(i: int) -> Big = zeros(Big) + i;
stream items: Big from generate(big, 4) at home;
task twice(t: Big) -> Big @ { locality: far } { return t + t; }
task seen(t: Big) -> int @ { locality: far } { return 1; }
flow moving {
    on new data of type Big in items as b {
        let c = twice(b);
        transfer c to home;
        record { n: seen(c), s: sum(c) } in got;
    }
}
"""
# home beside the coordinator, far on rank 1: every move crosses between rank 0 and far's rank.
MOVES_DEPLOY = """
[profiles.split.sites.home]
placement = "local"
[profiles.split.sites.far]
placement = "mpi"
ranks = 1
"""
IN_CREATE, IN_MOVED_TO, IN_CLOSE_WRITE, IN_NONBLOCK = 0x100, 0x80, 0x8, 0o4000


class FolderWatch:
    """What was written in some folders while a run went on (inotify: the moves' files are
    removed at once, so looking afterwards would see nothing either way)."""

    def __init__(self, folders):
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = self.libc.inotify_init1(IN_NONBLOCK)
        check(self.fd >= 0, f"inotify_init1: errno {ctypes.get_errno()}")
        self.folders = {}
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
            wd = self.libc.inotify_add_watch(self.fd, folder.encode(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
            check(wd >= 0, f"inotify_add_watch {folder}: errno {ctypes.get_errno()}")
            self.folders[wd] = os.path.join(*folder.split(os.sep)[-3:])  # sites/<site>/<box>

    def written(self):
        """The names written in each watched folder since the watch began."""
        out = {}
        try:
            while True:
                data = os.read(self.fd, 1 << 16)
                at = 0
                while at < len(data):
                    wd, _mask, _cookie, size = struct.unpack_from("iIII", data, at)
                    name = data[at + 16:at + 16 + size].rstrip(b"\0").decode()
                    out.setdefault(self.folders[wd], set()).add(name)
                    at += 16 + size
        except BlockingIOError:
            pass
        os.close(self.fd)
        return out


def moved_run(xdmlc, tmp, name, prefix=(), env=None):
    """The moves flow run in a fresh work directory with its site folders watched."""
    flow, deploy = os.path.join(tmp, "moves.xdml"), os.path.join(tmp, "moves.deploy.toml")
    open(flow, "w").write(MOVES)
    open(deploy, "w").write(MOVES_DEPLOY)
    work = os.path.join(tmp, name)
    watch = FolderWatch([os.path.join(work, "sites", site, box) for site in ("home", "far") for box in ("outbox", "inbox")])
    stats = os.path.join(work, "stats.json")
    r = subprocess.run([*prefix, xdmlc, "run", flow, "--workdir", work, "--deploy", deploy, "--profile", "split",
                        "--stats-json", stats, *MODE], capture_output=True, text=True, timeout=300, env=env)
    written = watch.written()
    check(r.returncode == 0, f"{name}: exit {r.returncode}: {r.stdout[-2000:]}{r.stderr[-2000:]}")
    s = json.load(open(stats))
    prov = os.path.join(work, "provenance.db")
    transfers = rt.query(prov, "SELECT a.name, a.site, e.label, e.site, e.bytes, e.hash FROM activities a "
                               "JOIN generated g ON g.activity = a.id JOIN entities e ON e.id = g.entity "
                               "WHERE a.kind = 'transfer' ORDER BY a.name, e.label, e.hash")
    return {"moved_bytes": s["moved_bytes"], "transfers": s["transfers"], "recorded": transfers,
            "catalog": rt.catalog_rows(work)}, written, r


def moves_under(mpi):
    def case(xdmlc, tmp):
        cmd, env = launcher(mpi)
        cmd = [cmd[0], "-n", "2"]
        local, local_written, _ = moved_run(xdmlc, tmp, "local")
        # The control: a local run's moves are folder copies, and the watch sees them.
        check(local["transfers"] > 0 and any(local_written.values()), f"the local run wrote no moves in the folders: {local_written}, {local}")
        dist, dist_written, r = moved_run(xdmlc, tmp, mpi, cmd, env)
        check(any(LAYOUT.match(line) and "far" in line for line in r.stdout.splitlines()), f"far is not on its own rank: {r.stdout[:1000]}")
        check(not any(dist_written.values()), f"under {mpi} moves were written in the sites' folders: {dist_written}")
        for key in ("moved_bytes", "transfers", "recorded", "catalog"):
            check(dist[key] == local[key], f"under {mpi} {key} differs from the local run's:\n  local {local[key]}\n  {mpi} {dist[key]}")
        print(f"  {mpi}: {dist['transfers']} moves, {dist['moved_bytes']:,} bytes, recorded as locally "
              f"({len(dist['recorded'])} copies); nothing written in sites/*/outbox|inbox (the local run wrote "
              f"{sum(len(v) for v in local_written.values())} files there)", flush=True)
    case.__doc__ = f"""Under {mpi}, a site on rank 1: a stream item moved there as a task's argument, the
    task's result moved back by `transfer` and that copy moved there again as an argument cross
    in MPI messages only (nothing written in the sites' outbox or inbox), with the moved bytes,
    transfers and transfer provenance of the local run."""
    return case


def rank_pids(root, variable):
    """The pids of the processes under `root` whose environment has `variable`, by its value."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        if b"xdmlc" not in cmdline.split(b"\0")[0]:
            continue
        for entry in environ:
            if entry.startswith(variable.encode() + b"=") and f"XDML_TEST_JOB={root}".encode() in environ:
                found[int(entry.split(b"=", 1)[1])] = int(pid)
    return found


# A killed rank's launcher ends the job within 10 s (issue 18). A stopped one is heard from by
# nobody: rank 0 must name it once it has been silent for 5 s (XDML_MPI_SILENCE), heartbeats
# every 0.5 s and the check's own lag aside; the launcher's MPI_Abort then ends the job. That
# last step is mpirun's or hydra's (signals, a grace before SIGKILL, reaping), about a second
# here; CI's 2-core VM once saw a job still running 10 s after the stop, so the end gets a wider
# bound and a failure shows which step was late.
KILLED_ENDS_WITHIN = 10
SILENT_NAMED_WITHIN = 7
SILENT_ENDS_WITHIN = 20


def killed_worker(mpi, variable, sig=signal.SIGKILL):
    """SIGKILL: the launcher notices the death. SIGSTOP: nobody but the heartbeats notice a
    rank that hangs; rank 0 must name it and end the job when it has not been heard from for 5 s.
    A failure prints when each line of stderr came, counted from the signal."""
    def case(xdmlc, tmp):
        cmd, env = launcher(mpi)
        flow = os.path.join(tmp, "slow.xdml")
        open(flow, "w").write(SLOW)
        work = os.path.join(tmp, "w")
        env["XDML_TEST_JOB"] = tmp
        p = subprocess.Popen([*cmd, xdmlc, "run", flow, "--workdir", work, "--no-jit"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        lines = []  # (seconds since the signal, or None before it, line)
        killed = None

        def read_stderr():
            for line in p.stderr:
                lines.append((None if killed is None else time.time() - killed, line.rstrip("\n")))

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()

        def timeline():
            return "\n    ".join(f"{'before' if at is None else f'{at:6.2f} s'}  {line}" for at, line in lines[-40:])
        try:
            db = os.path.join(work, "naps.db")
            rt.wait_for(lambda: os.path.exists(db) and rt.query(db, "SELECT count(*) FROM naps")[0][0] >= 5, 60,
                        "the first records")
            pids = rank_pids(tmp, variable)
            check(3 in pids, f"rank 3 not found among {pids}")
            killed = time.time()
            os.kill(pids[3], sig)
            bound = KILLED_ENDS_WITHIN if sig == signal.SIGKILL else SILENT_ENDS_WITHIN
            try:
                p.wait(timeout=bound)
            except subprocess.TimeoutExpired:
                raise rt.Failure(f"{mpi}: the run still goes on {bound} s after rank 3 was sent "
                                 f"{signal.Signals(sig).name}; its stderr:\n    {timeline()}")
            took = time.time() - killed
            reader.join(timeout=10)
            check(p.returncode != 0, f"{mpi}: exit 0 after a rank was killed:\n    {timeline()}")
            if sig == signal.SIGSTOP:
                named = [at for at, line in lines if "rank 3 has not been heard from for 5 s" in line]
                check(named, f"{mpi}: no message names the silent rank:\n    {timeline()}")
                check(named[0] is not None and named[0] <= SILENT_NAMED_WITHIN,
                      f"{mpi}: the silent rank was named {named[0] or 0:.2f} s after it stopped, not within "
                      f"{SILENT_NAMED_WITHIN} s:\n    {timeline()}")
            print(f"  {mpi}: rank 3 sent {signal.Signals(sig).name}, the run ended with exit {p.returncode} in {took:.1f} s:\n    "
                  + timeline(), flush=True)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    case.__doc__ = (f"Under {mpi}, a worker rank killed with SIGKILL ends the run non-zero within {KILLED_ENDS_WITHIN} s; "
                    f"one stopped is named within {SILENT_NAMED_WITHIN} s and the run ends within {SILENT_ENDS_WITHIN} s.")
    return case


def case_singletons(xdmlc, tmp):
    """MPICH under srun --mpi=pmix starts singletons: the environment says 4 tasks, MPI says 1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMI_", "PMIX_", "SLURM_"))}
    env.update({"SLURM_STEP_NUM_TASKS": "4", "SLURM_STEP_ID": "0", "SLURM_MPI_TYPE": "pmix", "PMIX_RANK": "0",
                 "XDML_MPI": "mpich"})
    flow = os.path.join(EXAMPLES, "relay.xdml")
    r = subprocess.run([xdmlc, "run", flow, "--workdir", os.path.join(tmp, "w")], capture_output=True, text=True,
                       timeout=60, env=env)
    check(r.returncode == 2, f"exit {r.returncode}, expected 2: {r.stdout}{r.stderr}")
    check("singletons" in r.stderr and "4 tasks" in r.stderr and "--mpi=pmi2" in r.stderr,
          "the refusal says why and what to do: " + r.stderr)
    check(not os.path.exists(os.path.join(tmp, "w")), "a refused run left a work directory")
    env["XDML_MPI"] = "lam"
    r = subprocess.run([xdmlc, "run", flow, "--workdir", os.path.join(tmp, "w")], capture_output=True, text=True,
                       timeout=60, env=env)
    check(r.returncode == 2 and "XDML_MPI is 'lam'" in r.stderr, f"a wrong XDML_MPI: {r.returncode} {r.stderr}")


def case_exit_file(xdmlc, tmp):
    """Rank 0 writes the run's exit status to $XDML_RUN_EXIT_FILE as it ends (the batch script's
    watch for an srun that hangs after the run reads it; deploy/SbatchScript.cpp): 0 for a run
    that completes, the run's own status for one that fails, and a warning, not a different
    status, when the file cannot be written. Only rank 0 writes: 3 ranks, one file."""
    cmd, env = launcher("openmpi")
    failing = os.path.join(tmp, "failing.xdml")
    open(failing, "w").write('import std.io;\ntype F = tensor<f32>[4];\n'
                             'flow main {\n    let f = read("missing.npy", F);\n    log "{sum(f)}";\n}\n')
    for name, flow, expected in (("complete", os.path.join(HERE, "two_sites.xdml"), 0), ("failing", failing, 1)):
        exit_file = os.path.join(tmp, f"{name}.exit")
        r = subprocess.run([*cmd[:-1], "3", xdmlc, "run", flow, "--workdir", os.path.join(tmp, name), "--quiet"],
                           capture_output=True, text=True, timeout=120, env=dict(env, XDML_RUN_EXIT_FILE=exit_file))
        check(r.returncode == expected, f"{name}: exit {r.returncode}, expected {expected}: {r.stderr[-2000:]}")
        written = open(exit_file).read() if os.path.exists(exit_file) else None
        check(written == f"{expected}\n", f"{name}: XDML_RUN_EXIT_FILE holds {written!r}, not '{expected}\\n'")
        check(sorted(os.listdir(tmp)).count(f"{name}.exit") == 1 and not [f for f in os.listdir(tmp) if f.startswith(f"{name}.exit.")],
              f"{name}: temporary files beside the exit file: {os.listdir(tmp)}")
    blocked = os.path.join(tmp, "no-such-folder", "exit")
    r = subprocess.run([*cmd[:-1], "3", xdmlc, "run", os.path.join(HERE, "two_sites.xdml"), "--workdir",
                        os.path.join(tmp, "blocked"), "--quiet"], capture_output=True, text=True, timeout=120,
                       env=dict(env, XDML_RUN_EXIT_FILE=blocked))
    check(r.returncode == 0 and "xdmlc: warning: XDML_RUN_EXIT_FILE: " in r.stderr and "no-such-folder" in r.stderr,
          f"an unwritable XDML_RUN_EXIT_FILE: exit {r.returncode}, {r.stderr[-2000:]}")
    print("rank 0 wrote 0 and 1 for a complete and a failing run; an unwritable file is a warning")


def job_pids(root):
    """The pids of the xdmlc processes started for this case (XDML_TEST_JOB=root in their environment)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if (b"xdmlc" in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0]
                    and f"XDML_TEST_JOB={root}".encode() in open(f"/proc/{pid}/environ", "rb").read().split(b"\0")):
                found.add(int(pid))
        except OSError:
            continue
    return found


def killed_mpi_run(cmd, env, xdmlc, flow, work, tmp, rng, how, rank_variable):
    """Starts `cmd xdmlc run flow` and kills it -9 once a random share of the rows is recorded:
    `job` kills the launcher and every rank at once (a node lost), `launcher` only the
    launcher's process group (OpenMPI gives each rank a group of its own: they lose their daemon
    and end), `rank0` only rank 0 (the coordinator; the launcher ends the others). Returns the rows recorded when every
    process of the run has ended."""
    p = subprocess.Popen([*cmd, xdmlc, "run", flow, "--workdir", work, "--quiet", "--no-jit"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    db, at = os.path.join(work, "rows.db"), rng.randint(3, resume.ITEMS * 2 // 3)
    try:
        recorded = lambda: rt.query(db, "SELECT count(*) FROM rows")[0][0] if os.path.exists(db) else 0  # noqa: E731
        rt.wait_for(lambda: p.poll() is not None or recorded() >= at, 120, f"{at} rows")
        try:
            if how == "job":
                for pid in job_pids(tmp) | {p.pid}:
                    os.kill(pid, signal.SIGKILL)
            elif how == "launcher":
                os.killpg(p.pid, signal.SIGKILL)
            else:
                ranks = rank_pids(tmp, rank_variable)
                check(0 in ranks, f"rank 0 not found among {ranks}")
                os.kill(ranks[0], signal.SIGKILL)
        except ProcessLookupError:
            pass  # ended just now: said below
        check(p.wait(timeout=30) != 0, f"the run ended by itself before the kill at {at} rows: {p.communicate()}")
        killed = time.time()
        # Without the launcher nobody ends the ranks but themselves: none may outlive the run for long.
        rt.wait_for(lambda: not job_pids(tmp), 15, "every rank of the killed run to end")
        print(f"  kill -9 of {how} at {at} rows: every rank ended within {time.time() - killed:.1f} s", flush=True)
        return recorded()
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        for pid in job_pids(tmp):
            os.kill(pid, signal.SIGKILL)


def resume_under(mpi, rank_variable):
    def case(xdmlc, tmp):
        resumed_after_kill(xdmlc, tmp, mpi, rank_variable)
    case.__doc__ = f"""kill -9 of `{LAUNCHERS[mpi][0][0]} -n 4 xdmlc run` at a random point (the whole job, the
    launcher's process group, or rank 0), then the same under it with --resume: the catalog equals
    an uninterrupted run's, only the unfinished work runs again (counted in --stats-json), and it
    runs on the sites' ranks."""
    return case


def resumed_after_kill(xdmlc, tmp, mpi, rank_variable):
    cmd, env = launcher(mpi)
    env["XDML_TEST_JOB"] = tmp
    seed = int(os.environ.get("XDML_FAULT_SEED", time.time()))
    rng = random.Random(seed)
    print(f"seed {seed} (XDML_FAULT_SEED reproduces it)")
    expected = resume.reference(xdmlc, tmp)
    skipped, rerun = 0, 0
    for round_, how in enumerate(("job", "launcher", "rank0")):
        round_tmp = os.path.join(tmp, f"round{round_}")
        os.makedirs(round_tmp)
        flow, work = resume.setup(round_tmp, "w")
        with open(flow) as f:  # slower calls: 4 ranks start and finish 60 items within a second otherwise
            slowed = f.read().replace('sh("sleep 0.02")', 'sh("sleep 0.1")')
        open(flow, "w").write(slowed)
        at_kill = killed_mpi_run(cmd, env, xdmlc, flow, work, tmp, rng, how, rank_variable)
        stats = os.path.join(work, "stats.json")
        r = subprocess.run([*cmd, xdmlc, "run", flow, "--workdir", work, "--no-jit", "--resume", "--stats-json", stats],
                           env=env, capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, f"round {round_}: the resume under {mpi} exited {r.returncode}: {r.stdout[-2000:]}{r.stderr[-2000:]}")
        check(any(LAYOUT.match(line) for line in r.stdout.splitlines()), f"round {round_}: not a distributed run: {r.stdout[:1000]}")
        got = resume.rows(work)
        check(got == expected, f"round {round_}: the catalog after kill -9 ({how}) and resume differs from an uninterrupted "
              f"run's: {len(got)} rows, {len(expected)} expected; first differences "
              f"{[g for g in got if g not in expected][:3]} / {[e for e in expected if e not in got][:3]}")
        s = json.load(open(stats))
        resume.check_counted(s, f"round {round_}")
        check(s["resumed_items"] > 0 or s["reused_tasks"] > 0, f"round {round_}: the resume reused nothing after {at_kill} rows: {s}")
        prov = os.path.join(work, "provenance.db")
        ranks = rt.query(prov, "SELECT DISTINCT rank FROM activities WHERE kind = 'task' AND run = (SELECT max(id) FROM runs)")
        check(s["tasks_run"] == 0 or all(r[0] > 0 for r in ranks), f"round {round_}: the resumed calls ran on ranks {ranks}")
        decisions = dict(rt.query(prov, "SELECT choice, count(*) FROM decisions WHERE kind = 'reuse' AND run = "
                                        "(SELECT max(id) FROM runs) GROUP BY choice"))
        check(decisions.get("reused", 0) == s["reused_tasks"] and decisions.get("skipped", 0) == s["resumed_items"],
              f"round {round_}: reuse decisions {decisions}, stats {s}")
        print(f"round {round_} (kill -9 of {how}): {at_kill} rows at the kill; the resume skipped {s['resumed_items']} items, "
              f"reused {s['reused_tasks']} calls, ran {s['tasks_run']} on ranks {sorted(r[0] for r in ranks)}", flush=True)
        skipped += s["resumed_items"]
        rerun += s["tasks_run"]
    check(skipped > 0 and rerun > 0, f"the kills left nothing to skip ({skipped}) or nothing to do again ({rerun})")


def site_work_ranks(stdout):
    """Each MPI site's first work rank, from the layout the run prints (its controller when it
    has one rank, else the rank after it)."""
    out = {}
    for m in re.finditer(r"^distributed run: site (\w+): ranks? ([\d,\- ]+?)(?: \(controller \d+\))?, ", stdout, re.M):
        ranks = []
        for part in m.group(2).replace(" ", ",").split(","):
            if "-" in part:
                a, b = part.split("-")
                ranks += list(range(int(a), int(b) + 1))
            elif part:
                ranks.append(int(part))
        out[m.group(1)] = ranks[1] if len(ranks) > 1 else ranks[0]
    return out


# A model's failures at its site's rank: bad labels (in training and in `accuracy`), an `until`
# that fails (division by zero at epoch 2), a model that cannot be loaded.
MODEL_ERRORS = """import std.ml;
site far { cores: 2 }
type Vec = tensor<f32>[4];
type Item = { x: Vec, y: int };
fn item(i: int) -> Item = { x: noise(Vec, i), y: i % 10 == 9 ? 7 : i % 2 };
stream items: Item from generate(item, 100);
model labels { input: Vec, classes: 2, arch: linear, at: far }
model failing { input: Vec, classes: 2, arch: linear, at: far }
model broken { input: Vec, classes: 2, arch: load("missing.pt"), at: far }
flow f {
    on new data of type Item in items every 50 { train labels on items; }
    on new data of type Item in items every 50 { train failing on items @ { until: epoch / (epoch - 2) > 100, max_epochs: 5 }; }
    on new data of type Item in items as d { log "class {broken(d.x)}"; }
    on end of items { log "accuracy {accuracy(labels, items)}"; }
}
"""
# Which items' failures are shown (the rest counted) depends on which firings came first.
SHOWN_ITEM = re.compile(r"\(item \d+\)(: model broken)")


def model_errors_same(xdmlc, tmp, mpi):
    """The failures of models at another rank are reported as a local run reports them."""
    cmd, env = launcher(mpi)
    flow = os.path.join(tmp, "model_errors.xdml")
    with open(flow, "w") as f:
        f.write(MODEL_ERRORS)
    runs = {}
    for name, prefix, e in (("local", (), None), (mpi, cmd, env)):
        out, r = outputs(xdmlc, flow, os.path.join(tmp, f"model_errors-{name}"), prefix, e)
        far = site_work_ranks(r.stdout).get("far")
        # The launcher's own words on a non-zero exit are not the run's.
        out["errors"] = sorted(SHOWN_ITEM.sub(r"(item N)\1", line) for line in out["errors"] if line.startswith("xdmlc:"))
        check(out["exit"] == 1 and any("integer division by zero" in line for line in out["errors"]),
              f"model_errors under {name}: exit {out['exit']}: {out['errors']}")
        runs[name] = out
    lb.check_same("model_errors", "local", runs["local"], mpi, runs[mpi])
    failed = rt.query(os.path.join(tmp, f"model_errors-{mpi}", "provenance.db"),
                      "SELECT DISTINCT rank, status FROM activities WHERE kind = 'training' ORDER BY status")
    check(far and failed == [(far, "failed"), (far, "ok")], f"the trainings at far's rank {far}, failed and not: {failed}")
    print(f"  model_errors under {mpi}: the same failures as local, the trainings on rank {far}", flush=True)


# A training that would go on for ever: only the run's stop, crossing to the model's rank, ends it.
ENDLESS_TRAINING = """import std.ml;
site far { cores: 2 }
type Vec = tensor<f32>[64];
type Item = { x: Vec, y: int };
fn item(i: int) -> Item = { x: noise(Vec, i), y: i % 2 };
stream items: Item from generate(item, 2000);
model slow { input: Vec, classes: 2, arch: mlp(hidden: [64]), at: far }
flow f { on new data of type Item in items every 2000 { train slow on items @ { max_epochs: 1000000, batch: 1 }; } }
"""


def stop_reaches_training(xdmlc, tmp, mpi, variable):
    """Ctrl-C at rank 0 ends a training at the model's rank after its current step, as locally."""
    cmd, env = launcher(mpi)
    flow = os.path.join(tmp, "endless_training.xdml")
    with open(flow, "w") as f:
        f.write(ENDLESS_TRAINING)
    work = os.path.join(tmp, "endless_training")
    env["XDML_TEST_JOB"] = tmp
    p = subprocess.Popen([*cmd, xdmlc, "run", flow, "--workdir", work, "--no-jit"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        db = os.path.join(work, "provenance.db")
        rt.wait_for(lambda: os.path.exists(db) and rt.query(db, "SELECT count(*) FROM activities WHERE kind = 'training'")[0][0] > 0,
                    60, "the training to begin")
        pids = rank_pids(tmp, variable)
        check(0 in pids, f"rank 0 not found among {pids}")
        os.kill(pids[0], signal.SIGINT)
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            raise rt.Failure(f"{mpi}: the training still goes on 20 s after Ctrl-C at rank 0")
        check(p.returncode == 0, f"{mpi}: exit {p.returncode} after Ctrl-C: {out[-1000:]}{err[-1000:]}")
        far = site_work_ranks(out).get("far")
        stops = rt.query(db, "SELECT a.rank, d.reason FROM decisions d JOIN activities a ON d.subject = 'activity:' || a.id "
                             "WHERE d.kind = 'train_stop'")
        check(len(stops) == 1 and stops[0][0] == far and stops[0][1].startswith("the run was stopped during epoch"),
              f"{mpi}: the training at rank {far} did not end for the stop: {stops}")
        print(f"  {mpi}: Ctrl-C at rank 0 ended the training at rank {far}: {stops[0][1]}", flush=True)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def models_at_sites(mpi, rank_variable):
    def case(xdmlc, tmp):
        cmd, env = launcher(mpi)
        for name in ("ssx.xdml", "pipeline4.xdml"):
            flow = os.path.join(EXAMPLES, name)
            sites = dict(re.findall(r"^model (\w+) \{[^}]*\bat: (\w+)", open(flow).read(), re.M))
            check(sites, f"{name}: no model with a site")
            for extra in ([], ["--no-provenance"]):
                work = os.path.join(tmp, f"{name}-{mpi}{''.join(extra)}")
                stats_file = os.path.join(tmp, f"{name}{''.join(extra)}.stats.json")
                r = subprocess.run([*cmd, xdmlc, "run", flow, "--workdir", work, *MODE, "--stats-json", stats_file, *extra],
                                   capture_output=True, text=True, timeout=300, env=env)
                check(r.returncode == 0, f"{name} {extra}: exit {r.returncode}: {r.stdout[-2000:]}{r.stderr[-2000:]}")
                ranks = site_work_ranks(r.stdout)
                stats = json.load(open(stats_file))["models"]
                for model, site in sites.items():
                    want = ranks.get(site)
                    check(want, f"{name}: site {site} of model {model} got no ranks: {r.stdout[:1000]}")
                    # The figures come from the process that holds the model.
                    check(stats[model].get("rank") == want, f"{name}: model {model} at rank {stats[model].get('rank')}, not {want}")
                    check(stats[model]["trainings"] > 0, f"{name}: model {model} never trained: {stats[model]}")
                    if not extra:
                        trained = rt.query(os.path.join(work, "provenance.db"),
                                           "SELECT DISTINCT rank, host IS NOT NULL FROM activities WHERE kind = 'training' AND name LIKE ?",
                                           (f"train {model} on %",))
                        check(trained == [(want, 1)], f"{name}: {model}'s trainings recorded on ranks {trained}, not {want}")
                        versions = rt.query(os.path.join(work, "provenance.db"),
                                            "SELECT count(*) FROM models WHERE model = ?", (model,))[0][0]
                        check(versions == stats[model]["version"] + 1, f"{name}: {versions} versions of {model} recorded, "
                                                                       f"{stats[model]['version']} trained")
                    print(f"  {name} under {mpi}{' ' + ' '.join(extra) if extra else ''}: {model} at site {site} trained "
                          f"{stats[model]['trainings']} times and answered {stats[model]['inferences']} inferences on rank {want}",
                          flush=True)
        model_errors_same(xdmlc, tmp, mpi)
        stop_reaches_training(xdmlc, tmp, mpi, rank_variable)
    case.__doc__ = f"""Under {mpi}, each model trains and infers at its site's first work rank: the training
    activities carry that rank, and the model's figures come from it; its failures there are
    reported as a local run reports them; Ctrl-C at rank 0 ends a training there."""
    return case


def python_under(mpi):
    def case(xdmlc, tmp):
        flow = os.path.join(EXAMPLES, "peaks.xdml")
        work = same_as_local(xdmlc, tmp, flow, "peaks.xdml", mpi)
        db = os.path.join(work, "provenance.db")
        placed = rt.query(db, "SELECT DISTINCT rank, code IS NOT NULL FROM activities WHERE kind = 'task'")
        check(placed and all(rank > 0 and coded for rank, coded in placed), f"Python calls and their ranks: {placed}")
        left = subprocess.run(["pgrep", "-f", "runtime/python/PythonPool.h"], capture_output=True, text=True).stdout.split()
        check(not left, f"Python workers left after the run: {left}")
    case.__doc__ = (f"Python tasks under {mpi} with 4 ranks: the pools live on the site's work ranks, and the "
                    "example gives what the local run gives.")
    return case


CASES = {"examples_openmpi": examples_under("openmpi"), "examples_mpich": examples_under("mpich"),
         "python_openmpi": python_under("openmpi"), "python_mpich": python_under("mpich"),
         "kill_openmpi": killed_worker("openmpi", "OMPI_COMM_WORLD_RANK"), "kill_mpich": killed_worker("mpich", "PMI_RANK"),
         "hang_openmpi": killed_worker("openmpi", "OMPI_COMM_WORLD_RANK", signal.SIGSTOP),
         "hang_mpich": killed_worker("mpich", "PMI_RANK", signal.SIGSTOP),
         "prefetch_openmpi": prefetch_under("openmpi"), "prefetch_mpich": prefetch_under("mpich"),
         "singletons": case_singletons, "exit_file": case_exit_file, "resume_openmpi": resume_under("openmpi", "OMPI_COMM_WORLD_RANK"),
         "resume_mpich": resume_under("mpich", "PMI_RANK"), "models_openmpi": models_at_sites("openmpi", "OMPI_COMM_WORLD_RANK"),
         "models_mpich": models_at_sites("mpich", "PMI_RANK"), "moves_openmpi": moves_under("openmpi"),
         "moves_mpich": moves_under("mpich"), "slots_openmpi": every_slot_under("openmpi"),
         "slots_mpich": every_slot_under("mpich")}

if __name__ == "__main__":
    sys.exit(rt.main(CASES, prefix="xdml-distributed"))
