"""deadcode.py — figure 5: the optimized program is what runs. deadcode.xdml computes a heavy
pure value nothing uses in every firing; eliminate-dead-nodes removes it at -O2. Timed at -O0
and -O2, against the same flow without the dead line, with the JIT (the default) and without
(--no-jit); the run's counters give the expression nodes each evaluated.

Goal (issue 16): at -O2 the flow with the dead line within 10% of the flow without it."""
import os
import time

import harness

DEAD = "        let _unused = heavy(f) + heavy(f * 2.0) + heavy(f * 3.0);\n"


def timed(xdmlc, flow, workdir, extra):
    started = time.monotonic()
    s = harness.run_flow(xdmlc, flow, workdir, extra=(*extra, "--no-provenance"))
    return time.monotonic() - started, s


def measure(xdmlc, scratch, frames, say):
    consts = {"N": str(frames)}
    dead = harness.flow_copy("deadcode.xdml", scratch, consts=consts)
    clean = harness.flow_copy("deadcode.xdml", scratch, consts=consts, replace={DEAD: ""}, copy_name="clean.xdml")
    rows = []
    for mode, extra in (("JIT", ()), ("interpreted", ("--no-jit",))):
        t = {}
        for name, flow in (("dead", dead), ("clean", clean)):
            for level in (0, 2):
                try:
                    seconds, s = timed(xdmlc, flow, os.path.join(scratch, f"{name}-{mode}-O{level}"), (*extra, f"-O{level}"))
                except harness.BenchError as e:
                    say(f"  {mode} {name} -O{level}: FAILED: {e}")
                    return rows + [(f"5 dead code, {mode}: -O2 / clean", "failed", "<= 1.10", None)]
                t[name, level] = seconds
                say(f"  {mode:<11} {name:<5} -O{level}: {seconds:7.2f} s, "
                    f"{s.get('expressions_evaluated', 0):>12,} expression nodes evaluated")
        ratio = t["dead", 2] / t["clean", 2]
        rows.append((f"5 dead code, {mode}: -O2 / clean", f"{ratio:.3f} ({t['dead', 2]:.2f} s vs {t['clean', 2]:.2f} s; "
                     f"-O0 {t['dead', 0]:.2f} s)", "<= 1.10", ratio <= 1.10))
    return rows
