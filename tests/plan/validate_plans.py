#!/usr/bin/env python3
"""Validates the plans of flows against docs/plan.schema.json (JSON Schema 2020-12), at -O0
and -O2, and checks the facts the schema cannot: ids refer to nodes, handler triggers exist,
transfers join linked sites, and -O2 never moves or writes more than -O0.

    validate_plans.py --xdmlc build/xdmlc --schema docs/plan.schema.json examples/*.xdml
"""
import argparse
import json
import subprocess
import sys

import jsonschema


def plan(xdmlc, path, level):
    out = subprocess.run([xdmlc, "build", path, "--emit=plan", f"-O{level}"], capture_output=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"{path} -O{level}: exit {out.returncode}: {out.stderr.decode()}")
    return json.loads(out.stdout)


def facts(p):
    problems = []
    ids = {n["id"] for n in p["nodes"]}
    sites = {s["name"] for s in p["sites"]}
    for n in p["nodes"]:
        problems += [f"node {n['id']} reads missing node {i['node']}" for i in n["inputs"] if i["node"] not in ids]
        if n["site"] not in sites:
            problems.append(f"node {n['id']} at unknown site {n['site']}")
    for h in p["handlers"]:
        if h["trigger"] not in ids:
            problems.append(f"handler {h['id']} has no trigger node")
    links = {(l["from"], l["to"]) for l in p["links"]} | {(l["to"], l["from"]) for l in p["links"] if l["bidirectional"]}
    for t in p["transfers"]:
        if t["from"] != t["to"] and (t["from"], t["to"]) not in links:
            problems.append(f"transfer {t['node']} between unlinked sites")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xdmlc", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("flows", nargs="+")
    opts = parser.parse_args()
    with open(opts.schema) as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    passed = failed = 0
    for path in opts.flows:
        plans = {}
        for level in (0, 2):
            p = plan(opts.xdmlc, path, level)
            plans[level] = p
            problems = [e.message for e in validator.iter_errors(p)] + facts(p)
            if problems:
                failed += 1
                print(f"FAIL {path} -O{level}:\n  " + "\n  ".join(problems))
            else:
                passed += 1
        s0, s2 = plans[0]["stats"], plans[2]["stats"]
        if s2["moved_bytes_per_item"] > s0["moved_bytes_per_item"] or s2["written_bytes_per_item"] > s0["written_bytes_per_item"]:
            failed += 1
            print(f"FAIL {path}: -O2 moves or writes more than -O0: {s2} vs {s0}")
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
