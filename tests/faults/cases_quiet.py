"""A stream that feeds itself ends only when its cycle is quiet (issue 17, item 4).

A handler that emits into its own stream makes a chain of N steps, each firing emitting the
next; the stream may end only after the last one. The runtime once decided "quiet" while an item
was off the queue but its firing not yet counted, ended the stream and dropped the rest of the
chain, with exit 0. Here the chain runs 20 times, two runs at once beside a CPU burner (so the
dispatcher is preempted in every window there is), and each run must do all N steps, lose no
item and end its stream once."""
import json
import os
import signal
import subprocess
import sys
import time

import run_runtime as rt
from faultlib import Failure, check, sanitized, stop

CASES = {}

STEPS = 100000
ROUNDS = 10  # of two runs at once: 20 runs
# Each run of 100,000 steps takes a few seconds alone; a round that takes this long has hung.
ROUND_TIMEOUT = 90

FLOW = """
const N: int = {steps};
fn one(i: int) -> int = i;
stream seed: int from generate(one, 1);
stream chain: int;
flow selffeed {{
    on new data of type int in seed as x {{ emit 1 to chain; }}
    on new data of type int in chain as x {{ if x < N {{ emit x + 1 to chain; }} }}
    on end of chain {{ log "chain ended"; }}
}}
"""

# A busy loop on one core for as long as the case runs: the load the chains race against.
BURNER = "while True:\n    pass\n"


def start_run(xdmlc, flow, tmp, name):
    work, stats = os.path.join(tmp, name), os.path.join(tmp, name + ".json")
    # Provenance off: the race is in the dispatch, and recording 100,000 items 20 times would
    # take the case past its budget without making the window any wider.
    args = [xdmlc, "run", flow, "--workdir", work, "--stats-json", stats, "--no-provenance"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), stats


def check_run(name, proc, stats, steps):
    try:
        out, err = proc.communicate(timeout=ROUND_TIMEOUT)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise Failure(f"{name}: the chain did not end within {ROUND_TIMEOUT} s (hung?)")
    check(proc.returncode == 0, f"{name}: exit {proc.returncode}: {err[-2000:]}")
    s = json.load(open(stats))
    check(s["items"]["chain"] == steps, f"{name}: {s['items']['chain']} of {steps} steps ran; stderr: {err[-500:]}")
    check(s["lost_items"] == 0 and s["dropped_items"] == 0, f"{name}: lost {s['lost_items']}, dropped {s['dropped_items']}")
    check(out.count("chain ended") == 1, f"{name}: the stream's end was logged {out.count('chain ended')} times")
    check("ended when an item was emitted" not in err, f"{name}: {err[-500:]}")


def case_self_feeding_chain(xdmlc, tmp):
    steps = STEPS
    if sanitized(xdmlc):  # ten times slower: the same 20 races over shorter chains
        steps //= 10
        print(f"xdmlc is built with AddressSanitizer: chains of {steps} steps")
    flow = os.path.join(tmp, "chain.xdml")
    with open(flow, "w") as f:
        f.write(FLOW.format(steps=steps))
    burner = subprocess.Popen([sys.executable, "-c", BURNER])
    started = time.time()
    try:
        for round in range(ROUNDS):
            runs = [(f"run {2 * round + k + 1}",) + start_run(xdmlc, flow, tmp, f"r{round}-{k}") for k in range(2)]
            try:
                for name, proc, stats in runs:
                    check_run(name, proc, stats, steps)
            finally:
                for _, proc, _ in runs:
                    if proc.poll() is None:
                        stop(proc)
    finally:
        stop(burner)
    print(f"{2 * ROUNDS} chains of {steps} steps, two at a time beside a CPU burner: all complete "
          f"in {time.time() - started:.1f} s")


CASES["self_feeding_chain"] = case_self_feeding_chain

ENDLESS = """
fn one(i: int) -> int = i;
stream seed: int from generate(one, 1);
stream chain: int;
flow forever {
    on new data of type int in seed as x { emit 1 to chain; }
    on new data of type int in chain as x { emit x + 1 to chain; }
}
"""


