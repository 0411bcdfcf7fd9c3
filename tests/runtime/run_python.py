#!/usr/bin/env python3
"""Python tasks (LANGUAGE.md §9, docs/python.md) through `xdmlc run`: every value kind both ways,
results of the wrong type or shape, exceptions with their Python line, a crashing worker and its
replacement, retries, a slow function under a deadline, print output in the run's log, a module
edited between two runs seen by `prov diff` and `replay`, Ctrl-C leaving no Python process, and
the example (examples/peaks.xdml). Usage: run_python.py --xdmlc X CASE."""
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_runtime import check, main, query, run, start_running, wait_for  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(path, text):
    with open(path, "w") as f:
        f.write(textwrap.dedent(text).lstrip())


def one_item_flow(decls, body, extra=""):
    """A flow that runs `body` once, for the one item `i` (0) of stream `one`."""
    return "import std.io;\n" + decls + "\nfn ident(i: int) -> int = i;\nstream one: int from generate(ident, 1);\n" + extra + \
        "flow main {\n    on new data of type int in one as i {\n" + textwrap.indent(textwrap.dedent(body), "        ") + "    }\n}\n"


def handlers_flow(decls, bodies):
    """A flow with one handler per body on the one item `i` of stream `one`: each runs (and
    fails) on its own."""
    handlers = "".join("    on new data of type int in one as i {\n" + textwrap.indent(textwrap.dedent(b), "        ") + "    }\n"
                       for b in bodies)
    return "import std.io;\n" + decls + "\nfn ident(i: int) -> int = i;\nstream one: int from generate(ident, 1);\n" + \
        "flow main {\n" + handlers + "}\n"


def xdmlc_run(xdmlc, tmp, flow_text, *args, name="flow.xdml", code=0, work="work"):
    flow = os.path.join(tmp, name)
    write(flow, flow_text)
    r = run(xdmlc, [flow, "--workdir", os.path.join(tmp, work), *args], cwd=tmp)
    check(r.returncode == code, f"exit {r.returncode}, wanted {code}:\n{r.stdout}\n{r.stderr}")
    return r


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes only once reaped by its parent; ours are reaped by xdmlc.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


KINDS_PY = """
import numpy as np

def describe(x):
    if isinstance(x, np.ndarray):
        return "%s %s %s" % (x.dtype.name, x.shape, "ro" if not x.flags.writeable else "rw")
    if isinstance(x, dict):
        return "{" + ", ".join("%s: %s" % (k, describe(v)) for k, v in x.items()) + "}"
    if isinstance(x, list):
        return "[" + ", ".join(describe(v) for v in x) + "]"
    return "%s %r" % (type(x).__name__, x)

def plus_one(x):
    if isinstance(x, np.ndarray):
        return x + np.ones(1, dtype=x.dtype) if x.dtype != bool else ~x
    if isinstance(x, bool):
        return not x
    if isinstance(x, (int, float)):
        return x + 1
    if isinstance(x, str):
        return x + "!"
    if isinstance(x, list):
        return [plus_one(v) for v in x]
    if isinstance(x, dict):
        return {k: plus_one(v) for k, v in x.items()}
    if x is None:
        return None
    raise TypeError(type(x).__name__)

def as_list(n):
    return [[float(i * 3 + j) for j in range(3)] for i in range(n)]

def numpy_scalars(x):
    import enum
    Level = enum.IntEnum("Level", "LOW HIGH")
    return {"i": np.int32(x), "f": np.float32(0.5), "b": np.bool_(True), "g": np.float64(1.25), "s": np.str_("x"),
            "e": Level.HIGH, "m": np.ones(4).mean()}

def odd_shape(n):
    return np.zeros((n, n + 1), dtype=np.float32)
"""

ELEMS = ["f32", "f64", "i16", "i32", "i64", "u8", "u16", "u32", "bool"]
DTYPES = {"f32": "float32", "f64": "float64", "i16": "int16", "i32": "int32", "i64": "int64", "u8": "uint8",
          "u16": "uint16", "u32": "uint32", "bool": "bool"}


