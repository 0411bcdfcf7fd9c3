"""The driver's own check: a finite flow ends by itself with status 0 and a complete run."""
import os

from faultlib import check
from run_runtime import query, run

CASES = {}

FLOW = """
type Frame = tensor<f32>[4];
fn frame(i: int) -> Frame = noise(Frame, i);
stream frames: Frame from generate(frame, 5);
flow main {
    on new data of type Frame in frames as f { log "frame {seq(f)}"; }
}
"""


def case_clean_exit(xdmlc, tmp):
    flow = os.path.join(tmp, "f.xdml")
    with open(flow, "w") as f:
        f.write(FLOW)
    work = os.path.join(tmp, "w")
    r = run(xdmlc, [flow, "--workdir", work], timeout=60)
    check(r.returncode == 0, f"a finite flow exited {r.returncode}: {r.stdout}{r.stderr}")
    check(query(os.path.join(work, "provenance.db"), "SELECT status FROM runs") == [("complete",)], "the run is complete")


CASES["clean_exit"] = case_clean_exit
