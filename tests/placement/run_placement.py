#!/usr/bin/env python3
"""Placement corpus: flows where the best site of each node is known by hand.

Each case names the expected site of nodes by their label, and may bound the movement:
    // expect-site: reconstruct hpc
    // expect-moved: 16384        (bytes per item, exactly)
The driver compiles the case with `xdmlc build --emit=plan -O2` and compares.

    run_placement.py --xdmlc build/xdmlc tests/placement
"""
import argparse
import json
import os
import re
import subprocess
import sys

SITE = re.compile(r"^// expect-site: (\S+) (\S+)\s*$")
# Nodes a placement expectation can name: computations and streams (not transfers or triggers).
COMPUTE = {"source", "task", "call", "eval", "infer", "fused", "kernel", "record", "train"}
MOVED = re.compile(r"^// expect-moved: ([0-9.]+)\s*$")


def run_case(xdmlc, path):
    with open(path) as f:
        lines = f.read().splitlines()
    out = subprocess.run([xdmlc, "build", path, "--emit=plan", "-O2"], capture_output=True, timeout=60)
    if out.returncode != 0:
        return [f"exit {out.returncode}: {out.stderr.decode().strip()}"]
    plan = json.loads(out.stdout)
    problems = []
    expectations = 0
    for line in lines:
        m = SITE.match(line)
        if m:
            expectations += 1
            label, site = m.groups()
            found = [n for n in plan["nodes"] if n["kind"] in COMPUTE and label in n["label"].split(" + ")]
            if not found:
                problems.append(f"no node labelled {label}")
            elif any(n["site"] != site for n in found):
                problems.append(f"{label} at {[n['site'] for n in found]}, expected {site}: " +
                                found[0]["placement"]["reason"])
        m = MOVED.match(line)
        if m:
            expectations += 1
            moved = plan["stats"]["moved_bytes_per_item"]
            if abs(moved - float(m.group(1))) > 1e-6:
                problems.append(f"moves {moved} bytes per item, expected {m.group(1)}")
    if not expectations:
        problems.append("no expect-site or expect-moved line")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xdmlc", required=True)
    parser.add_argument("paths", nargs="+")
    opts = parser.parse_args()
    cases = []
    for p in opts.paths:
        if os.path.isdir(p):
            cases += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".xdml"))
        else:
            cases.append(p)
    passed = failed = 0
    for case in cases:
        problems = run_case(opts.xdmlc, case)
        if problems:
            failed += 1
            print(f"FAIL {case}\n  " + "\n  ".join(problems))
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