def case_value_kinds(xdmlc, tmp):
    """Every value kind crosses both ways: what Python receives (describe) and what comes back
    (plus_one, checked by the declared type and written out as JSON)."""
    write(os.path.join(tmp, "kinds.py"), KINDS_PY)
    kinds = {
        "int": ("int", "41"), "float": ("float", "1.5"), "f32": ("f32", "2.5"), "bool": ("bool", "true"),
        "string": ("string", '"héllo"'), "path": ("path", '"a/b.txt"'),
        "duration": ("duration", "1500ms"), "bytes": ("bytes", "2KiB"), "bandwidth": ("bandwidth", "8Mbps"),
        "record": ("{ a: int, b: list<float>, c: { d: string } }", '{ a: 1, b: [0.5, 1.5], c: { d: "x" } }'),
        "list": ("list<list<int>>", "[[1, 2], [], [3]]"),
        "optional": ("int?", "none"),
        "big": ("int", "5000000000"),
        "negative": ("int", "-5000000000"),
    }
    decls, body = "", ""
    for e in ELEMS:
        decls += f"type T_{e} = tensor<{e}>[2, 3];\n"
        kinds["t_" + e] = (f"tensor<{e}>[2, 3]", f"zeros(T_{e})")
    decls += "type Four = tensor<f32>[4, 3];\ntype Small = tensor<u16>[2, 2];\ntype Noisy = tensor<f32>[64, 32];\n"
    kinds["t_dyn"] = ("tensor<f32>[?, 3]", "zeros(Four)")
    kinds["t_nested"] = ("{ frames: list<tensor<u16>[2, 2]>, n: int }", "{ frames: [zeros(Small), zeros(Small)], n: 2 }")
    for name, (t, value) in kinds.items():
        decls += f'task d_{name}(x: {t}) -> string = python "kinds:describe";\n'
        decls += f'task p_{name}(x: {t}) -> {t} = python "kinds:plus_one";\n'
        body += f'let v_{name}: {t} = {value};\nwrite("{name}.in.txt", d_{name}(v_{name}));\nwrite("{name}.out.json", {{ v: p_{name}(v_{name}) }});\n'
    decls += 'task as_list(n: int) -> tensor<f64>[?, 3] = python "kinds:as_list";\n'
    decls += 'task scalars(x: int) -> { i: int, f: f32, b: bool, g: float, s: string, e: int, m: float } = python "kinds:numpy_scalars";\n'
    body += 'write("as_list.json", as_list(2));\nwrite("scalars.json", scalars(7));\n'
    # Elements survive both ways: a noise frame's sum, and the sum of what came back.
    decls += 'task noisy(x: tensor<f32>[64, 32]) -> tensor<f32>[64, 32] = python "kinds:plus_one";\n'
    body += 'let frame = noise(Noisy, 3);\nwrite("noise.json", [sum(frame), sum(noisy(frame))]);\n'
    xdmlc_run(xdmlc, tmp, one_item_flow(decls, body), "--quiet")
    out = os.path.join(tmp, "work")

    def got_in(name):
        return open(os.path.join(out, name + ".in.txt")).read()

    def got_out(name):
        return json.load(open(os.path.join(out, name + ".out.json")))["v"]

    want_in = {"int": "int 41", "float": "float 1.5", "f32": "float 2.5", "bool": "bool True", "string": "str 'héllo'",
               "path": "str 'a/b.txt'", "duration": "float 1.5", "bytes": "int 2048", "bandwidth": "float 1000000.0",
               "record": "{a: int 1, b: [float 0.5, float 1.5], c: {d: str 'x'}}", "list": "[[int 1, int 2], [], [int 3]]",
               "optional": "NoneType None", "big": "int 5000000000", "negative": "int -5000000000",
               "t_dyn": "float32 (4, 3) ro", "t_nested": "{frames: [uint16 (2, 2) ro, uint16 (2, 2) ro], n: int 2}"}
    for e in ELEMS:
        want_in["t_" + e] = f"{DTYPES[e]} (2, 3) ro"
    for name, want in want_in.items():
        check(got_in(name) == want, f"{name}: Python received {got_in(name)!r}, wanted {want!r}")
    want_out = {"int": 42, "float": 2.5, "f32": 3.5, "bool": False, "string": "héllo!", "path": "a/b.txt!",
                "duration": "2.5s", "bytes": "2.049KB", "bandwidth": None, "record": {"a": 2, "b": [1.5, 2.5], "c": {"d": "x!"}},
                "list": [[2, 3], [], [4]], "optional": None, "big": 5000000001, "negative": -4999999999,
                "t_dyn": [[1.0] * 3] * 4, "t_nested": {"frames": [[[1, 1], [1, 1]], [[1, 1], [1, 1]]], "n": 3}}
    for e in ELEMS:
        want_out["t_" + e] = [[1] * 3] * 2 if e != "bool" else [[True] * 3] * 2
    for name, want in want_out.items():
        if want is None:
            continue
        check(got_out(name) == want, f"{name}: came back as {got_out(name)!r}, wanted {want!r}")
    bw = got_out("bandwidth")
    check(isinstance(bw, str) and bw.endswith("/s") or "bps" in str(bw), f"bandwidth came back as {bw!r}")
    before, after = json.load(open(os.path.join(out, "noise.json")))
    check(abs(after - (before + 64 * 32)) < 1e-2, f"noise frame sums {before} and {after}")
    check(json.load(open(os.path.join(out, "as_list.json"))) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "a nested list as a tensor")
    got = json.load(open(os.path.join(out, "scalars.json")))
    check(got == {"i": 7, "f": 0.5, "b": True, "g": 1.25, "s": "x", "e": 2, "m": 1.0}, f"NumPy scalars and subclasses: {got}")


