#!/usr/bin/env python3
"""Golden-test driver for xdmlc.

Each case is a `.xdml` file. Its `// RUN:` lines name the commands, LLVM-style:
    // RUN: build --emit=ast
(default: `check`); with several, each output is headed by its command line. The driver runs `xdmlc <command> <file>` from the case's folder and
compares standard output, standard error and the exit status with `<case>.expected` beside it
(the xdmlc binary's own path, which `submit` writes into scripts, reads `<xdmlc>`).
Inline `// expect: LINE[:COL] error|warning: ...` lines (the shared examples' form) are checked
as well: a diagnostic of that kind must be reported at that place, and the exit status must
then be 1.

    run_golden.py --xdmlc build/xdmlc tests/golden/sema          # run a folder
    run_golden.py --xdmlc build/xdmlc --update tests/golden/sema # rewrite .expected files
"""
import argparse
import os
import re
import subprocess
import sys

EXPECT = re.compile(r"^// expect: (\d+)(?::(\d+))? (error|warning)\b")
RUN = re.compile(r"^// RUN: (.*)$")


def run_case(xdmlc, path, update, timeout):
    folder, name = os.path.split(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    commands = [RUN.match(l).group(1).split() for l in lines if RUN.match(l)] or [["check"]]
    actual = ""
    returncode = 0
    err = ""
    for command in commands:
        args = [os.path.abspath(xdmlc)] + command + [name]
        try:
            proc = subprocess.run(args, cwd=folder or ".", capture_output=True, timeout=timeout,
                                  env=dict(os.environ, NO_COLOR="1"))
        except subprocess.TimeoutExpired:
            return False, f"timed out after {timeout}s"
        out = proc.stdout.decode("utf-8", "replace")
        err += proc.stderr.decode("utf-8", "replace")
        if len(commands) > 1:
            actual += "$ xdmlc " + " ".join(command) + "\n"
        actual += out + proc.stderr.decode("utf-8", "replace") + f"exit: {proc.returncode}\n"
        returncode = max(returncode, proc.returncode) if proc.returncode >= 0 else proc.returncode
    # Output naming the xdmlc binary (`submit`'s scripts) reads the same from any build folder.
    for spelling in {os.path.realpath(xdmlc), os.path.abspath(xdmlc)}:
        actual = actual.replace(spelling, "<xdmlc>")
    problems = []
    if returncode < 0 or returncode > 2:
        problems.append(f"crashed or failed internally (exit {returncode})")

    expects = [EXPECT.match(l) for l in lines]
    problems += [f"unreadable expect line (want '// expect: LINE[:COL] error|warning: ...'): {l}"
                 for l, m in zip(lines, expects) if l.startswith("// expect:") and not m]
    expects = [m for m in expects if m]
    for m in expects:
        line, col, kind = m.group(1), m.group(2), m.group(3)
        where = f"{name}:{line}:{col}: {kind}:" if col else None
        found = any((where and l.startswith(where)) or
                    (not where and re.match(rf"^{re.escape(name)}:{line}:\d+: {kind}:", l))
                    for l in err.splitlines())
        if not found:
            problems.append(f"no {kind} reported at {line}{':' + col if col else ''}")
    if any(m.group(3) == "error" for m in expects) and returncode != 1:
        problems.append(f"exit status {returncode}, expected 1")

    expected_path = os.path.splitext(path)[0] + ".expected"
    if update:
        with open(expected_path, "w", encoding="utf-8") as f:
            f.write(actual)
    elif os.path.exists(expected_path):
        with open(expected_path, encoding="utf-8") as f:
            expected = f.read()
        if expected != actual:
            import difflib
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                "expected", "actual"))
            problems.append("output differs:\n" + diff)
    elif not expects:
        problems.append(f"no {os.path.basename(expected_path)} and no '// expect:' lines")
    return not problems, "\n".join(problems)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xdmlc", required=True)
    parser.add_argument("--update", action="store_true", help="rewrite the .expected files")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("paths", nargs="+", help="case files or folders (searched recursively)")
    opts = parser.parse_args()

    cases = []
    for p in opts.paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                cases += [os.path.join(root, f) for f in files if f.endswith(".xdml")]
        elif p.endswith(".xdml"):
            cases.append(p)
    cases.sort()
    passed = failed = 0
    for case in cases:
        ok, why = run_case(opts.xdmlc, case, opts.update, opts.timeout)
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {case}\n  " + why.replace("\n", "\n  "))
    if not cases:
        print("no cases found")
        return 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
