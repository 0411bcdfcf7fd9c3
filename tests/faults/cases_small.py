"""Shell commands and ZeroMQ peers at the edges: a run stopped at once ends the process groups of
its `sh` commands (nothing survives it); a ZeroMQ message larger than the stream's type allows
is refused before it is in memory and the stream goes on; a peer that vanishes in the middle of
a message leaves the run going and ending cleanly."""
import os
import signal
import socket
import struct
import subprocess
import sys
import time

from faultlib import check, stop
from run_runtime import free_port, npy_bytes, query, wait_for

CASES = {}

SH_FLOW = """
import std.exec;
flow main {
    // A grandchild that ignores SIGTERM, and a foreground sleep the shell waits for.
    let out = sh("echo $$ > group.pid; (trap '' TERM; exec sleep 300) & sleep 300");
    log "finished: {out}";
}
"""


def group_members(pgid):
    """The PIDs of live processes in process group `pgid` (from /proc; zombies excluded)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def case_sh_group_ended(xdmlc, tmp):
    flow = os.path.join(tmp, "sh.xdml")
    open(flow, "w").write(SH_FLOW)
    work = os.path.join(tmp, "w")
    proc = subprocess.Popen([xdmlc, "run", flow, "--workdir", work, "--no-jit"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pgid = None
    try:
        pid_file = os.path.join(work, "group.pid")
        wait_for(lambda: os.path.exists(pid_file) and open(pid_file).read().strip(), 30, "the command to start")
        pgid = int(open(pid_file).read())
        wait_for(lambda: len(group_members(pgid)) >= 3, 10, "the shell and its two sleeps")
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        check(proc.poll() is None and len(group_members(pgid)) >= 3,
              "a first Ctrl-C lets the command under way go on")
        started = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        took = time.time() - started
    finally:
        if proc.poll() is None:
            stop(proc)
        if pgid:
            left = group_members(pgid)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
    check(proc.returncode == 130, f"a second Ctrl-C exits with 130, got {proc.returncode}: {out}{err}")
    check(not left, f"processes of the command's group survived the run: {left}")
    check(took < 10, f"the run took {took:.1f} s to end after the second Ctrl-C")


CASES["sh_group_ended"] = case_sh_group_ended

ZMQ_FLOW = """
type Frame = tensor<f32>[8, 8];
stream pushed: Frame from zmq("tcp://*:PORT");
catalog seen: { total: float } at "seen.db";
flow main {
    on new data of type Frame in pushed as f { record { total: sum(f) } in seen; }
}
"""


def start_zmq_run(xdmlc, tmp, port):
    flow = os.path.join(tmp, "z.xdml")
    open(flow, "w").write(ZMQ_FLOW.replace("PORT", str(port)))
    work = os.path.join(tmp, "w")
    proc = subprocess.Popen([xdmlc, "run", flow, "--workdir", work, "--no-jit"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    prov = os.path.join(work, "provenance.db")
    wait_for(lambda: query(prov, "SELECT count(*) FROM runs WHERE status = 'running'")[0][0] >= 1, 30, "the run to start")
    time.sleep(0.3)  # the socket is bound right after the run row
    return proc, work


def send_frames(port, values):
    """Sends one valid 8x8 frame per value from a fresh PUSH socket, and waits for delivery."""
    import zmq
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 5000)
    push.connect(f"tcp://127.0.0.1:{port}")
    for v in values:
        push.send(npy_bytes([v] * 64, (8, 8)))
    push.close()
    ctx.term()


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def finish(proc, work, expected_totals):
    db = os.path.join(work, "seen.db")
    wait_for(lambda: query(db, "SELECT count(*) FROM seen")[0][0] >= len(expected_totals), 30,
             f"{len(expected_totals)} records")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 0, f"exit {proc.returncode}: {out}{err}")
    totals = sorted(t for (t,) in query(db, "SELECT total FROM seen"))
    check(totals == sorted(expected_totals), f"records {totals}, expected {expected_totals}")
    status = query(os.path.join(work, "provenance.db"), "SELECT status FROM runs")
    check(status == [("stopped",)], f"the run stopped on SIGINT: {status}")
    return out + err


def case_zmq_oversized(xdmlc, tmp):
    import zmq
    port = free_port()
    proc, work = start_zmq_run(xdmlc, tmp, port)
    try:
        send_frames(port, [1.0])
        wait_for(lambda: query(os.path.join(work, "seen.db"), "SELECT count(*) FROM seen")[0][0] >= 1, 30, "the first record")
        before = peak_rss_kib(proc.pid)
        # 256 MiB for a stream of 8x8 f32 frames (256 bytes of elements).
        ctx = zmq.Context()
        push = ctx.socket(zmq.PUSH)
        push.setsockopt(zmq.LINGER, 0)
        push.connect(f"tcp://127.0.0.1:{port}")
        push.send(bytes(256 << 20))
        time.sleep(2)  # time to take it in, were it taken
        push.close()
        ctx.term()
        grown = peak_rss_kib(proc.pid) - before
        check(grown < 64 << 10, f"the oversized message grew the run by {grown} KiB")
        send_frames(port, [2.0])
        finish(proc, work, [64.0, 128.0])
    finally:
        if proc.poll() is None:
            stop(proc)


CASES["zmq_oversized"] = case_zmq_oversized

PARTIAL_MULTIPART = """
import sys, zmq
ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.connect(sys.argv[1])
push.send(b"first part of two", zmq.SNDMORE)
import os
os._exit(0)  # vanish with the message half sent
"""


def zmtp_partial_frame(port):
    """A raw ZMTP 3.0 PUSH peer: greeting, READY, then a frame header announcing 4096 bytes,
    10 of them, and gone (a peer that vanishes in the middle of a message on the wire)."""
    greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31
    ready_body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 4) + b"PUSH"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(greeting)
        s.recv(64)
        s.sendall(b"\x04" + bytes([len(ready_body)]) + ready_body)
        s.sendall(b"\x03" + struct.pack(">Q", 4096) + b"0123456789")  # long frame, MORE set
        time.sleep(0.2)


def case_zmq_peer_vanishes(xdmlc, tmp):
    port = free_port()
    proc, work = start_zmq_run(xdmlc, tmp, port)
    try:
        endpoint = f"tcp://127.0.0.1:{port}"
        client = subprocess.run([sys.executable, "-c", PARTIAL_MULTIPART, endpoint], timeout=30)
        check(client.returncode == 0, "the vanishing client ran")
        zmtp_partial_frame(port)
        send_frames(port, [1.0, 3.0])
        finish(proc, work, [64.0, 192.0])
    finally:
        if proc.poll() is None:
            stop(proc)


CASES["zmq_peer_vanishes"] = case_zmq_peer_vanishes

KILLED_FLOW = """
import std.exec;
type Frame = tensor<f32>[4];
fn frame(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(frame, 400);
catalog seen: { total: float } at "seen.db";
flow main {
    on new data of type Frame in frames as f {
        sh("sleep 0.02");
        record { total: sum(f) } in seen;
    }
}
"""


def case_replay_killed(xdmlc, tmp):
    """kill -9 in the middle of a run, then a replay: the report says first that the original
    never finished, before any divergence."""
    flow = os.path.join(tmp, "k.xdml")
    open(flow, "w").write(KILLED_FLOW)
    work = os.path.join(tmp, "w")
    proc = subprocess.Popen([xdmlc, "run", flow, "--workdir", work, "--no-jit", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        db = os.path.join(work, "seen.db")
        wait_for(lambda: query(db, "SELECT count(*) FROM seen")[0][0] >= 20, 60, "20 records")
    finally:
        stop(proc, signal.SIGKILL)
    r = subprocess.run([xdmlc, "replay", "--workdir", work, "--quiet", "--no-jit"], capture_output=True, text=True,
                       timeout=300)
    check(r.returncode in (0, 1), f"the replay exited {r.returncode}: {r.stdout}{r.stderr}")
    first = r.stdout.splitlines()[0] if r.stdout else ""
    check(first.startswith("note: run 1 is incomplete: it ended without finishing (its process"),
          f"the report starts by saying the original is incomplete: {r.stdout[:600]}")
    check("DIVERGED" in r.stdout or "reproduced" in r.stdout, f"the comparison follows: {r.stdout[:600]}")
    j = subprocess.run([xdmlc, "replay", "--workdir", work, "--run", "1", "--json", "--no-jit"], capture_output=True,
                       text=True, timeout=300)
    import json
    report = json.loads(j.stdout)
    check(report["original_status"] == "incomplete" and "incomplete" in report["original_unfinished"],
          f"--json gives the original's status: {report.get('original_status')}")


CASES["replay_killed"] = case_replay_killed