WRONG_PY = """
import numpy as np

def text(x):
    return "not a number"

def f64(n):
    return np.zeros((2, 3), dtype=np.float64)

def shape(n):
    return np.zeros((2, 4), dtype=np.float32)

def missing(n):
    return {"a": 1}

def extra(n):
    return {"a": 1, "b": 2.0, "c": 3}

def ragged(n):
    return [[1.0, 2.0, 3.0], [4.0]]

def obj(n):
    return object()

def huge(n):
    return 2 ** 70

def ok(n):
    return n + 1
"""


def case_wrong_result(xdmlc, tmp):
    """A result that does not fit the declared type fails its call, naming the place and both
    types; the run goes on and the other calls succeed."""
    write(os.path.join(tmp, "wrong.py"), WRONG_PY)
    decls = """
task text(x: int) -> int = python "wrong:text";
task f64(x: int) -> tensor<f32>[2, 3] = python "wrong:f64";
task shape(x: int) -> tensor<f32>[2, 3] = python "wrong:shape";
task missing(x: int) -> { a: int, b: float } = python "wrong:missing";
task extra(x: int) -> { a: int, b: float } = python "wrong:extra";
task ragged(x: int) -> tensor<f32>[?, 3] = python "wrong:ragged";
task obj(x: int) -> int = python "wrong:obj";
task huge(x: int) -> int = python "wrong:huge";
task ok(x: int) -> int = python "wrong:ok";
"""
    calls = ["text", "f64", "shape", "missing", "extra", "ragged", "obj", "huge"]
    bodies = [f"{c}(i);\n" for c in calls] + ['write("ok.json", ok(i));\n']
    r = xdmlc_run(xdmlc, tmp, handlers_flow(decls, bodies), code=1)
    err = r.stderr
    for what in ["result: a str where int is declared",
                 "result: a NumPy array of dtype float64 where tensor<f32>[2, 3] is declared; convert it: .astype(numpy.float32)",
                 "result: a NumPy array of shape (2, 4) where tensor<f32>[2, 3] is declared",
                 "result: the dict has no key 'b'",
                 "result: the dict has a key 'c', which { a: int, b: float } does not declare",
                 "a nested list that is not rectangular",
                 "TypeError: XDML cannot take a value of type object",
                 "an int outside the 64-bit range"]:
        check(what in err, f"no {what!r} in:\n{err}")
    check("Python task 'text' (wrong:text)" in err, f"the task is not named:\n{err}")
    check(json.load(open(os.path.join(tmp, "work", "ok.json"))) == 1, "the good call after the bad ones")
    failed = query(os.path.join(tmp, "work", "provenance.db"),
                   "SELECT name, error FROM activities WHERE kind = 'task' AND status = 'failed' ORDER BY name")
    check(sorted(n for n, _ in failed) == sorted(calls), f"failed activities: {failed}")


