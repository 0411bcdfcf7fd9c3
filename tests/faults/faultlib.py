"""What the fault cases share: a small tmpfs for a full disk, and a process stopped by PID."""
import contextlib
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime"))
from run_runtime import Failure, check  # noqa: E402,F401

# CTest's SKIP_RETURN_CODE for these tests: a case that cannot run here says why and is reported
# as skipped, never as passed.
SKIP = 77


@contextlib.contextmanager
def small_tmpfs(path, size="2m"):
    """A tmpfs of `size` mounted at `path` for the with-block (needs root and the right to mount;
    skips with a message otherwise, as the test cannot make a disk full without it)."""
    if os.geteuid() != 0:
        print(f"skipped: mounting a {size} tmpfs to fill the disk needs root")
        sys.exit(SKIP)
    os.makedirs(path, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], capture_output=True, text=True)
    if mounted.returncode != 0:  # root in a container without CAP_SYS_ADMIN
        print(f"skipped: cannot mount a {size} tmpfs to fill the disk: {mounted.stderr.strip()}")
        sys.exit(SKIP)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path], check=False)


def stop(proc, sig=signal.SIGKILL):
    """Signals a started process by its PID and reaps it (no process outlives its case)."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise Failure(f"pid {proc.pid} did not end within 30 s of signal {sig}")


def sanitized(xdmlc):
    """Whether `xdmlc` is built with AddressSanitizer (scripts/test.sh --sanitize): a case whose
    load is its point runs smaller there, and says so."""
    with open(xdmlc, "rb") as binary:
        return b"__asan_init" in binary.read()
