"""watch_latency.py — figure 2: the latency of `watch` from a file's rename into the folder to
the start of its handler, at a fixed rate (1,000 files/s).

The common clock is the wall clock: the driver notes time.time() as it renames each file,
and provenance records each handler activity's start (activities.started, seconds since the
epoch, taken when the handler starts on its thread) and each item's file (entities.path),
joined through `used`. Both read CLOCK_REALTIME on this machine. The run keeps provenance on,
as runs do by default: its cost is part of the latency."""
import os
import time

import harness

WARMUP_TIMEOUT = 30


def handled_paths(db, prefix, moment="started"):
    """{file name: its handler's start (or `moment` = "ended": its end)} of the items of files
    whose name starts with `prefix`, for the handlers that have got that far."""
    rows = harness.query(db, f"SELECT e.path, a.{moment} FROM activities a JOIN used u ON u.activity = a.id "
                             "JOIN entities e ON e.id = u.entity "
                             f"WHERE a.kind = 'handler' AND a.{moment} IS NOT NULL AND e.stream = 'landed' AND e.path LIKE ?",
                         (f"%/{prefix}%",))
    return {os.path.basename(path): at for path, at in rows}


def drop(folder, name, payload):
    """Writes `name` in `folder` as detector writers do: a hidden temporary file, then a rename.
    Returns the wall-clock time taken right before the rename: taken after it, the driver may be
    descheduled by the very threads the rename wakes (2 cores), and the handler seem to start
    before the file landed. So a latency includes the rename system call (a few µs)."""
    tmp = os.path.join(folder, "." + name + ".part")
    with open(tmp, "wb") as f:
        f.write(payload)
    renamed = time.time()
    os.rename(tmp, os.path.join(folder, name))
    return renamed


def feed(folder, count, rate):
    """`count` files at `rate` per second, each due at start + i / rate (no catching up in a
    burst beyond what is due). Returns {name: rename time} and the rate achieved."""
    renamed = {}
    start = time.perf_counter()
    for i in range(count):
        due = start + i / rate
        left = due - time.perf_counter()
        if left > 0:
            time.sleep(left)  # no spinning: the driver shares the machine with the run
        name = f"frame_{i:06d}.npy"
        renamed[name] = drop(folder, name, harness.npy_bytes([float(i), 1.0, 2.0, 3.0]))
    return renamed, count / (time.perf_counter() - start)


def measure(xdmlc, scratch, count, rate, say):
    flow = harness.flow_copy("watch_latency.xdml", scratch)
    workdir = os.path.join(scratch, "watch")
    folder = os.path.join(workdir, "in")
    os.makedirs(folder, exist_ok=True)
    db = os.path.join(workdir, "provenance.db")
    run = harness.Background(xdmlc, flow, workdir)
    try:
        # Ready when a warm-up file has been handled: the watch is set up after the run's row.
        harness.wait_for(lambda: os.path.exists(db), WARMUP_TIMEOUT, "the provenance database", run)
        warm = 0

        def warmed():
            nonlocal warm
            drop(folder, f"warmup_{warm:03d}.npy", harness.npy_bytes([0.0] * 4))
            warm += 1
            time.sleep(0.05)
            return len(handled_paths(db, "warmup_")) > 0
        harness.wait_for(warmed, WARMUP_TIMEOUT, "a warm-up file to be handled", run)
        renamed, achieved = feed(folder, count, rate)
        harness.wait_for(lambda: len(handled_paths(db, "frame_")) >= count, 60 + count / 100,
                         f"{count} files to be handled", run)
        stats = run.stop()
    except harness.BenchError as e:
        run.kill()
        say(f"  FAILED: {e}")
        return [("2 watch latency p50", "failed", "<= 2 ms", None), ("2 watch latency p99", "failed", "<= 20 ms", None)]
    run.kill()
    started = handled_paths(db, "frame_")
    latencies = [(started[name] - t) * 1000 for name, t in renamed.items() if name in started]
    status = harness.query(db, "SELECT status FROM runs ORDER BY id DESC LIMIT 1")
    say(f"  {count} files at {achieved:,.0f} files/s (asked {rate:,}), {len(latencies)} handled, "
        f"{stats['items'].get('landed', 0)} items counted (incl. {warm} warm-up), run {status[0][0] if status else '?'}")
    if len(latencies) < count:
        say(f"  FAILED: only {len(latencies)} of {count} files have a handler activity in provenance")
        return [("2 watch latency p50", "failed", "<= 2 ms", None), ("2 watch latency p99", "failed", "<= 20 ms", None)]
    p50, p99 = harness.percentile(latencies, 50), harness.percentile(latencies, 99)
    say(f"  rename -> handler start: min {min(latencies):.3f}  p50 {p50:.3f}  p90 "
        f"{harness.percentile(latencies, 90):.3f}  p99 {p99:.3f}  max {max(latencies):.3f} ms")
    if min(latencies) < 0:
        say("  warning: a negative latency: the wall clock stepped during the run (NTP?)")
    return [("2 watch latency p50", f"{p50:.3f} ms", "<= 2 ms", p50 <= 2.0),
            ("2 watch latency p99", f"{p99:.3f} ms", "<= 20 ms", p99 <= 20.0)]
