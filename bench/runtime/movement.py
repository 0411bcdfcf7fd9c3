"""movement.py — figure 4: bytes moved between sites and written to storage per frame, measured
by running pipeline4_nomodel.xdml at -O0 and -O2, beside the plan's estimates that the run
reports with its counters (planned_*_bytes_per_item). Per frame = the counter divided by the
items of raw_frames, the stream whose items trigger everything else.

Goals: measured within 1% of planned, at both levels; and -O2 moves and writes at most a third
of what -O0 does (bench_movement's goal for pipeline4, judged there on the plan, here measured)."""
import os

import harness

STREAM = "raw_frames"


def measure(xdmlc, scratch, say):
    flow = harness.flow_copy("pipeline4_nomodel.xdml", scratch)
    per = {}
    for level in (0, 2):
        try:
            s = harness.run_flow(xdmlc, flow, os.path.join(scratch, f"pipeline4-O{level}"),
                                 extra=(f"-O{level}", "--no-provenance"))
        except harness.BenchError as e:
            say(f"  -O{level}: FAILED: {e}")
            return [("4 pipeline4 bytes/frame = plan", "failed", "within 1%", None),
                    ("4 pipeline4 -O2 / -O0 bytes", "failed", "<= 0.33", None)]
        n = s["items"][STREAM]
        per[level] = {"moved": s["moved_bytes"] / n, "planned moved": s["planned_moved_bytes_per_item"],
                      "written": s["written_bytes"] / n, "planned written": s["planned_written_bytes_per_item"]}
        say(f"  -O{level}: {n} frames, {s['tasks_run']} tasks, {s['seconds']:.3f} s")
    say(f"  {'bytes per frame':<16}" + "".join(f"{k:>17}" for k in per[0]))
    for level, row in per.items():
        say(f"  {'-O' + str(level):<16}" + "".join(f"{v:>17,.2f}" for v in row.values()))

    def off(measured, planned):
        return abs(measured - planned) / planned if planned else abs(measured)

    worst = max(max(off(r["moved"], r["planned moved"]), off(r["written"], r["planned written"])) for r in per.values())
    ratio = (per[2]["moved"] + per[2]["written"]) / (per[0]["moved"] + per[0]["written"])
    return [("4 pipeline4 bytes/frame = plan", f"worst {worst:.2%} off", "within 1%", worst <= 0.01),
            ("4 pipeline4 -O2 / -O0 bytes", f"{ratio:.3f} (measured)", "<= 0.33", ratio <= 1 / 3)]
