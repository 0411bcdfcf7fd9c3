#!/usr/bin/python3
"""bench_overload.py — a run offered 2x and 5x what its handlers sustain (see README.md): its
RSS stays under a stated bound, the high-priority handler misses at most 1% of its deadlines,
and every frame sent is handled.

overload.xdml has one site of 2 cores and two zmq streams: `urgent_in` (deadline 50 ms,
priority 10, a task burning about 5 ms of CPU) and `bulk_in` (priority 1, about 20 ms). Each
burn first runs alone to measure the site's capacity for it (calibrate()). Then, for each
factor F, the driver offers urgent frames at URGENT_SHARE of the urgent capacity and bulk frames
at F - URGENT_SHARE of the bulk capacity, for --seconds, sampling the run's RSS; the bulk
socket's send queue is small, so the backpressure of the run's bounded queues reaches the
driver, which then holds frames back (counted) instead of queueing them. Once every frame sent
is handled, SIGINT ends the run.

Run it with Debian's python3 (python3-zmq). It exits 1 when a run fails, a figure cannot be
measured or a frame is lost; a timing goal not met does not fail it (timings need a quiet
machine). --smoke (ctest's bench.overload.smoke) runs it with tiny sizes."""
import argparse
import os
import resource
import shutil
import struct
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "runtime"))
import harness  # noqa: E402  (bench/runtime's: running xdmlc, its counters, provenance)

URGENT_SHARE = 0.25  # deadline work must fit the site with room to spare; bulk makes up the rest
URGENT_TITLE = "on new data of type Frame in urgent_in"
BULK_TITLE = "on new data of type Frame in bulk_in"
FRAME_FLOATS = 4096  # overload.xdml's Frame
FRAME_BYTES = 4 * FRAME_FLOATS
SEND_QUEUE = 100  # the driver's ZeroMQ send high-water mark: past it, backpressure holds frames back

# The frames one stream of the run can hold, whatever the load (each queue is bounded): ZeroMQ's
# receive high-water mark (its default, 1000 messages), the stream's input queue
# (StreamRuntime.cpp, 256), the firing queue's batches (FiringQueue.cpp, 8 of 8) and the firings
# running on its handler threads (8).
FRAMES_HELD_PER_STREAM = 1000 + 256 + 8 * 8 + 8
# A held frame is counted twice (the message and its decoded tensor); SLACK covers the
# allocator, SQLite's page cache and provenance batches, task results and thread stacks.
SLACK_BYTES = 64 << 20


def say(line=""):
    print(line, flush=True)


def rss_bound(baseline):
    return baseline + 2 * FRAMES_HELD_PER_STREAM * 2 * FRAME_BYTES + SLACK_BYTES