RAISES_PY = """
def divide(a, b):
    scale = 10
    return scale * a / b          # line 3


def nested(a):
    return helper(a)


def helper(a):
    raise KeyError("frame %d is missing" % a)   # line 11
"""


ARENA_PY = """
import numpy as np

def shaped(i):
    if i % 3 == 0:  # a big array, then a value XDML cannot take: the call fails after the arena grew
        return {"a": np.ones((1024, 1024), dtype=np.float32), "b": object()}
    n = 256 * (1 + i % 5)
    return {"a": np.full((n, 1024), i, dtype=np.float32), "b": 1}
"""


def case_arena_growth(xdmlc, tmp):
    """Results of every size through one worker's arena, calls that fail after it grew among
    them: each good result arrives whole (the run, not the worker, owns the arena's size)."""
    write(os.path.join(tmp, "arena.py"), ARENA_PY)
    flow = ("site edge { cores: 2 }\nfn nth(i: int) -> int = i;\nstream items: int from generate(nth, 15) at edge;\n"
            'catalog sums: { i: int, total: float } at "sums.db";\n'
            'task shaped(i: int) -> { a: tensor<f32>[?, 1024], b: int } @ { limit: { tasks: 1 } } = python "arena:shaped";\n'
            "flow main @ { locality: edge } {\n  on new data of type int in items as i {\n"
            "    let r = shaped(i);\n    record { i: i, total: sum(r.a) } in sums;\n  }\n}\n")
    r = xdmlc_run(xdmlc, tmp, flow, code=1)
    rows = query(os.path.join(tmp, "work", "sums.db"), "SELECT i, total FROM sums ORDER BY i")
    want = [(i, float(256 * (1 + i % 5) * 1024 * i)) for i in range(15) if i % 3]
    check(rows == want, f"sums {rows}, wanted {want}\n{r.stderr}")
    check(r.stderr.count("XDML cannot take a value of type object") >= 1, r.stderr)


def case_exception_line(xdmlc, tmp):
    """A raised exception fails the call with its type, message and the line in the user's file
    (the innermost frame in the task's module, not in NumPy or the worker)."""
    write(os.path.join(tmp, "raises.py"), RAISES_PY)
    decls = 'task divide(a: float, b: float) -> float = python "raises:divide";\n' \
            'task nested(a: int) -> int = python "raises:nested";\n'
    r = xdmlc_run(xdmlc, tmp, handlers_flow(decls, ["divide(1.0, 0.0);\n", "nested(7);\n"]), code=1)
    check("ZeroDivisionError: float division by zero (" in r.stderr and "raises.py:3)" in r.stderr, r.stderr)
    check("KeyError: 'frame 7 is missing' (" in r.stderr and "raises.py:11)" in r.stderr, r.stderr)
    errors = [e for (e,) in query(os.path.join(tmp, "work", "provenance.db"),
                                  "SELECT error FROM activities WHERE status = 'failed' ORDER BY id")]
    check(any("raises.py:3" in e for e in errors) and any("raises.py:11" in e for e in errors), f"activities' errors: {errors}")
    # An import that fails: the module's own error, with its line, on every call.
    write(os.path.join(tmp, "broken.py"), "import os\ndef f(x):\n    return x +\n")
    r = xdmlc_run(xdmlc, tmp, one_item_flow('task f(x: int) -> int = python "broken:f";\n', "f(i);\n"),
                  name="broken.xdml", code=1, work="work2")
    check("importing module 'broken' failed: SyntaxError" in r.stderr and "broken.py:3" in r.stderr, r.stderr)


CRASH_PY = """
import ctypes, os

def crash(i, marker):
    # The first call of each kind dies: a segfault in C code, or os._exit. Claimed with O_EXCL:
    # two calls of a kind may run at once on the pool's two workers, and only one may die.
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return os.getpid()
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    if i % 2 == 0:
        ctypes.string_at(0)
    os._exit(3)
"""


