#!/usr/bin/python3
"""The registration guard: every case a test driver defines is run by a registered CTest test.

A test that is not registered does not exist, and a case dropped from tests/CMakeLists.txt fails
nobody. This test reads what CTest would run (`ctest --show-only=json-v1` in the build folder)
and fails, naming each one, when
  - a case of a Python driver (its CASES: runtime, prov, models, repl, lsp, faults, cli, distributed, slurm) is not the case
    argument of any registered test that runs that driver;
  - a folder of tests/golden is not given to run_golden.py by any registered test;
  - a Catch2 executable's test cases outnumber the tests CTest knows under its prefix;
  - a fuzz target (tests/fuzz/fuzz_<name>.cpp) has no `fuzz.<name>` test replaying its corpus
    folder, tests/fuzz/corpus/<name>/, or a corpus folder is replayed by no test.

    check_registration.py --ctest CTEST --build BUILD_DIR
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Each Python driver: its file, relative to tests/.
DRIVERS = ["runtime/run_runtime.py", "runtime/run_files.py", "runtime/run_python.py", "report/run_report.py", "prov/run_prov.py", "models/run_models.py", "repl/run_repl.py",
           "lsp/run_lsp.py", "faults/run_faults.py", "cli/run_cli.py", "distributed/run_distributed.py",
           "distributed/run_slurm.py"]
# Each Catch2 executable and the CTest prefix catch_discover_tests gives its cases.
CATCH = {"xdml_unit_tests": "unit.", "xdml_ml_tests": "unit.", "xdml_robustness_tests": "robustness."}


def driver_cases(path):
    """The CASES of a driver module, read by importing it (drivers run nothing on import)."""
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3] + "_registration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = getattr(module, "CASES", None)
    if not isinstance(cases, dict) or not cases:
        raise SystemExit(f"{path}: defines no CASES dictionary (the guard reads the cases from it)")
    return set(cases)


def case_argument(command, script):
    """The case a driver command runs: its first positional argument after the script."""
    args = command[command.index(script) + 1:]
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a == "--xdmlc":
            skip = True
        elif not a.startswith("-"):
            return a
    return None


def unreplayed_fuzz_targets(tests):
    """Fuzz targets without the CTest replay of their corpus, and corpora nobody replays."""
    fuzz = os.path.join(TESTS, "fuzz")
    corpus = os.path.join(fuzz, "corpus")
    replayed = {t["name"]: {os.path.normpath(a) for a in t.get("command", [])} for t in tests}
    every_argument = set().union(*replayed.values()) if replayed else set()
    missing = []
    for source in sorted(os.listdir(fuzz)):
        if not (source.startswith("fuzz_") and source.endswith(".cpp")):
            continue
        name = source[len("fuzz_"):-len(".cpp")]
        folder = os.path.normpath(os.path.join(corpus, name))
        if folder not in replayed.get("fuzz." + name, set()):
            missing.append(f"fuzz/{source}: no test fuzz.{name} replays tests/fuzz/corpus/{name}")
    for folder in sorted(os.listdir(corpus)):
        if os.path.normpath(os.path.join(corpus, folder)) not in every_argument:
            missing.append(f"fuzz/corpus/{folder}: replayed by no registered test")
    return missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctest", required=True)
    ap.add_argument("--build", required=True)
    args = ap.parse_args()
    shown = subprocess.run([args.ctest, "--show-only=json-v1"], cwd=args.build, capture_output=True, text=True)
    if shown.returncode != 0:
        raise SystemExit(f"ctest --show-only failed: {shown.stderr}")
    tests = json.loads(shown.stdout)["tests"]
    commands = [t.get("command", []) for t in tests]
    names = [t["name"] for t in tests]
    missing = []

    for rel in DRIVERS:
        script = os.path.join(TESTS, rel)
        run = {case_argument(c, script) for c in commands if script in c}
        for case in sorted(driver_cases(script) - run):
            missing.append(f"{rel}: case '{case}' is run by no registered test")

    golden = os.path.join(TESTS, "golden")
    runner = os.path.join(golden, "run_golden.py")
    given = {os.path.normpath(a) for c in commands if runner in c for a in c}
    for folder in sorted(os.listdir(golden)):
        path = os.path.join(golden, folder)
        if os.path.isdir(path) and not folder.startswith(("_", ".")) and os.path.normpath(path) not in given:
            missing.append(f"golden/{folder}: run by no registered test")

    for exe, prefix in CATCH.items():
        path = os.path.join(args.build, "tests", exe) if exe != "xdml_robustness_tests" else \
            os.path.join(args.build, "tests", "robustness", exe)
        if not os.path.exists(path):
            missing.append(f"{exe}: not built at {path}")
            continue
        listed = subprocess.run([path, "--list-test-names-only"], capture_output=True, text=True).stdout
        cases = [l for l in listed.splitlines() if l.strip()]
        known = [n for n in names if n.startswith(prefix) and n[len(prefix):] in {c.strip() for c in cases}]
        if len(known) < len(cases):
            unknown = sorted({c.strip() for c in cases} - {n[len(prefix):] for n in known})
            missing.append(f"{exe}: {len(cases) - len(known)} Catch2 cases not in CTest, e.g. {unknown[:3]}")

    missing += unreplayed_fuzz_targets(tests)

    if missing:
        print("cases that are not registered in CTest (tests/CMakeLists.txt):")
        for m in missing:
            print("  " + m)
        return 1
    print(f"every case of {len(DRIVERS)} drivers, {len(os.listdir(golden)) - 1} golden folders and "
          f"{len(CATCH)} Catch2 executables, and every fuzz target's corpus, is registered ({len(tests)} tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
