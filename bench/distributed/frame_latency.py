"""frame_latency.py — figure 4 of bench_distributed.py: frame-to-result latency of a
quality-control handler at one site (the beamline, rank 0's pool) whose task runs at another
(hpc, on ranks 1.. under MPI): from a frame's rename into the watched folder to the end of its
handler, which has recorded the task's score in a catalog. Frames land at a fixed rate; the
clocks are watch_latency's (the driver's time.time() before each rename, the handler
activity's `ended` in provenance.db, both CLOCK_REALTIME on this machine). Local, 2 and 4
ranks. Beside it, the dispatch latency when the run is not overloaded: the task calls' round
trip (the task activity's start at rank 0, as the call begins, to its end, its outcome back)."""
import os
import signal
import time

import harness
import watch_latency

FLOW = """
site beamline { cores: 1 }
site hpc { cores: 2 }
link beamline <-> hpc { bandwidth: 10Gbps, latency: 1ms }
type Frame = tensor<f32>[4];
stream landed: Frame from watch("in", "*.npy") at beamline;
catalog scores: { score: float } at "scores.db";
task qc(f: Frame) -> float @ { locality: hpc } { return sum(f) / 4.0; }
flow qc_latency {
    on new data of type Frame in landed as f { record { score: qc(f) } in scores; }
}
"""
# hpc on ranks 1.. with two threads each; the beamline stays on rank 0 with the handlers.
DEPLOY = """
[profiles.bench.sites.hpc]
placement = "mpi"
ranks = RANKS
threads_per_rank = 2
"""
WARMUP_TIMEOUT = 30


def results(db, prefix):
    """{file name: its handler's end} of the frames whose handler has ended."""
    return watch_latency.handled_paths(db, prefix, "ended")


def rank_zero(launcher_pid):
    """The pid of rank 0 under OpenMPI's mpirun: a Ctrl-C goes to it, as mpirun itself would
    turn SIGINT into SIGTERM for every rank and exit 1 whatever the ranks do."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            environ = open(f"/proc/{entry}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        if ppid == launcher_pid and b"OMPI_COMM_WORLD_RANK=0" in environ:
            return int(entry)
    raise harness.BenchError("rank 0 of the run is not among mpirun's children")


def stop(run, ranks):
    if ranks > 1:
        os.kill(rank_zero(run.proc.pid), signal.SIGINT)
        try:
            run.proc.wait(timeout=120)
        except Exception:
            raise harness.BenchError("the run did not end within 120 s of rank 0's SIGINT")
    run.stop()


def measure(xdmlc, scratch, count, rate, ranks, launch, env, say):
    """p50 and p99 in ms, or None when the run failed (said)."""
    work = os.path.join(scratch, f"qc-{ranks}")
    flow = os.path.join(scratch, "qc_latency.xdml")
    open(flow, "w").write(FLOW)
    deploy = os.path.join(scratch, f"qc_latency-{ranks}.deploy.toml")
    open(deploy, "w").write(DEPLOY.replace("RANKS", str(max(1, ranks - 1))))
    folder = os.path.join(work, "in")
    os.makedirs(folder, exist_ok=True)
    db = os.path.join(work, "provenance.db")
    run = harness.Background(xdmlc, flow, work, ("--deploy", deploy) if ranks > 1 else (),
                             launch if ranks > 1 else (), env)
    try:
        harness.wait_for(lambda: os.path.exists(db), WARMUP_TIMEOUT, "the provenance database", run)
        warm = [0]

        def warmed():
            watch_latency.drop(folder, f"warmup_{warm[0]:03d}.npy", harness.npy_bytes([0.0] * 4))
            warm[0] += 1
            time.sleep(0.05)
            return len(results(db, "warmup_")) > 0
        harness.wait_for(warmed, WARMUP_TIMEOUT, "a warm-up frame's result", run)
        renamed, achieved = watch_latency.feed(folder, count, rate)
        harness.wait_for(lambda: len(results(db, "frame_")) >= count, 60 + count / 50, f"{count} results", run)
        stop(run, ranks)
    except harness.BenchError as e:
        run.kill()
        say(f"  {ranks} rank{'s' if ranks > 1 else ''}: FAILED: {e}")
        return None
    run.kill()
    ended = results(db, "frame_")
    latencies = [(ended[name] - t) * 1000 for name, t in renamed.items() if name in ended]
    p50, p99 = harness.percentile(latencies, 50), harness.percentile(latencies, 99)
    first = min(renamed.values())
    trips = sorted(r[0] * 1000 for r in harness.query(db, "SELECT ended - started FROM activities "
                                                          "WHERE kind = 'task' AND ended IS NOT NULL AND started >= ?", (first,)))
    say(f"  {'local' if ranks == 1 else f'{ranks} ranks'}: {count} frames at {achieved:,.0f}/s: rename -> result recorded "
        f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {max(latencies):.3f} ms; "
        f"call round trip p50 {harness.percentile(trips, 50):.3f} ms  p99 {harness.percentile(trips, 99):.3f} ms")
    return p50, p99
