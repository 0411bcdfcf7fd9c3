"""A throw-away single-host Slurm for the tests: its own munged, one slurmctld and two slurmd.

    with SlurmCluster() as cluster:
        subprocess.run(["sbatch", ...], env=cluster.env)   # env carries SLURM_CONF

Everything lives in a fresh temp dir (config, munge key and socket, state, spool, logs, pids);
nothing touches the system's munge or /etc/slurm, and every daemon listens on 127.0.0.1 on ports
chosen at run time. On exit (normal, exception or SIGTERM/SIGINT) each process started here is
stopped by its PID (SIGTERM, then SIGKILL after a bound) and the temp dir is removed. A missing
binary raises ClusterUnavailable naming the Debian package: the tests fail, never skip.

What a working config on one host needs (found by reading slurmctld/slurmd logs; Slurm 22.05.8):
- Two NodeNames (n1, n2) with NodeHostname=<this host>, NodeAddr=127.0.0.1 and distinct Port=,
  each slurmd started with `-N name`: a heterogeneous job's components need distinct nodes, so
  with one node it stays PENDING forever.
- TmpFS and SlurmdSpoolDir with %n: each slurmd its own. PMIx puts its server directory under
  TmpFS, and two slurmd sharing one directory fail the second step's PMIx setup.
- SelectType=select/cons_tres, ProctrackType=proctrack/linuxproc, TaskPlugin=task/none: no
  cgroups (a container has no writable cgroup tree).
- Hetjobs are scheduled only by the backfill scheduler, every bf_interval (30 s by default):
  SchedulerParameters=bf_interval=1 brings sbatch-to-first-task down to about a second or two.
- AuthInfo=socket=<our munged's socket> serves both auth/munge and cred/munge: with it, slurmctld,
  slurmd and the clients all use our munged and its key.
- PlugStackConfig points at an empty file: Debian's /etc/slurm/plugstack.conf is not ours.
- Both nodes claim the machine's CPUs (CPUs=nproc): they oversubscribe the same cores, which is
  what a test cluster on a 2-core box wants.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# Each binary the cluster runs, and the Debian package that installs it.
BINARIES = {"munged": "munge", "mungekey": "munge", "slurmctld": "slurmctld", "slurmd": "slurmd",
            "sinfo": "slurm-client", "sbatch": "slurm-client", "srun": "slurm-client",
            "scontrol": "slurm-client", "squeue": "slurm-client", "scancel": "slurm-client"}
NODES = ("n1", "n2")
READY_SECONDS = 20
STOP_SECONDS = 5


class ClusterUnavailable(RuntimeError):
    """The test Slurm could not start: names the missing package or quotes the daemon's log."""


def find_binary(name):
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                       if os.access(p, os.X_OK)), None)
    if path is None:
        raise ClusterUnavailable(f"{name} is not installed: apt-get install {BINARIES[name]} "
                                 "(scripts/install-deps.sh installs it)")
    return path


