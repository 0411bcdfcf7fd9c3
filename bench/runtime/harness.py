"""harness.py — running `xdmlc run` for the runtime benchmark: a flow copied into a scratch
folder with its sizes set, the run's counters (--stats-json) and its provenance database."""
import heapq
import json
import os
import re
import signal
import sqlite3
import struct
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class BenchError(Exception):
    """A run that did not do what the figure needs (it failed, hung or lost its records)."""


def flow_copy(name, scratch, consts=None, replace=None, copy_name=None):
    """bench/runtime/NAME copied into `scratch` (as `copy_name`, default NAME), with
    `const K: T = ...;` set from `consts` and literal text swapped from `replace`. The copy is
    what runs, so nothing a run makes lands in the source tree."""
    text = open(os.path.join(HERE, name)).read()
    for key, value in (consts or {}).items():
        text, n = re.subn(rf"^const {key}(: \w+)? = [^;]+;", lambda m: f"const {key}{m.group(1) or ''} = {value};",
                          text, flags=re.M)
        if n != 1:
            raise BenchError(f"{name}: no 'const {key}' to set")
    for old, new in (replace or {}).items():
        if old not in text:
            raise BenchError(f"{name}: no '{old}' to replace")
        text = text.replace(old, new)
    path = os.path.join(scratch, copy_name or name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_args(xdmlc, flow, workdir, stats, extra=()):
    return [xdmlc, "run", flow, "--workdir", workdir, "--stats-json", stats, "--quiet", *extra]


def run_flow(xdmlc, flow, workdir, extra=(), timeout=900):
    """Runs a finite flow to its end; returns its counters. Raises BenchError on failure."""
    stats = workdir + ".stats.json"
    r = subprocess.run(run_args(xdmlc, flow, workdir, stats, extra), capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise BenchError(f"xdmlc run {os.path.basename(flow)} exited {r.returncode}: {last_error(r.stderr + r.stdout)}")
    return read_stats(stats)


def read_stats(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise BenchError(f"no counters in {path}: {e}")


def last_error(text):
    """The first line that says what went wrong, shortened for a table cell."""
    lines = [l for l in text.splitlines() if "error" in l] or text.strip().splitlines()[-1:] or ["(no output)"]
    line = lines[0].strip()
    return line if len(line) <= 300 else line[:300] + "..."


class Background:
    """`xdmlc run` of an endless flow, started now, stopped by stop() with SIGINT."""

    def __init__(self, xdmlc, flow, workdir, extra=(), launch=(), env=None):
        """`launch`: the launcher's words before xdmlc (mpirun -n 2), with its environment."""
        self.workdir = workdir
        self.stats = workdir + ".stats.json"
        self.out = open(workdir + ".out", "w+")
        self.proc = subprocess.Popen([*launch, *run_args(xdmlc, flow, workdir, self.stats, extra)], stdout=self.out,
                                     stderr=subprocess.STDOUT, text=True, env=env)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise BenchError(f"xdmlc run exited early ({self.proc.returncode}): {self.output()}")

    def output(self):
        self.out.flush()
        self.out.seek(0)
        return last_error(self.out.read())

    def stop(self, timeout=600):
        """SIGINT (sources stop, work under way finishes); returns the counters. A run that
        does not exit 0 is a BenchError."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise BenchError(f"xdmlc run did not exit within {timeout} s of SIGINT")
        if self.proc.returncode != 0:
            raise BenchError(f"xdmlc run exited {self.proc.returncode} after SIGINT: {self.output()}")
        return read_stats(self.stats)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def query(db, sql, args=()):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def wait_for(cond, seconds, what, run=None):
    end = time.time() + seconds
    while time.time() < end:
        if run:
            run.check_alive()
        try:
            if cond():
                return
        except sqlite3.Error:
            pass  # the database or its tables may not exist yet
        time.sleep(0.02)
    raise BenchError("timed out waiting for " + what)


def npy_bytes(values):
    """A .npy file (format 1.0) of little-endian f32s of shape (len(values),), written by hand."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % len(values)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"  # the whole header: a multiple of 64 bytes
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(f"<{len(values)}f", *values)


def percentile(values, p):
    """The p-th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def feed(sockets, rates, seconds, frame, hold):
    """Frames on ZeroMQ sockets at fixed rates (frames/s per socket name) for `seconds`;
    `frame(name, n)` gives the n-th frame's bytes. A frame a socket does not take (the run's
    queues are full) is shed (`hold` false: the rate stays fixed) or held back and offered again
    1 ms later (`hold` true: never dropped, the source is slowed). Returns the frames sent and
    the frames shed or held back, per socket."""
    import zmq
    sent, refused = {n: 0 for n in rates}, {n: 0 for n in rates}
    start = time.perf_counter()
    due = [(0.0, name) for name in rates]
    heapq.heapify(due)
    while due:
        at, name = heapq.heappop(due)
        if at >= seconds:
            continue
        left = start + at - time.perf_counter()
        if left > 0:
            time.sleep(left)
        try:
            sockets[name].send(frame(name, sent[name]), zmq.NOBLOCK)
            sent[name] += 1
        except zmq.Again:
            refused[name] += 1
            if hold:
                heapq.heappush(due, (time.perf_counter() - start + 0.001, name))
                continue
        heapq.heappush(due, (at + 1.0 / rates[name], name))
    return sent, refused
