"""overload.py — figure 3: deadline work beside background work, offered twice what the site can do.

overload.xdml has one site of 2 cores and two zmq streams: `urgent_in`, whose handler (deadline
50 ms, priority 10) calls a task burning about 5 ms of CPU, and `bulk_in`, whose handler
(priority 1) calls one burning about 20 ms. First each burn runs alone (the calibration flows,
with provenance, like the run) to measure the site's capacity in tasks/s from its CPU time
(calibrate()).
Then the driver pushes frames at fixed rates: urgent at URGENT_SHARE of the urgent capacity,
bulk at BULK_SHARE of the bulk one, so the offered load is URGENT_SHARE + BULK_SHARE = 2x
capacity, for `seconds`; it waits for the urgent firings to finish, then stops the run with
SIGINT.

The share of urgent firings that missed their deadline comes from provenance: the handler
activities of `urgent_in`, and the `deadline_miss` decisions whose subject is one of them (the
runtime judges a firing from its item's arrival to its end). Misses of the task calls themselves
(from the call to the end) are counted beside it."""
import os
import resource
import struct
import time

import harness

# Deadline work is the smaller part, as at an instrument: it alone must fit the site with room
# to spare, or no scheduler could meet its deadlines; the background work makes up the 2x.
URGENT_SHARE, BULK_SHARE = 0.25, 1.75
URGENT_TITLE = "on new data of type Frame in urgent_in"
BULK_TITLE = "on new data of type Frame in bulk_in"


def cpu_seconds_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def calibrate(xdmlc, scratch, name, calibration, say):
    """Tasks per second the site's 2 cores do of one burn alone (its capacity for it). The
    calibration flow runs with `calibration` and with twice as many items; a task costs the
    difference in CPU seconds (user + system, of the whole xdmlc process) over the difference
    in tasks, which leaves out compiling and the run's start and end. CPU time rather than wall
    time: other processes on the machine stretch the one, hardly the other."""
    runs = []
    for n in (calibration, 2 * calibration):
        flow = harness.flow_copy("overload.xdml", scratch, consts={"CALIBRATION": n}, copy_name=f"{name}-{n}.xdml")
        before = cpu_seconds_of_children()
        stats = harness.run_flow(xdmlc, flow, os.path.join(scratch, f"{name}-{n}"), extra=("--flow", name))
        runs.append((stats["tasks_run"], cpu_seconds_of_children() - before, stats["seconds"]))
    (n1, cpu1, wall1), (n2, cpu2, wall2) = runs
    per_task = (cpu2 - cpu1) / (n2 - n1) if cpu2 > cpu1 else cpu2 / n2
    say(f"  {name}: {n1} tasks in {wall1:.3f} s ({cpu1:.3f} s CPU), {n2} in {wall2:.3f} s ({cpu2:.3f} s CPU): "
        f"{1000 * per_task:.1f} ms of CPU each, {2 / per_task:,.1f} tasks/s on 2 cores")
    return 2 / per_task


def push_sockets(workdir):
    import zmq
    context = zmq.Context()
    sockets = {}
    for name in ("urgent", "bulk"):
        s = context.socket(zmq.PUSH)
        s.setsockopt(zmq.SNDHWM, 1_000_000)  # the backlog waits in the run's queues, not here
        s.setsockopt(zmq.LINGER, 0)
        s.bind(f"ipc://{workdir}/{name}.sock")  # overload.xdml connects to these
        sockets[name] = s
    return context, sockets


def firings(db, title):
    return harness.query(db, "SELECT count(*) FROM activities WHERE kind = 'handler' AND name = ? AND status != 'running'",
                         (title,))[0][0]


URGENT_FIRINGS = """
SELECT e.created, h.started, h.ended, t.started, t.ended,
       EXISTS (SELECT 1 FROM decisions d WHERE d.kind = 'deadline_miss' AND d.subject = 'activity:' || h.id)
FROM activities h
JOIN used u ON u.activity = h.id AND u.role = 'item'
JOIN entities e ON e.id = u.entity
LEFT JOIN used ut ON ut.entity = e.id AND ut.activity != h.id
LEFT JOIN activities t ON t.id = ut.activity AND t.kind = 'task'
WHERE h.run = ? AND h.kind = 'handler' AND h.name = ? AND h.status = 'ok'
"""


def median_ms(values):
    return 1000 * harness.percentile(values, 50) if values else float("nan")


