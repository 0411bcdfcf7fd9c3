#!/usr/bin/python3
"""REPL tests (docs/repl.md): `pipe` drives `xdmlc repl` through a pipe, as scripts do; `terminal`
drives it in a real terminal under tmux (send-keys, capture-pane): prompts, multi-line input,
tab completion, Ctrl-C, history kept across sessions. One case per invocation
(`run_repl.py --xdmlc X CASE`)."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def check(ok, message):
    if not ok:
        print("FAIL: " + message)
        sys.exit(1)


def repl(xdmlc, script, *args, cwd=None):
    return subprocess.run([xdmlc, "repl", *args], input=script, capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=dict(os.environ, NO_COLOR="1"))


SESSION = """\
1 + 2
const N = 4;
type Frame = tensor<f32>[N, N];
fn level(f: Frame) -> float = mean(f);
level(zeros(Frame) + 1.5)
fn level(f: Frame) -> float = max(f) * 2.0;
level(zeros(Frame) + 1.5)
:type level(zeros(Frame))
type Bright = Frame where level(it) > 1.0;
/// Every third frame is bright.
fn make(i: int) -> Frame = zeros(Frame) + (i % 3 == 0 ? 1.0 : 0.0);
stream frames: Frame from generate(make, 9);
catalog bright: { n: int } at "bright.db";
flow watch {
    on new data of type Bright in frames as f {
        record { n: seq(f) } in bright;
    }
    on end of frames { log "{count(bright)} bright"; }
}
:list
:run
:prov trigger
:save {saved}
"""


def case_pipe(xdmlc):
    work = tempfile.mkdtemp(prefix="xdml_repl_")
    try:
        saved = os.path.join(work, "saved.xdml")
        r = repl(xdmlc, SESSION.replace("{saved}", saved), "--workdir", os.path.join(work, "w"))
        check(r.returncode == 0, f"a clean script exits 0, got {r.returncode}:\n{r.stdout}\n{r.stderr}")
        out = r.stdout
        expected = [
            "3 : int",
            "defined const N: int = 4",
            "defined type Frame = tensor<f32>[4, 4]",
            "defined fn level(f: Frame) -> float",
            "1.5 : float",
            "redefined fn level(f: Frame) -> float",
            "3.0 : float",
            "float",
            "defined flow watch",
            "run 1 in ",
            "run 1: 13 decisions (4 trigger, 9 type_test)",
            "item 0 of frames is a Bright",
            "item 6 of frames is a Bright",
            "wrote 8 declarations to " + saved,
        ]
        at = 0
        for line in expected:
            found = out.find(line, at)
            check(found >= 0, f"expected {line!r} (in order) in the output:\n{out}")
            at = found
        check("item 1 of frames" not in out, "item 1 is not Bright")
        check("3 bright" in out and "run complete" in out, f"the flow's log line and the run's summary appear:\n{out}")
        check(os.path.exists(os.path.join(work, "w", "provenance.db")), "the run recorded provenance")
        # The saved session is a valid flow file that `xdmlc check` accepts, doc comment kept.
        c = subprocess.run([xdmlc, "check", saved], capture_output=True, text=True)
        check(c.returncode == 0, f"the saved session checks: {c.stdout}{c.stderr}")
        check("/// Every third frame is bright.\nfn make" in open(saved).read(), "the doc comment is saved with its fn")

        # :set gives a param a value (read as `xdmlc run --set` reads it); a bad one is refused.
        r = repl(xdmlc, "param limit: int = 3;\nlimit * 2\n:set limit=5\nlimit * 2\n:set limit=x\n:set nope=1\n:set\n")
        check(r.returncode == 1, f"a refused :set fails the script: {r.returncode}")
        at = 0
        for line in ("defined param limit: int = 3", "6 : int", "param limit: int = 5", "10 : int",
                     "param limit: int = 5    (:set limit=5)"):
            found = r.stdout.find(line, at)
            check(found >= 0, f"expected {line!r} (in order) in the output:\n{r.stdout}")
            at = found
        check(":set limit=x: 'x' is not a value of param 'limit' (int)" in r.stderr and
              "the session declares no param 'nope'" in r.stderr, r.stderr)

        # Errors: a caret under the place, the session goes on, exit 1 at the end.
        r = repl(xdmlc, 'fn f(x: int) -> int = x + "a";\n1 +\n2\nf(1)\n:nonsense\nflow g {\n')
        check(r.returncode == 1, f"a script with errors exits 1, got {r.returncode}")
        err = r.stderr
        check("<input 1>:1:23: error: operator '+' is not defined for int and string" in err, err)
        check("\n                        ^" in err, f"a caret under the error:\n{err}")
        check("(not kept: the session is as it was)" in err, err)
        # `1 +` is complete (its brackets are), so it is an error, and `2` a new input.
        check("<input 2>:1:4: error: expected an expression, found end of file" in err, err)
        check("2 : int" in r.stdout, f"the session goes on after errors: {r.stdout}")
        check("unknown name 'f'" in err, f"f was not kept:\n{err}")
        check("unknown command ':nonsense'" in err, err)
        check("<input 5>:2:1: error: expected a statement, a handler or '}', found end of file" in err,
              f"an input left open is reported at the end:\n{err}")

        # Files given on the command line are loaded first; redefining one of their
        # declarations replaces it.
        r = repl(xdmlc, ":list\nconst THRESHOLD = 0.9;\n:type THRESHOLD\n", os.path.join(EXAMPLES, "ssx.xdml"))
        check(r.returncode == 0, f"ssx loads: {r.stdout}{r.stderr}")
        check("flow ssx" in r.stdout and "model hitfinder" in r.stdout, r.stdout)
        check("redefined const THRESHOLD" in r.stdout or "defined const THRESHOLD" in r.stdout, r.stdout)
        # Every example loads into a session.
        for name in sorted(os.listdir(EXAMPLES)):
            if name.endswith(".xdml"):
                r = repl(xdmlc, ":list\n", os.path.join(EXAMPLES, name))
                check(r.returncode == 0, f"{name} loads into the REPL: {r.stderr}")
        # :type of a Python task: its signature, its function and the module file it was found in.
        r = repl(xdmlc, ":type find_peaks\n:type centroid\n", os.path.join(EXAMPLES, "peaks.xdml"))
        check(r.returncode == 0, f"peaks loads: {r.stdout}{r.stderr}")
        check('task find_peaks(frame: Frame, threshold: float, max_peaks: int) -> list<Peak> = python "peaks:find_peaks" (peaks.py)'
              in r.stdout and 'task centroid(frame: Frame) -> tensor<f32>[2] = python "peaks:centroid" (peaks.py)' in r.stdout, r.stdout)
        print("pipe: declarations, redefinition, evaluation, :type, :run, :prov, :save, errors, loading: ok")
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Tmux:
    def __init__(self, work):
        self.socket = os.path.join(work, "tmux.sock")

    def __call__(self, *args):
        return subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=30)

    def screen(self):
        return self("capture-pane", "-p", "-t", "repl", "-S", "-200").stdout

    def wait_for(self, text, after=0, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            screen = self.screen()
            if screen.find(text, after) >= 0:
                return screen
            time.sleep(0.1)
        check(False, f"the terminal never showed {text!r}:\n{self.screen()}")

    SPECIAL = {"Enter", "Tab", "Up", "C-c", "C-u", "C-d"}

    def keys(self, *keys):
        # Text is sent literally (-l), a trailing ';' escaped: tmux reads it as a command separator.
        for key in keys:
            if key in self.SPECIAL:
                self("send-keys", "-t", "repl", key)
            else:
                self("send-keys", "-t", "repl", "-l", key[:-1] + "\\;" if key.endswith(";") else key)


def case_terminal(xdmlc):
    if not shutil.which("tmux"):
        check(False, "tmux is needed (Debian package tmux; scripts/install-deps.sh installs it)")
    work = tempfile.mkdtemp(prefix="xdml_repl_tty_")
    history = os.path.join(work, "history")
    tmux = Tmux(work)
    try:
        def start():
            command = f"cd {work} && XDML_HISTORY={history} NO_COLOR=1 {xdmlc} repl --workdir {work}/w"
            r = tmux("new-session", "-d", "-s", "repl", "-x", "160", "-y", "50", command)
            check(r.returncode == 0, f"tmux starts: {r.stderr}")
            tmux("set-option", "-t", "repl", "remain-on-exit", "on")
            tmux.wait_for("xdml>")

        start()
        tmux.keys("type Frame = tensor<f32>[4, 4];", "Enter")
        tmux.wait_for("defined type Frame")
        tmux.keys("fn score(f: Frame) -> float = mean(f) * 2.0;", "Enter")
        tmux.wait_for("defined fn score")
        # Tab completes a declared name, and a type after `of type`.
        tmux.keys("sco", "Tab")
        tmux.wait_for("xdml> score")
        tmux.keys("(zeros(Frame) + 1.5)", "Enter")
        tmux.wait_for("3.0 : float")
        # Multi-line input: a continuation prompt until the braces balance.
        tmux.keys("stream frames: Frame;", "Enter")
        tmux.wait_for("defined stream frames")
        tmux.keys("flow f {", "Enter")
        tmux.wait_for("  ...")
        tmux.keys("on new data of type Fr", "Tab")
        tmux.wait_for("on new data of type Frame")
        tmux.keys(" in frames as x { log \"{score(x)}\"; }", "Enter")
        tmux.keys("}", "Enter")
        tmux.wait_for("defined flow f")
        # An error shows its caret; the session goes on.
        tmux.keys('score(1) + "a"', "Enter")
        screen = tmux.wait_for("error:")
        check("^" in screen.split("error:")[-1], f"a caret under the error:\n{screen}")
        # Ctrl-C drops the input being typed.
        tmux.keys("1 + ", "C-c")
        time.sleep(0.3)
        tmux.keys("6 * 7", "Enter")
        tmux.wait_for("42 : int")
        tmux.keys(":quit", "Enter")
        deadline = time.time() + 30
        while time.time() < deadline and "1" != tmux("display-message", "-p", "-t", "repl", "#{pane_dead}").stdout.strip():
            time.sleep(0.1)
        check(tmux("display-message", "-p", "-t", "repl", "#{pane_dead}").stdout.strip() == "1", ":quit ends the REPL")
        tmux("kill-server")
        check(os.path.exists(history), "the history file is written")
        kept = open(history).read()
        check("fn score(f: Frame) -> float = mean(f) * 2.0;" in kept and "6 * 7" in kept, f"history:\n{kept}")
        check("flow f {\non new data" in kept, f"a multi-line input is one history entry:\n{kept}")

        # A new session recalls the last one's inputs with the up arrow.
        start()
        tmux.keys("Up", "Up")
        tmux.wait_for("xdml> 6 * 7")
        tmux.keys("C-u", ":help", "Enter")
        tmux.wait_for(":prov [KIND]")
        tmux.keys("C-d")
        print("terminal: prompts, completion, multi-line input, carets, Ctrl-C, :quit, history across sessions: ok")
    finally:
        tmux("kill-server")
        shutil.rmtree(work, ignore_errors=True)


CASES = {"pipe": case_pipe, "terminal": case_terminal}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--xdmlc", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    CASES[args.case](os.path.abspath(args.xdmlc))


if __name__ == "__main__":
    main()