def free_ports(count):
    """Ports free on 127.0.0.1 now (held together so they differ; a small race is accepted)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def slurm_conf(d, host, ports, cpus):
    ctld_port, node_ports = ports[0], ports[1:]
    lines = [
        "ClusterName=xdmltest",
        f"SlurmctldHost={host}(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={node_ports[0]}",
        "SlurmUser=root", "SlurmdUser=root",
        "AuthType=auth/munge", "CredType=cred/munge",
        f"AuthInfo=socket={d}/munge/munge.socket",
        f"StateSaveLocation={d}/state",
        f"SlurmdSpoolDir={d}/spool/%n",
        f"TmpFS={d}/tmpfs/%n",
        f"SlurmctldPidFile={d}/run/slurmctld.pid",
        f"SlurmdPidFile={d}/run/slurmd-%n.pid",
        f"SlurmctldLogFile={d}/log/slurmctld.log",
        f"SlurmdLogFile={d}/log/slurmd-%n.log",
        "SlurmctldDebug=info", "SlurmdDebug=info",
        f"PlugStackConfig={d}/plugstack.conf",
        "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core",
        "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
        "SchedulerType=sched/backfill", "SchedulerParameters=bf_interval=1",
        "MpiDefault=none", "ReturnToService=2", "KillWait=5",
    ]
    for name, port in zip(NODES, node_ports):
        lines.append(f"NodeName={name} NodeHostname={host} NodeAddr=127.0.0.1 Port={port} "
                     f"CPUs={cpus} State=UNKNOWN")
    lines.append(f"PartitionName=debug Nodes={','.join(NODES)} Default=YES MaxTime=INFINITE State=UP")
    return "\n".join(lines) + "\n"


def step_daemons(d):
    """PIDs of processes holding a file under `d` open: the slurmstepd our slurmd started (they
    detach from slurmd, so they are not our children, but they keep slurmd's log open)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith(d + "/") for fd in fds):
                pids.append(int(pid))
        except OSError:
            continue
    return [p for p in pids if p != os.getpid()]


def clients(conf):
    """PIDs of processes whose environment names our slurm.conf: an srun whose batch shell has
    gone (a hung srun outlives the job it ran in, reparented to init) is no child of ours and
    holds no file in the temp dir."""
    mark = f"SLURM_CONF={conf}".encode()
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:
            continue
    return [p for p in pids if p != os.getpid()]


def stop_pids(pids):
    """SIGTERM, then SIGKILL to the ones still there after STOP_SECONDS."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_SECONDS
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if alive(p)]
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def alive(pid):
    """Running and not a zombie (a detached slurmstepd's zombie waits for init to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class SlurmCluster:
    """The test Slurm as a context manager; `env` is the environment its clients need."""

    def __init__(self, cpus=None):
        self.cpus = cpus or os.cpu_count() or 2
        self.dir = None
        self.conf = None
        self.procs = []  # (name, Popen), in start order
        self.env = None
        self._old_handlers = {}

    def __enter__(self):
        self._install_signal_handlers()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- starting --------------------------------------------------------------------------
    def _start(self):
        bins = {name: find_binary(name) for name in BINARIES}
        self.dir = tempfile.mkdtemp(prefix="xdml-slurm-")
        d = self.dir
        for sub in ["munge", "state", "run", "log", "jobs"] + [f"spool/{n}" for n in NODES] + \
                [f"tmpfs/{n}" for n in NODES]:
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        # munged refuses a socket directory (or a parent) that others cannot traverse.
        os.chmod(d, 0o755)
        os.chmod(os.path.join(d, "munge"), 0o755)
        self.host = socket.gethostname()
        self.conf = os.path.join(d, "slurm.conf")
        with open(self.conf, "w") as f:
            f.write(slurm_conf(d, self.host, free_ports(1 + len(NODES)), self.cpus))
        open(os.path.join(d, "plugstack.conf"), "w").close()
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        if self.env.get("ASAN_OPTIONS"):  # MPI jobs: as run_runtime.without_leak_checks says
            self.env["ASAN_OPTIONS"] += ":detect_leaks=0"
        self._start_munge(bins)
        self._spawn("slurmctld", [bins["slurmctld"], "-D", "-i", "-f", self.conf])
        for n in NODES:
            self._spawn(f"slurmd-{n}", [bins["slurmd"], "-D", "-N", n, "-f", self.conf])
        self._wait_idle()

    def _start_munge(self, bins):
        m = os.path.join(self.dir, "munge")
        key = os.path.join(m, "munge.key")
        subprocess.run([bins["mungekey"], "--create", f"--keyfile={key}"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sock = os.path.join(m, "munge.socket")
        self._spawn("munged", [bins["munged"], "--foreground", f"--socket={sock}",
                               f"--key-file={key}", f"--pid-file={m}/munged.pid",
                               f"--log-file={self.dir}/log/munged.log", f"--seed-file={m}/munged.seed"])
        self._wait(lambda: os.path.exists(sock), "munged did not create its socket", "munged")

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, "log", f"{name}.out"), "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=self.env, start_new_session=True)
        log.close()
        self.procs.append((name, proc))

    def _wait(self, ready, problem, *logs):
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise ClusterUnavailable(f"{name} exited with {proc.returncode}\n{self.logs(name)}")
            if ready():
                return
            time.sleep(0.2)
        raise ClusterUnavailable(f"{problem} within {READY_SECONDS} s\n{self.logs(*logs)}")

    def _wait_idle(self):
        def both_idle():
            r = subprocess.run(["sinfo", "-h", "-N", "-o", "%N %t"], env=self.env, text=True,
                               capture_output=True, timeout=10)
            states = dict(line.split() for line in r.stdout.splitlines() if line.strip())
            return all(states.get(n) == "idle" for n in NODES)
        self._wait(both_idle, "the nodes did not become idle", "slurmctld", "slurmd-n1", "slurmd-n2")

    # -- using -----------------------------------------------------------------------------
    def logs(self, *names):
        """The tail of each named daemon's log (slurmctld, slurmd-n1, munged, ...)."""
        out = []
        for name in names or [n for n, _ in self.procs]:
            for path in (os.path.join(self.dir, "log", f"{name}.log"),
                         os.path.join(self.dir, "log", f"{name}.out")):
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        tail = f.read()[-3000:]
                    out.append(f"--- {os.path.basename(path)} ---\n{tail}")
        return "\n".join(out)

    def wait_job(self, job_id, seconds):
        """Waits until the job leaves the queue; returns False when it is still there at the bound."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            r = subprocess.run(["squeue", "-h", "-j", str(job_id), "-o", "%T"], env=self.env,
                               text=True, capture_output=True, timeout=10)
            if r.returncode == 0 and not r.stdout.strip():
                return True
            if r.returncode != 0 and "Invalid job id" in r.stderr:
                return True
            time.sleep(0.2)
        return False

    def job_state(self, job_id):
        r = subprocess.run(["scontrol", "show", "job", str(job_id)], env=self.env, text=True,
                           capture_output=True, timeout=10)
        return r.stdout + r.stderr

    # -- stopping --------------------------------------------------------------------------
    def cancel(self, job_id=None):
        """scancel one job (every job when None), and wait (bounded) until it has left the
        queue, so its steps end cleanly."""
        which = [str(job_id)] if job_id is not None else ["--partition=debug"]
        try:
            subprocess.run(["scancel", *which], env=self.env, capture_output=True, timeout=10)
            deadline = time.monotonic() + STOP_SECONDS
            while time.monotonic() < deadline:
                r = subprocess.run(["squeue", "-h", *(["-j", str(job_id)] if job_id is not None else [])],
                                   env=self.env, capture_output=True, text=True, timeout=10)
                if r.returncode != 0 or not r.stdout.strip():
                    return
                time.sleep(0.2)
        except (OSError, subprocess.SubprocessError):
            pass  # the daemons are stopped by PID at the end whatever happened here

    def _install_signal_handlers(self):
        def on_signal(signum, _frame):
            self.stop()
            raise SystemExit(128 + signum)
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._old_handlers[sig] = signal.signal(sig, on_signal)

    def stop(self):
        """Cancels what still runs, stops every daemon by its PID (reverse start order), then the
        job step daemons and the clients (srun) left behind, then removes the temp dir."""
        if self.dir and self.procs:
            self.cancel()
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for _, proc in reversed(self.procs):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []
        if self.dir:
            stop_pids(sorted(set(step_daemons(self.dir)) | set(clients(self.conf) if self.conf else ())))
        if self.dir and os.environ.get("XDML_KEEP_SLURM_DIR") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._old_handlers = {}