def case_crash_and_replacement(xdmlc, tmp):
    """A worker that dies (segfault, os._exit) fails the call it ran; it is replaced, the call's
    retry runs on the new worker, and the run goes on to the end."""
    write(os.path.join(tmp, "crash.py"), CRASH_PY)
    decls = 'task crash(i: int, marker: path) -> int @ { retry: 1 } = python "crash:crash";\n' \
            'fn nth(i: int) -> int = i;\nstream items: int from generate(nth, 4);\n'
    flow = decls + 'catalog pids: { i: int, pid: int } at "pids.db";\n' \
        'flow main {\n  on new data of type int in items as i {\n' \
        '    record { i: i, pid: crash(i, "marker_{i % 2}") } in pids;\n  }\n}\n'
    r = xdmlc_run(xdmlc, tmp, flow, "--quiet")
    rows = query(os.path.join(tmp, "work", "pids.db"), "SELECT i, pid FROM pids ORDER BY i")
    check([i for i, _ in rows] == [0, 1, 2, 3], f"rows {rows}")
    crashed = {int(open(os.path.join(tmp, "work", f"marker_{k}")).read()) for k in (0, 1)}
    check(len(crashed) == 2, f"two workers died: {crashed}")
    # A pool of two lost two workers and still answered: at least one answer came from a replacement.
    check(len(crashed | {pid for _, pid in rows}) >= 3, f"no replacement answered: crashed {crashed}, rows {rows}")
    errors = [e for (e,) in query(os.path.join(tmp, "work", "provenance.db"),
                                  "SELECT error FROM activities WHERE status = 'failed' ORDER BY id")]
    check(len(errors) == 2, f"failed attempts: {errors}")
    check(any("killed by signal 11 (SIGSEGV)" in e for e in errors) and any("exited with status 3" in e for e in errors), f"{errors}")
    retries = query(os.path.join(tmp, "work", "provenance.db"), "SELECT count(*) FROM decisions WHERE kind = 'retry'")[0][0]
    check(retries == 2, f"retry decisions: {retries}")
    check(r.returncode == 0, r.stderr)


RETRY_PY = """
import os

def flaky(counter, fails):
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    open(counter, "w").write(str(n + 1))
    if n < fails:
        raise RuntimeError("attempt %d fails" % (n + 1))
    return n + 1
"""


def case_retries(xdmlc, tmp):
    """`retry` applies to Python exceptions: the third attempt succeeds; every attempt is an
    activity, each retry a decision. With too few retries the call fails for good."""
    write(os.path.join(tmp, "retry.py"), RETRY_PY)
    decls = 'task flaky(counter: path, fails: int) -> int @ { retry: 2 } = python "retry:flaky";\n' \
            'task hopeless(counter: path, fails: int) -> int @ { retry: 1 } = python "retry:flaky";\n'
    r = xdmlc_run(xdmlc, tmp, handlers_flow(decls, ['write("attempts.json", flaky("c1", 2));\n', 'hopeless("c2", 5);\n']), code=1)
    check(json.load(open(os.path.join(tmp, "work", "attempts.json"))) == 3, "the third attempt's result")
    db = os.path.join(tmp, "work", "provenance.db")
    acts = query(db, "SELECT name, status FROM activities WHERE kind = 'task' ORDER BY id")
    check(acts.count(("flaky", "failed")) == 2 and acts.count(("flaky", "ok")) == 1, f"{acts}")
    check(acts.count(("hopeless", "failed")) == 2, f"{acts}")
    check("RuntimeError: attempt 2 fails" in r.stderr, r.stderr)


SLOW_PY = """
import time

def slow(x):
    time.sleep(0.4)
    return x * 2
"""


def case_deadline(xdmlc, tmp):
    """A slow function under a deadline: the call completes, and its lateness is a deadline_miss
    decision (the runtime's rule for every task, docs/runtime.md)."""
    write(os.path.join(tmp, "slow.py"), SLOW_PY)
    decls = 'task slow(x: int) -> int @ { deadline: 100ms } = python "slow:slow";\n'
    xdmlc_run(xdmlc, tmp, one_item_flow(decls, 'write("r.json", slow(21));\n'), "--quiet")
    check(json.load(open(os.path.join(tmp, "work", "r.json"))) == 42, "the late result")
    misses = query(os.path.join(tmp, "work", "provenance.db"), "SELECT reason FROM decisions WHERE kind = 'deadline_miss'")
    check(len(misses) == 1 and "its deadline is 0.1 s" in misses[0][0], f"{misses}")


