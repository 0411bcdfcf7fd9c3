"""What lands where a flow reads files is not always a file: a directory, a link to one, a FIFO,
a name with a newline in it. Only regular files are read; anything else is one message naming
the file and what it is, the stream goes on, nothing hangs, and one Ctrl-C still ends a run."""
import os
import signal
import subprocess
import time

from faultlib import Failure, check, stop
from run_runtime import npy_bytes, query, run, wait_for

CASES = {}

WATCHED = """
type Frame = tensor<f32>[4];
stream landed: Frame from watch("in", "*.npy");
catalog seen: { name: string, total: float } at "seen.db";
flow main { on new data of type Frame in landed as f { record { name: "frame", total: sum(f) } in seen; } }
"""


def write_flow(tmp, text, name="f.xdml"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def start_watching(xdmlc, tmp):
    """A run watching work/in, started and ready (its run row exists, the watch is set up)."""
    flow = write_flow(tmp, WATCHED)
    work = os.path.join(tmp, "w")
    os.makedirs(os.path.join(work, "in"))
    proc = subprocess.Popen([xdmlc, "run", flow, "--workdir", work], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    prov = os.path.join(work, "provenance.db")
    wait_for(lambda: query(prov, "SELECT count(*) FROM runs WHERE status = 'running'")[0][0] >= 1, 30,
             "the run to start")
    time.sleep(0.3)  # the watch is set up right after the run row
    return proc, work


def land(work, name, make):
    """Makes an entry outside the watched folder with `make(path)`, then renames it in."""
    outside = os.path.join(work, "." + name + ".tmp")
    make(outside)
    os.rename(outside, os.path.join(work, "in", name))


def write_frame(values):
    def make(path):
        with open(path, "wb") as f:
            f.write(npy_bytes(values, (4,)))
    return make


def seen_rows(work):
    return query(os.path.join(work, "seen.db"), "SELECT count(*) FROM seen")[0][0]


def interrupt(proc, seconds=10):
    """One SIGINT; the run must end by itself within `seconds` (a second one would force it)."""
    proc.send_signal(signal.SIGINT)
    start = time.time()
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise Failure(f"one SIGINT did not end the run within {seconds} s")
    return out, err, time.time() - start


def case_watch_odd_entries(xdmlc, tmp):
    """A link to a directory, a directory and a FIFO land as *.npy, then a good frame: the frame
    is read, each odd entry that is an item is one message, the run goes on and stops on SIGINT."""
    proc, work = start_watching(xdmlc, tmp)
    try:
        target = os.path.join(work, "elsewhere")
        os.makedirs(target)
        land(work, "link.npy", lambda p: os.symlink(target, p))
        land(work, "dir.npy", os.makedirs)
        land(work, "fifo.npy", os.mkfifo)
        land(work, "good.npy", write_frame([1.0, 2.0, 3.0, 4.0]))
        wait_for(lambda: seen_rows(work) >= 1, 30, "the good frame after the odd entries")
        check(proc.poll() is None, f"the run ended (exit {proc.returncode}) instead of going on")
        land(work, "later.npy", write_frame([1.0] * 4))
        wait_for(lambda: seen_rows(work) >= 2, 30, "a frame landing after them")
        out, err, _ = interrupt(proc)
    finally:
        stop(proc)
    check(proc.returncode == 0, f"exit {proc.returncode}: {out}{err}")
    check("link.npy: is a directory, not a regular file" in err, "the link to a directory is named: " + err)
    check("fifo.npy: is a FIFO (named pipe), not a regular file" in err, "the FIFO is named: " + err)
    check("std::bad_alloc" not in err, err)
    check(query(os.path.join(work, "seen.db"), "SELECT total FROM seen ORDER BY total") == [(4.0,), (10.0,)],
          "both good frames are recorded")


def case_watch_interrupt(xdmlc, tmp):
    """A FIFO lands in a watched folder while a run waits for files: one SIGINT ends the run
    promptly, with status 0 and the run recorded as stopped."""
    proc, work = start_watching(xdmlc, tmp)
    try:
        land(work, "x.npy", os.mkfifo)
        land(work, "y.npy", write_frame([1.0] * 4))
        wait_for(lambda: seen_rows(work) >= 1, 30, "the frame after the FIFO (a blocked stream never reads it)")
        out, err, took = interrupt(proc)
    finally:
        stop(proc)
    check(proc.returncode == 0, f"exit {proc.returncode} after one SIGINT: {out}{err}")
    check(took < 5, f"the run took {took:.1f} s to end after SIGINT")
    check(query(os.path.join(work, "provenance.db"), "SELECT status FROM runs") == [("stopped",)],
          "the run is recorded as stopped")


FILES = """
type Frame = tensor<f32>[4];
stream disk: Frame from files("in/*.npy");
catalog seen: { total: float } at "seen.db";
flow main { on new data of type Frame in disk as f { record { total: sum(f) } in seen; } }
"""


def case_files_odd_entries(xdmlc, tmp):
    """files() matching a link to a directory, a FIFO and a folder among good files: the FIFO is
    one message, the folder and the link to a folder are no items (`data/*` skips subfolders), every good file is read, the run ends by
    itself (a FIFO once made it wait forever). An entry replaced by a directory between the
    listing and its reading is test_data_file.cpp's (a run cannot time that reliably)."""
    flow = write_flow(tmp, FILES)
    work = os.path.join(tmp, "w")
    folder = os.path.join(work, "in")
    os.makedirs(os.path.join(folder, "d_folder.npy"))
    os.makedirs(os.path.join(work, "elsewhere"))
    os.symlink(os.path.join(work, "elsewhere"), os.path.join(folder, "b_link.npy"))
    os.mkfifo(os.path.join(folder, "c_fifo.npy"))
    for name, value in (("a.npy", 1.0), ("e.npy", 2.0)):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(npy_bytes([value] * 4, (4,)))
    r = run(xdmlc, [flow, "--workdir", work], timeout=60)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    check("b_link.npy" not in r.stderr, "a link to a folder is no item: " + r.stderr)
    check("c_fifo.npy: is a FIFO (named pipe), not a regular file" in r.stderr, "the FIFO is named: " + r.stderr)
    check("d_folder.npy" not in r.stderr, "a folder is no item: " + r.stderr)
    totals = query(os.path.join(work, "seen.db"), "SELECT total FROM seen ORDER BY total")
    check(totals == [(4.0,), (8.0,)], f"both good files are read: {totals}")


READ_DIRECTORY = """
import std.io;
type Frame = tensor<f32>[4];
flow main {
    log "before";
    let t = read("data.npy", Frame);
    log "after {sum(t)}";
}
"""


def case_read_directory(xdmlc, tmp):
    """read() of a directory in a flow: the path and the problem at the statement's line."""
    flow = write_flow(tmp, READ_DIRECTORY)
    work = os.path.join(tmp, "w")
    os.makedirs(os.path.join(work, "data.npy"))
    r = run(xdmlc, [flow, "--workdir", work], timeout=60)
    err = r.stderr
    check("bad_alloc" not in err, err)
    check(f"{flow}:6:" in err and "data.npy: is a directory, not a regular file" in err,
          "the error names the file, the problem and line 6: " + err)
    check("after" not in r.stdout, "the flow stopped at the failed read: " + r.stdout)
    # A FIFO is refused at once, not waited on.
    os.rmdir(os.path.join(work, "data.npy"))
    os.mkfifo(os.path.join(work, "data.npy"))
    r = run(xdmlc, [flow, "--workdir", work], timeout=30)
    check(f"{flow}:6:" in r.stderr and "data.npy: is a FIFO" in r.stderr, r.stderr)


def case_name_with_newline(xdmlc, tmp):
    """A malformed file whose name holds a newline and an escape sequence: its message is one
    line, with the name escaped, and no line is forged."""
    flow = write_flow(tmp, FILES)
    work = os.path.join(tmp, "w")
    os.makedirs(os.path.join(work, "in"))
    forged = "a\nxdmlc: all files read, 0 errors\x1b[2K.npy"
    with open(os.path.join(work, "in", forged), "wb") as f:
        f.write(b"not an npy file")
    with open(os.path.join(work, "in", "b.npy"), "wb") as f:
        f.write(npy_bytes([1.0] * 4, (4,)))
    r = run(xdmlc, [flow, "--workdir", work], timeout=60)
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    lines = [line for line in r.stderr.splitlines() if "all files read" in line]
    check(len(lines) == 1 and "a\\nxdmlc: all files read, 0 errors\\x1b[2K.npy: not an .npy file" in lines[0],
          "one line names the file, escaped: " + repr(r.stderr))
    check(not any(line.startswith("xdmlc: all files read") for line in r.stderr.splitlines()), "no forged line")
    check("\x1b" not in r.stderr, "no raw escape character reaches the terminal")
    check(query(os.path.join(work, "seen.db"), "SELECT count(*) FROM seen")[0][0] == 1, "the good file is read")


CASES["watch_odd_entries"] = case_watch_odd_entries
CASES["watch_interrupt"] = case_watch_interrupt
CASES["files_odd_entries"] = case_files_odd_entries
CASES["read_directory"] = case_read_directory
CASES["name_with_newline"] = case_name_with_newline
