"""chain.py — figure 6: a fused task chain runs as one request. chain.xdml runs five dependent
tasks per item; at -O0 each call is a request to the site's queue, at -O2 the fused chain is one
request whose calls run in place on one worker. Tasks/s = tasks_run / seconds of --stats-json,
with and without provenance; `requests` of --stats-json shows the requests made.

Goal: at -O2 one request per item, and no fewer tasks/s than at -O0."""
import os

import harness


def measure(xdmlc, scratch, items, say):
    flow = harness.flow_copy("chain.xdml", scratch, consts={"N": str(items)})
    rows = []
    for prov in ("--no-provenance", None):
        rate, requests = {}, {}
        label = "no provenance" if prov else "provenance"
        for level in (0, 2):
            extra = (f"-O{level}",) + ((prov,) if prov else ())
            try:
                s = harness.run_flow(xdmlc, flow, os.path.join(scratch, f"chain-{label}-O{level}".replace(" ", "-")), extra=extra)
            except harness.BenchError as e:
                say(f"  {label} -O{level}: FAILED: {e}")
                return rows + [(f"6 chain of 5 tasks, {label}", "failed", "-O2 >= -O0", None)]
            rate[level] = s["tasks_run"] / s["seconds"]
            requests[level] = s.get("requests", 0)
            say(f"  {label:<13} -O{level}: {rate[level]:>10,.0f} tasks/s, {requests[level]:>9,} requests "
                f"({s['tasks_run']:,} tasks in {s['seconds']:.2f} s)")
        one_each = requests[2] == items
        rows.append((f"6 chain of 5 tasks, {label}: -O2 / -O0 tasks/s",
                     f"{rate[2] / rate[0]:.2f} ({rate[2]:,.0f} vs {rate[0]:,.0f}; -O2 requests/item "
                     f"{requests[2] / items:.2f})", ">= 1.0, 1 request/item", rate[2] >= rate[0] and one_each))
    return rows
