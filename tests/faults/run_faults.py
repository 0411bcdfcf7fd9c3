#!/usr/bin/python3
"""Fault tests: a run meets a fault (a full disk, a locked database, a vanished folder or peer,
a corrupt model, a signal, kill -9) and for every case the assertion is the same: nothing
committed is lost, the exit status says what happened, nothing hangs.

The cases live in the `cases_*.py` modules beside this driver (one per class of fault); each
defines `CASES = {name: function(xdmlc, tmp)}` and raises `Failure` on a broken promise.
`run_faults.py --xdmlc X CASE`, one case per invocation so CTest reports each."""
import glob
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "runtime"))
import run_runtime as rt  # noqa: E402

CASES = {}
for path in sorted(glob.glob(os.path.join(HERE, "cases_*.py"))):
    module = importlib.import_module(os.path.basename(path)[:-3])
    for name, case in module.CASES.items():
        if name in CASES:
            raise SystemExit(f"{path}: case '{name}' is defined twice")
        CASES[name] = case

if __name__ == "__main__":
    sys.exit(rt.main(CASES, prefix="xdml-faults"))