PRINT_PY = """
import sys, threading

def chatty(x):
    print("looking at", x)
    print("two\\nlines")
    sys.stderr.write("a warning on stderr\\n")
    # Lines from threads the function starts, while its answer goes: whole frames, in the log.
    threads = [threading.Thread(target=lambda k=k: [print(f"thread {k} line {j}") for j in range(200)]) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return x
"""


def case_print_log(xdmlc, tmp):
    """What a Python function prints goes to the run's log, each line with the task's name."""
    write(os.path.join(tmp, "chatty.py"), PRINT_PY)
    r = xdmlc_run(xdmlc, tmp, one_item_flow('task chatty(x: int) -> int = python "chatty:chatty";\n', "chatty(5);\n"))
    for line in ["[chatty] looking at 5", "[chatty] two", "[chatty] lines", "[chatty] a warning on stderr"]:
        check(line in r.stdout.splitlines(), f"no {line!r} in the log:\n{r.stdout}")
    # Threads' prints may interleave as on a terminal, but nothing is lost or torn.
    threaded = re.findall(r"thread (\d) line (\d+)", r.stdout)
    check(sorted(threaded) == sorted((str(k), str(j)) for k in range(3) for j in range(200)), f"{len(threaded)} of the threads' 600 lines")


EDIT_V1 = """
def scale(x):
    return x * 2
"""
EDIT_V2 = """
def scale(x):
    return x * 3
"""


def case_module_edit_diff(xdmlc, tmp):
    """A module edited between two runs: each run's activities record its hash, `prov diff`
    names the changed Python task (and exits 1), and `replay` of the first run says the module
    changed and that the replay is not identical."""
    mod = os.path.join(tmp, "edit.py")
    write(mod, EDIT_V1)
    flow = one_item_flow('task scale(x: int) -> int = python "edit:scale";\n',
                         'record { v: scale(i + 5) } in out;\n', extra='catalog out: { v: int } at "out.db";\n')
    xdmlc_run(xdmlc, tmp, flow, "--quiet")
    write(mod, EDIT_V2)
    xdmlc_run(xdmlc, tmp, flow, "--quiet")
    work = os.path.join(tmp, "work")
    codes = query(os.path.join(work, "provenance.db"), "SELECT run, code FROM activities WHERE name = 'scale' ORDER BY run")
    check(len(codes) == 2 and codes[0][1] != codes[1][1] and all(len(c) == 16 for _, c in codes), f"{codes}")
    d = subprocess.run([xdmlc, "prov", "diff", "1", "2", "--workdir", work], capture_output=True, text=True)
    check(d.returncode == 1 and "python scale: DIFFER: " + codes[0][1] + " | " + codes[1][1] in d.stdout, f"{d.stdout}{d.stderr}")
    dj = json.loads(subprocess.run([xdmlc, "prov", "diff", "1", "2", "--workdir", work, "--json"], capture_output=True, text=True).stdout)
    check(dj["identical"]["code"] is False and dj["identical"]["script"] is True, f"{dj['identical']}")
    check(dj["code"]["a"] == {"scale": [codes[0][1]]}, f"{dj['code']}")
    # The same module twice: no difference in code.
    xdmlc_run(xdmlc, tmp, flow, "--quiet")
    d = subprocess.run([xdmlc, "prov", "diff", "2", "3", "--workdir", work, "--json"], capture_output=True, text=True)
    check(json.loads(d.stdout)["identical"]["code"] is True, d.stdout)
    # Replaying run 1 runs the module as it is now: the replay says so and is not identical.
    rp = subprocess.run([xdmlc, "replay", "--run", "1", "--workdir", work, "--json"], capture_output=True, text=True)
    report = json.loads(rp.stdout)
    check(report["identical"] is False and report["diff"]["identical"]["code"] is False, f"{rp.stdout}{rp.stderr}")
    check("edit.py changed since the plan was made" in rp.stderr + rp.stdout, f"no note of the change:\n{rp.stderr}")


