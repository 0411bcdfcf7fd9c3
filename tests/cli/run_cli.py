#!/usr/bin/python3
"""The command line's own promises: every example `--help` names exists, and a bad number is
refused with a message in the user's terms (what the number is, what it may be).

    run_cli.py --xdmlc X CASE"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "runtime"))
import run_runtime as rt  # noqa: E402
from run_runtime import check  # noqa: E402

CASES = {}


def xdmlc_out(xdmlc, *args):
    r = subprocess.run([xdmlc, *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def subcommands(text):
    """The names in the "Subcommands:" block of a CLI11 help text."""
    if "Subcommands:" not in text:
        return []
    block = text.split("Subcommands:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  (\w[\w-]*)\s{2,}", block, re.M)


def help_texts(xdmlc):
    """`--help` of xdmlc, of each command and of each `prov` question."""
    code, top = xdmlc_out(xdmlc, "--help")
    check(code == 0, f"xdmlc --help exited {code}")
    texts = {"xdmlc": top}
    commands = subcommands(top)
    check(len(commands) >= 5, f"the commands listed by --help: {commands}")
    for command in commands:
        texts[command] = xdmlc_out(xdmlc, command, "--help")[1]
    prov = texts.get("prov", "")
    for question in subcommands(prov):
        texts["prov " + question] = xdmlc_out(xdmlc, "prov", question, "--help")[1]
    return texts


def case_help_examples(xdmlc, tmp):
    named = 0
    for where, text in help_texts(xdmlc).items():
        for path in re.findall(r"\bexamples/[\w./-]+\.xdml\b", text):
            named += 1
            check(os.path.isfile(os.path.join(ROOT, path)), f"`{where} --help` names {path}, which does not exist")
    check(named >= 3, f"the help texts name {named} example files; expected several")


CASES["help_examples"] = case_help_examples


def case_run_numbers(xdmlc, tmp):
    for args in (["replay", "--run", "0"], ["prov", "lineage", "x", "--run", "0"], ["prov", "why", "x", "--run", "-3"],
                 ["prov", "diff", "1", "zero"], ["replay", "--run", "1e9"]):
        code, out = xdmlc_out(xdmlc, *args, "--workdir", tmp)
        check(code == 2, f"xdmlc {' '.join(args)} exited {code}: {out}")
        check(re.search(r"(--run|run1|run2): a run number, 1 or more \(`xdmlc prov runs` lists them\); got '", out),
              f"xdmlc {' '.join(args)} says what a run number is: {out}")
        check("1.797" not in out and "not in range" not in out, f"no floating-point range in: {out}")
    code, out = xdmlc_out(xdmlc, "prov", "lineage", "x", "--depth", "-1", "--workdir", tmp)
    check(code == 2 and "--depth: a number of steps, 0 or more; got '-1'" in out, f"--depth -1: {out}")


CASES["run_numbers"] = case_run_numbers

if __name__ == "__main__":
    sys.exit(rt.main(CASES, prefix="xdml-cli"))