def analyse(db, say):
    """Urgent firings and misses from provenance, with where the late ones spent their time."""
    run, run_started = harness.query(db, "SELECT id, started FROM runs ORDER BY id DESC LIMIT 1")[0]
    firings = [r for r in harness.query(db, URGENT_FIRINGS, (run, URGENT_TITLE)) if r[3] is not None]
    missed = [r for r in firings if r[5]]
    task_missed = harness.query(
        db, "SELECT count(*) FROM decisions d JOIN activities a ON d.subject = 'activity:' || a.id "
            "WHERE d.run = ? AND d.kind = 'deadline_miss' AND a.kind = 'task' AND a.name = 'burn_urgent'", (run,))[0][0]
    times = {name: harness.query(db, "SELECT count(*), avg(ended - started) FROM activities WHERE run = ? AND kind = 'task' "
                                     "AND name = ?", (run, name))[0] for name in ("burn_urgent", "burn_bulk")}
    if not firings:
        return 0, 0
    response = [1000 * (r[2] - r[0]) for r in firings]
    say(f"  urgent firings: {len(firings)}, item arrival -> handler end: p50 {harness.percentile(response, 50):.1f}  "
        f"p99 {harness.percentile(response, 99):.1f}  max {max(response):.1f} ms")
    (nu, su), (nb, sb) = times["burn_urgent"], times["burn_bulk"]
    say(f"  urgent tasks: {nu}, {1000 * (su or 0):.1f} ms each on average; bulk tasks: {nb}, {1000 * (sb or 0):.1f} ms "
        f"each (wall time, on 2 cores shared with the runtime's threads)")
    say(f"  deadline misses: {len(missed)} urgent firings, {task_missed} urgent task calls")
    if missed:
        # Where a late firing's time went: waiting for one of the stream's handler threads,
        # then for a worker of the site (the task's call to its start), then the task itself.
        say(f"  the late firings, median: {median_ms([r[1] - r[0] for r in missed]):.1f} ms to get a handler thread, "
            f"{median_ms([r[3] - r[1] for r in missed]):.1f} ms to get a worker, {median_ms([r[4] - r[3] for r in missed]):.1f} "
            f"ms running; arrived {median_ms([r[0] - run_started for r in missed]) / 1000:.2f} s into the run")
        steady = [r for r in firings if r[0] - run_started >= 1.0]
        late = sum(1 for r in steady if r[5])
        say(f"  after the run's first second: {late} of {len(steady)} urgent firings late")
    return len(firings), len(missed)


def measure(xdmlc, scratch, seconds, calibration, say):
    failed = [("3 urgent firings late (2x load)", "failed", "<= 1%", None)]
    flow = harness.flow_copy("overload.xdml", scratch)
    try:
        urgent_capacity = calibrate(xdmlc, scratch, "calibrate_urgent", calibration, say)
        bulk_capacity = calibrate(xdmlc, scratch, "calibrate_bulk", calibration, say)
    except harness.BenchError as e:
        say(f"  FAILED: {e}")
        return failed
    rates = {"urgent": URGENT_SHARE * urgent_capacity, "bulk": BULK_SHARE * bulk_capacity}
    workdir = os.path.join(scratch, "overload")
    os.makedirs(workdir, exist_ok=True)
    db = os.path.join(workdir, "provenance.db")
    context, sockets = push_sockets(workdir)
    cpu_before = cpu_seconds_of_children()
    run = harness.Background(xdmlc, flow, workdir, extra=("--flow", "overload"))
    try:
        import zmq
        for name, s in sockets.items():  # ready once the run's PULL sockets have connected
            harness.wait_for(lambda: s.poll(0, zmq.POLLOUT), 30, f"the run to connect to {name}.sock", run)
        say(f"  offered: urgent {rates['urgent']:,.1f}/s ({URGENT_SHARE:.0%} of capacity) + bulk "
            f"{rates['bulk']:,.1f}/s ({BULK_SHARE:.0%}) = {URGENT_SHARE + BULK_SHARE:.0%} of capacity, for {seconds} s")
        sent, shed = harness.feed(sockets, rates, seconds, lambda name, n: struct.pack("<4f", n, 0, 0, 0), hold=False)
        bulk_done = firings(db, BULK_TITLE)
        harness.wait_for(lambda: firings(db, URGENT_TITLE) >= sent["urgent"], 60, "the urgent firings to finish", run)
        stats = run.stop()
    except harness.BenchError as e:
        run.kill()
        say(f"  FAILED: {e}")
        return failed
    finally:
        for s in sockets.values():
            s.close(0)
        context.term()
    run.kill()
    say(f"  sent: urgent {sent['urgent']}, bulk {sent['bulk']} (shed by the driver: {shed['bulk'] + shed['urgent']}); "
        f"bulk firings done while offered: {bulk_done} ({bulk_done / seconds:,.1f}/s); "
        f"stats: {stats['deadline_misses']} deadline misses")
    # Overloaded, the run should keep both cores busy; less means other processes took them.
    cpu = cpu_seconds_of_children() - cpu_before
    say(f"  xdmlc used {cpu:.1f} s of CPU in {stats['seconds']:.1f} s: {cpu / stats['seconds']:.2f} cores")
    total, missed = analyse(db, say)
    if total < sent["urgent"]:
        say(f"  FAILED: {total} urgent firings in provenance for {sent['urgent']} frames sent")
        return failed
    share = missed / total
    return [("3 urgent firings late (2x load)", f"{share:.2%} ({missed}/{total})", "<= 1%", share <= 0.01)]