SLEEPY_PY = """
import os, time

def sleepy(i, folder):
    open(os.path.join(folder, "pid_%d" % os.getpid()), "w").close()
    time.sleep(0.2)
    return i
"""


def case_ctrl_c(xdmlc, tmp):
    """Ctrl-C stops a live run: the calls under way finish, `on stop` runs, and no Python worker
    outlives the run."""
    write(os.path.join(tmp, "sleepy.py"), SLEEPY_PY)
    pids_dir = os.path.join(tmp, "pids")
    os.makedirs(pids_dir)
    flow = os.path.join(tmp, "live.xdml")
    write(flow, f"""
        import std.io;
        task sleepy(i: int, folder: path) -> int = python "sleepy:sleepy";
        fn nth(i: int) -> int = i;
        stream ticks: int from generate(nth, 100000, period: 50ms);
        catalog done: {{ i: int }} at "done.db";
        flow main {{
            on new data of type int in ticks as i {{ record {{ i: sleepy(i, "{pids_dir}") }} in done; }}
            on stop {{ write("stopped.json", count(done)); }}
        }}
        """)
    work = os.path.join(tmp, "work")
    proc = start_running([xdmlc, "run", flow, "--workdir", work], work)
    try:
        wait_for(lambda: os.path.exists(os.path.join(work, "done.db")) and
                 query(os.path.join(work, "done.db"), "SELECT count(*) FROM done")[0][0] >= 3, 60, "three calls")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(proc.returncode in (0, 130), f"exit {proc.returncode}:\n{err}")
    pids = [int(n[4:]) for n in os.listdir(pids_dir)]
    check(pids, "no worker wrote its pid")
    left = [p for p in pids if alive(p)]
    check(not left, f"Python workers left behind: {left}")
    check(os.path.exists(os.path.join(work, "stopped.json")), f"on stop did not run:\n{err}")
    # A run killed outright (SIGKILL) takes its workers with it (PR_SET_PDEATHSIG).
    for n in os.listdir(pids_dir):
        os.remove(os.path.join(pids_dir, n))
    proc = start_running([xdmlc, "run", flow, "--workdir", os.path.join(tmp, "work2")], os.path.join(tmp, "work2"))
    wait_for(lambda: len(os.listdir(pids_dir)) >= 1, 60, "a worker")
    proc.kill()
    proc.communicate(timeout=30)
    pids = [int(n[4:]) for n in os.listdir(pids_dir)]
    wait_for(lambda: not [p for p in pids if alive(p)], 10, "the workers of a killed run to die")


POOL_PY = """
import os, time

def who(i):
    time.sleep(0.05)
    return os.getpid()
"""


def case_pool_size(xdmlc, tmp):
    """A site's pool has a worker per thread of the site (calls run side by side), and no more
    than its Python tasks' limits let run at once."""
    write(os.path.join(tmp, "pool.py"), POOL_PY)
    for name, policy, want in [("free", "", 2), ("limited", " @ { limit: { tasks: 1 } }", 1)]:
        flow = ("site edge { cores: 2 }\nfn nth(i: int) -> int = i;\nstream items: int from generate(nth, 16) at edge;\n"
                'catalog pids: { pid: int } at "pids.db";\n'
                f'task who(i: int) -> int{policy} = python "pool:who";\n'
                "flow main @ { locality: edge } {\n  on new data of type int in items as i { record { pid: who(i) } in pids; }\n}\n")
        xdmlc_run(xdmlc, tmp, flow, "--quiet", name=name + ".xdml", work=name)
        pids = {p for (p,) in query(os.path.join(tmp, name, "pids.db"), "SELECT pid FROM pids")}
        check(len(pids) == want, f"{name}: {len(pids)} workers answered, wanted {want}: {pids}")