def case_stop_endless_cycle(xdmlc, tmp):
    """An endless self-feeding chain has no source to stop and never goes quiet: one Ctrl-C
    must still end the run in order (status 0, recorded `stopped`, its summary printed), the
    chain's last emits counted as not handled, never as lost."""
    flow = os.path.join(tmp, "forever.xdml")
    with open(flow, "w") as f:
        f.write(ENDLESS)
    work, stats = os.path.join(tmp, "w"), os.path.join(tmp, "s.json")
    proc = subprocess.Popen([xdmlc, "run", flow, "--workdir", work, "--stats-json", stats],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Until the chain has items (a sanitizer build on a loaded machine takes seconds to
        # start), then a little longer.
        db = os.path.join(work, "provenance.db")
        rt.wait_for(lambda: proc.poll() is not None or os.path.exists(db) and
                    rt.query(db, "SELECT count(*) FROM entities WHERE label = 'chain'")[0][0] > 0, 120, "the chain's first item")
        time.sleep(1)
        check(proc.poll() is None, f"the endless chain ended by itself: {proc.returncode}")
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            raise Failure("one Ctrl-C did not end a run whose stream feeds itself within 20 s")
    finally:
        if proc.poll() is None:
            stop(proc)
    check(proc.returncode == 0, f"exit {proc.returncode} after one Ctrl-C: {err[-2000:]}")
    s = json.load(open(stats))
    check(s["items"]["chain"] > 0, f"the chain ran: {s['items']}")
    check(s["lost_items"] == 0, f"{s['lost_items']} items counted lost after a stop: {err[-1000:]}")
    check(s["unhandled_after_stop"] >= 1, f"the chain's last emit is counted: {s['unhandled_after_stop']}")
    check("not handled" in out, "the summary says what the stop left: " + out[-1000:])
    runs = rt.query(os.path.join(work, "provenance.db"), "SELECT status FROM runs")
    check(runs == [("stopped",)], f"the run is recorded stopped: {runs}")


CASES["stop_endless_cycle"] = case_stop_endless_cycle

# What a cycle's end fires emits back into the cycle: its `on end of` handlers and its last,
# shorter `every N` groups. Each flow's counts are exact; the items emitted at the end must be
# handled (never "lost", exit 0) and each end handler must fire once.
END_FLOWS = {
    # `on end of` feeds its own stream: the item is handled after the end handler.
    "end_handler": ("""
fn one(i: int) -> int = i;
stream seed: int from generate(one, 1);
stream chain: int;
flow endback {
    on new data of type int in seed as x { emit 1 to chain; }
    on new data of type int in chain as x { log "item {x}"; if x < 5 { emit x + 1 to chain; } }
    on end of chain { log "chain ended"; emit 100 to chain; }
}
""", {"chain": 6, "seed": 1}, ["chain ended", "item 100"]),
    # The last group (items 9, 10) emits 102, whose own last group fires in the next round.
    "last_group": ("""
fn one(i: int) -> int = i;
stream seed: int from generate(one, 1);
stream chain: int;
flow everyback {
    on new data of type int in seed as x { emit 1 to chain; }
    on new data of type int in chain as x { if x < 10 { emit x + 1 to chain; } }
    on new data of type int in chain as g every 4 {
        log "group of {len(g)} from {g[0]}";
        if len(g) < 4 and g[0] < 100 { emit 100 + len(g) to chain; }
    }
    on end of chain { log "chain ended"; }
}
""", {"chain": 11, "seed": 1}, ["group of 2 from 9", "group of 1 from 102", "chain ended"]),
    # Two streams feeding each other, each end handler feeding the other, a last group in
    # between, and a stream after the cycle that must wait for all of it.
    "two_streams": ("""
fn one(i: int) -> int = i;
stream seed: int from generate(one, 1);
stream ping: int;
stream pong: int;
stream after: int;
flow twocycle {
    on new data of type int in seed as x { emit 1 to ping; }
    on new data of type int in ping as x { log "ping {x}"; if x < 6 { emit x + 1 to pong; } }
    on new data of type int in pong as x every 2 { emit len(x) * 10 to ping; }
    on end of ping { log "ping ended"; emit 1000 to pong; }
    on end of pong { log "pong ended"; emit 2000 to ping; emit 7 to after; }
    on new data of type int in after as x { log "after {x}"; }
    on end of after { log "after ended"; }
}
""", {"ping": 4, "pong": 2, "after": 1, "seed": 1}, ["ping 2000", "ping ended", "pong ended", "after 7", "after ended"]),
}
END_RUNS = 10  # of each flow, beside a CPU burner


def case_cycle_end_emits_back(xdmlc, tmp):
    burner = subprocess.Popen([sys.executable, "-c", BURNER])
    try:
        for name, (source, items, lines) in END_FLOWS.items():
            flow = os.path.join(tmp, name + ".xdml")
            with open(flow, "w") as f:
                f.write(source)
            for k in range(END_RUNS):
                run = f"{name} run {k + 1}"
                work, stats = os.path.join(tmp, f"{name}-{k}"), os.path.join(tmp, f"{name}-{k}.json")
                try:
                    p = subprocess.run([xdmlc, "run", flow, "--workdir", work, "--stats-json", stats],
                                       capture_output=True, text=True, timeout=60)
                except subprocess.TimeoutExpired:
                    raise Failure(f"{run}: did not end within 60 s (hung?)")
                check(p.returncode == 0, f"{run}: exit {p.returncode}: {p.stderr[-2000:]}")
                s = json.load(open(stats))
                check(s["items"] == items, f"{run}: items {s['items']}, expected {items}")
                check(s["lost_items"] == 0, f"{run}: {s['lost_items']} lost: {p.stderr[-1000:]}")
                check("ended when an item was emitted" not in p.stderr, f"{run}: {p.stderr[-500:]}")
                for line in lines:
                    check(p.stdout.count(line + "\n") == 1, f"{run}: '{line}' logged {p.stdout.count(line)} times: {p.stdout}")
            # The end rounds replay: the same firings in the same order of effects.
            r = subprocess.run([xdmlc, "replay", "--workdir", os.path.join(tmp, f"{name}-0"), "--quiet"],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, f"{name}: replay exit {r.returncode}: {r.stdout[-1000:]} {r.stderr[-1000:]}")
    finally:
        stop(burner)
    print(f"{len(END_FLOWS)} flows whose cycle's end emits back into it, {END_RUNS} runs each: every item handled")


CASES["cycle_end_emits_back"] = case_cycle_end_emits_back