def flow_copy(scratch, name, calibration):
    text = open(os.path.join(HERE, "overload.xdml")).read()
    text = text.replace("const CALIBRATION: int = 400;", f"const CALIBRATION: int = {calibration};")
    path = os.path.join(scratch, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def cpu_seconds_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def calibrate(xdmlc, scratch, name, calibration):
    """Tasks per second the site's 2 cores do of one burn alone: the CPU time of runs with N and
    2N items, over the difference in tasks (leaves out compiling, start and end; CPU rather than
    wall time, which other processes stretch)."""
    runs = []
    for n in (calibration, 2 * calibration):
        flow = flow_copy(scratch, f"{name}-{n}.xdml", n)
        before = cpu_seconds_of_children()
        stats = harness.run_flow(xdmlc, flow, os.path.join(scratch, f"{name}-{n}"), extra=("--flow", name))
        runs.append((stats["tasks_run"], cpu_seconds_of_children() - before))
    (n1, cpu1), (n2, cpu2) = runs
    per_task = (cpu2 - cpu1) / (n2 - n1) if cpu2 > cpu1 else cpu2 / n2
    say(f"  {name}: {1000 * per_task:.1f} ms of CPU a task, {2 / per_task:,.1f} tasks/s on 2 cores")
    return 2 / per_task


class RssSampler:
    """The run's resident set (VmRSS of /proc/PID/status), every `every` seconds, on a thread."""

    def __init__(self, pid, every=0.25):
        self.pid, self.every, self.samples = pid, every, []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def now(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None

    def sample(self):
        while not self.done.wait(self.every):
            rss = self.now()
            if rss is not None:
                self.samples.append((time.time(), rss))

    def stop(self):
        self.done.set()
        self.thread.join()


def push_sockets(workdir):
    import zmq
    context = zmq.Context()
    sockets = {}
    for name in ("urgent", "bulk"):
        s = context.socket(zmq.PUSH)
        s.setsockopt(zmq.SNDHWM, SEND_QUEUE)
        s.setsockopt(zmq.LINGER, 0)
        s.bind(f"ipc://{workdir}/{name}.sock")  # overload.xdml connects to these
        sockets[name] = s
    return context, sockets


def frame_writer():
    """The n-th frame of FRAME_BYTES: its number in the first f32, the rest zero (one buffer)."""
    payload = bytearray(FRAME_BYTES)

    def frame(name, n):
        struct.pack_into("<f", payload, 0, n)
        return payload
    return frame


def handled(db, title):
    return harness.query(db, "SELECT count(*) FROM activities WHERE kind = 'handler' AND name = ? AND status != 'running'",
                         (title,))[0][0]


def urgent_misses(db):
    """Urgent firings that ended, and those with a `deadline_miss` decision (provenance)."""
    run = harness.query(db, "SELECT id FROM runs ORDER BY id DESC LIMIT 1")[0][0]
    firings = harness.query(db, "SELECT count(*) FROM activities WHERE run = ? AND kind = 'handler' AND name = ? "
                                "AND status = 'ok'", (run, URGENT_TITLE))[0][0]
    missed = harness.query(db, "SELECT count(*) FROM decisions d JOIN activities a ON d.subject = 'activity:' || a.id "
                               "WHERE d.run = ? AND d.kind = 'deadline_miss' AND a.name = ?", (run, URGENT_TITLE))[0][0]
    return firings, missed


# Each urgent firing's times: its item recorded (by the stream's dispatcher), the handler's start,
# its task's start and end.
URGENT_TIMES = """
SELECT e.created, h.started, t.started, t.ended
FROM activities h
JOIN used u ON u.activity = h.id AND u.role = 'item'
JOIN entities e ON e.id = u.entity
JOIN used ut ON ut.entity = e.id AND ut.activity != h.id
JOIN activities t ON t.id = ut.activity AND t.kind = 'task'
WHERE h.run = ? AND h.kind = 'handler' AND h.name = ? AND h.status = 'ok'
"""


def where_urgent_firings_waited(db):
    """Where the urgent firings' time went, in ms (p50 / p99): item recorded -> handler start
    (the firing queue, a handler thread), handler start -> task start (a worker of the site:
    where priority acts), the task itself; beside the bulk task's mean and max. Priority is respected when an urgent
    task waits at most for the bulk tasks already running (workers are not preempted), not for
    those queued: its worst wait stays near one bulk task, however long the bulk queue."""
    run = harness.query(db, "SELECT id FROM runs ORDER BY id DESC LIMIT 1")[0][0]
    rows = harness.query(db, URGENT_TIMES, (run, URGENT_TITLE))
    bulk_mean, bulk_max = harness.query(db, "SELECT avg(ended - started), max(ended - started) FROM activities "
                                            "WHERE run = ? AND kind = 'task' AND name = 'burn_bulk'", (run,))[0]
    if not rows or bulk_mean is None:
        return "no urgent firing or bulk task recorded"
    ms = lambda values, p: 1000 * harness.percentile(values, p)  # noqa: E731
    thread, worker, task = [r[1] - r[0] for r in rows], [r[2] - r[1] for r in rows], [r[3] - r[2] for r in rows]
    return (f"urgent firings, p50 / p99 ms: {ms(thread, 50):.1f} / {ms(thread, 99):.1f} to a handler thread, "
            f"{ms(worker, 50):.1f} / {ms(worker, 99):.1f} (max {1000 * max(worker):.1f}) to a worker, "
            f"{ms(task, 50):.1f} / {ms(task, 99):.1f} running; a bulk task ran {1000 * bulk_mean:.1f} ms on average, "
            f"{1000 * bulk_max:.1f} at most")


def mib(n):
    return f"{n / (1 << 20):.0f} MiB"


def overload(xdmlc, scratch, factor, capacity, seconds):
    """One run offered `factor` times the site's capacity; returns its table row."""
    name = f"overload-{factor:g}x"
    flow = flow_copy(scratch, name + ".xdml", 400)
    workdir = os.path.join(scratch, name)
    os.makedirs(workdir, exist_ok=True)
    db = os.path.join(workdir, "provenance.db")
    rates = {"urgent": URGENT_SHARE * capacity["urgent"], "bulk": (factor - URGENT_SHARE) * capacity["bulk"]}
    context, sockets = push_sockets(workdir)
    # --jit-wait: the kernels compile before the flow starts, so the baseline RSS includes them.
    run = harness.Background(xdmlc, flow, workdir, extra=("--flow", "overload", "--jit-wait"))
    rss = RssSampler(run.proc.pid)
    try:
        import zmq
        for s in sockets.values():  # ready once the run's PULL sockets have connected
            harness.wait_for(lambda: s.poll(0, zmq.POLLOUT), 60, "the run to connect", run)
        time.sleep(0.5)
        baseline = rss.now()
        say(f"{factor:g}x: offered urgent {rates['urgent']:,.1f}/s + bulk {rates['bulk']:,.1f}/s for {seconds:g} s; "
            f"RSS at the start {mib(baseline)}")
        fed_from = time.time()
        sent, held = harness.feed(sockets, rates, seconds, frame_writer(), hold=True)
        fed_until = time.time()
        for title, stream in ((URGENT_TITLE, "urgent"), (BULK_TITLE, "bulk")):
            harness.wait_for(lambda: handled(db, title) >= sent[stream], 300, f"the {stream} firings to finish", run)
        stats = run.stop()
    except harness.BenchError as e:
        run.kill()
        say(f"  FAILED: {e}")
        return None
    finally:
        rss.stop()
        for s in sockets.values():
            s.close(0)
        context.term()
    run.kill()
    during = [r for t, r in rss.samples if fed_from <= t <= fed_until]
    peak = max(r for _, r in rss.samples)
    half = len(during) // 2
    growth = max(during[half:]) - max(during[:half]) if half else 0
    firings, missed = urgent_misses(db)
    items = stats["items"]
    failures = sum(stats["handler_failures"].values())
    lost = (sent["urgent"] - items.get("urgent_in", 0)) + (sent["bulk"] - items.get("bulk_in", 0))
    unhandled = (sent["urgent"] - handled(db, URGENT_TITLE)) + (sent["bulk"] - handled(db, BULK_TITLE))
    say(f"  sent urgent {sent['urgent']}, bulk {sent['bulk']} ({sent['bulk'] / seconds:,.1f}/s accepted; bulk frames held "
        f"back by backpressure {held['bulk']} times, urgent {held['urgent']}); items in the run: urgent "
        f"{items.get('urgent_in', 0)}, bulk {items.get('bulk_in', 0)}; lost_items {stats.get('lost_items', 0)}, "
        f"handler failures {failures}")
    say(f"  RSS: start {mib(baseline)}, peak {mib(peak)} (bound {mib(rss_bound(baseline))}); peak of the second half of the "
        f"feed minus the first half's: {growth / (1 << 20):+.1f} MiB")
    say(f"  urgent firings {firings}, deadline misses {missed} ({missed / max(firings, 1):.2%}); --stats-json "
        f"deadline_misses {stats['deadline_misses']} (the urgent task calls' misses too)")
    say(f"  {where_urgent_firings_waited(db)}")
    return {"factor": factor, "peak": peak, "bound": rss_bound(baseline), "growth": growth, "firings": firings,
            "missed": missed, "lost": lost + unhandled + stats.get("lost_items", 0) + failures}


def table(rows):
    lines = ["load  peak RSS  bound     urgent misses       lost  met",
             "----  --------  --------  ------------------  ----  ---"]
    for r in rows:
        share = r["missed"] / max(r["firings"], 1)
        met = r["peak"] <= r["bound"] and share <= 0.01 and r["lost"] == 0
        misses = f"{share:.2%} ({r['missed']}/{r['firings']})"
        lines.append(f"{r['factor']:>3g}x  {mib(r['peak']):>8}  {mib(r['bound']):>8}  {misses:<18}  {r['lost']:>4}  "
                     f"{'yes' if met else 'no'}")
    return "\n".join(lines)


def main():
    default = os.path.join(os.path.dirname(os.path.dirname(HERE)), "build", "xdmlc")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xdmlc", default=default, help="the xdmlc to measure (default: build/xdmlc)")
    ap.add_argument("--seconds", type=float, default=60, help="how long each load is offered (default 60)")
    ap.add_argument("--factors", default="2,5", help="the loads, in multiples of the site's capacity (default 2,5)")
    ap.add_argument("--calibration", type=int, default=400, help="urgent tasks of the calibration runs (bulk: a quarter)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (1.5 s, calibration 40): check that it runs")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (work dirs, provenance)")
    args = ap.parse_args()
    if args.smoke:
        args.seconds, args.calibration = 1.5, 40
    xdmlc = os.path.abspath(args.xdmlc)
    if not os.access(xdmlc, os.X_OK):
        say(f"bench_overload: no xdmlc at {xdmlc} (build it: ninja -C build xdmlc)")
        return 2
    scratch = tempfile.mkdtemp(prefix="xdml-bench-overload-")
    say(f"bench_overload: {xdmlc}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (timings need a quiet "
        f"machine); scratch {scratch}")
    shutil.copy2(xdmlc, os.path.join(scratch, "xdmlc"))  # a rebuild meanwhile cannot mix two binaries
    xdmlc = os.path.join(scratch, "xdmlc")
    rows = []
    try:
        say("calibration (each burn alone on the site):")
        capacity = {"urgent": calibrate(xdmlc, scratch, "calibrate_urgent", args.calibration),
                    "bulk": calibrate(xdmlc, scratch, "calibrate_bulk", args.calibration)}
        for factor in (float(f) for f in args.factors.split(",")):
            rows.append(overload(xdmlc, scratch, factor, capacity, args.seconds))
    except harness.BenchError as e:
        say(f"  FAILED: {e}")
        rows.append(None)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    measured = [r for r in rows if r]
    say()
    say(table(measured))
    say("goal: peak RSS under the bound (the queues' capacity in frames, see README.md), urgent misses <= 1%, lost 0")
    # A lost frame fails it even in a smoke run: that is correctness, not timing.
    return 1 if len(measured) < len(rows) or not measured or any(r["lost"] for r in measured) else 0


if __name__ == "__main__":
    sys.exit(main())