def case_module_search(xdmlc, tmp):
    """Modules are found next to the script, then on --python-path, then PYTHONPATH; `xdmlc
    check` warns about a module found nowhere and a function its file lacks."""
    os.makedirs(os.path.join(tmp, "lib", "pkg"))
    write(os.path.join(tmp, "lib", "pkg", "__init__.py"), "")
    write(os.path.join(tmp, "lib", "pkg", "ops.py"), "def double(x):\n    return 2 * x\n")
    os.makedirs(os.path.join(tmp, "env"))
    write(os.path.join(tmp, "env", "envmod.py"), "def triple(x):\n    return 3 * x\n")
    flow = one_item_flow('task double(x: int) -> int = python "pkg.ops:double";\n'
                         'task triple(x: int) -> int = python "envmod:triple";\n',
                         'write("r.json", [double(i + 1), triple(i + 1)]);\n')
    env = dict(os.environ, PYTHONPATH=os.path.join(tmp, "env"))
    path = os.path.join(tmp, "flow.xdml")
    write(path, flow)
    r = subprocess.run([xdmlc, "run", path, "--workdir", os.path.join(tmp, "work"), "--python-path", os.path.join(tmp, "lib"), "--quiet"],
                       capture_output=True, text=True, env=env, cwd=tmp)
    check(r.returncode == 0, r.stderr)
    check(json.load(open(os.path.join(tmp, "work", "r.json"))) == [2, 3], "both modules")
    plan = json.loads(subprocess.run([xdmlc, "build", path, "--python-path", os.path.join(tmp, "lib")], capture_output=True,
                                     text=True, env=env).stdout)
    py = plan["code"]["tasks"]["double"]["python"]
    check(py["file"] == os.path.join(tmp, "lib", "pkg", "ops.py") and len(py["hash"]) == 16 and
          py["path"] == [tmp, os.path.join(tmp, "lib")], f"{py}")
    # Without --python-path: a warning from check, and the run fails at the call.
    r = subprocess.run([xdmlc, "check", path], capture_output=True, text=True, cwd=tmp)
    check(r.returncode == 0 and "warning: module 'pkg.ops' is found neither next to the script" in r.stderr, r.stderr)
    write(os.path.join(tmp, "lib", "pkg", "ops.py"), "def doubled(x):\n    return 2 * x\n")
    r = subprocess.run([xdmlc, "check", path, "--python-path", os.path.join(tmp, "lib")], capture_output=True, text=True, env=env)
    check("defines no 'double' (did you mean 'doubled'?)" in r.stderr, r.stderr)
    r = subprocess.run([xdmlc, "run", path, "--workdir", os.path.join(tmp, "work3"), "--python-path", os.path.join(tmp, "lib")],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 1 and "has no function 'double'" in r.stderr, r.stderr)


def case_peaks_example(xdmlc, tmp):
    """examples/peaks.xdml: the NumPy peak finder runs on every frame; frames with spots have
    peaks, the others none; every call's activity records the hash of peaks.py."""
    work = os.path.join(tmp, "peaks.run")
    r = run(xdmlc, [os.path.join(REPO, "examples", "peaks.xdml"), "--workdir", work, "--quiet"], cwd=tmp)
    check(r.returncode == 0, r.stderr)
    rows = query(os.path.join(work, "peaks.db"), "SELECT frame, peaks, strongest FROM peaks ORDER BY frame")
    check(len(rows) == 60, f"{len(rows)} rows")
    check(all((p > 0) == (f % 3 == 0) for f, p, _ in rows), f"peaks where spots are, none elsewhere: {rows}")
    check(all(s > 8.0 for f, p, s in rows if p > 0), "the strongest peak is above the threshold")
    codes = query(os.path.join(work, "provenance.db"), "SELECT DISTINCT name, code FROM activities WHERE code IS NOT NULL ORDER BY name")
    import hashlib  # noqa: F401  (the hash is XXH64: compare with what the plan carries)
    plan = json.loads(subprocess.run([xdmlc, "build", os.path.join(REPO, "examples", "peaks.xdml")], capture_output=True, text=True).stdout)
    want = plan["code"]["tasks"]["find_peaks"]["python"]["hash"]
    check(codes == [("centroid", want), ("find_peaks", want)], f"{codes}, plan {want}")


CASES = {name[len("case_"):]: f for name, f in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(main(CASES, prefix="xdml-python"))
