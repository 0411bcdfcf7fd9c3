#!/usr/bin/python3
"""bench_continual.py — class-incremental learning through the real runtime (see README.md).

A stream of 5 tasks of 2 classes each (10 classes, each a mixture of 3 Gaussians in 64
dimensions, means from a fixed seed, noise sigma 2.0), 1,000 training and 500 held-out items
per class, trains an MLP 64-256-256-10 (SGD, lr 0.05, batch 32, 2 epochs per task) by each
method, each an XDML flow run by `xdmlc run`:
  naive                        train on each task's items only;
  reservoir 200 / 500 / 2000   the stream rehearses (select: reservoir, mix 0.5);
  balanced 2000                the same with select: balanced;
  joint                        retrain on every item seen so far at each task's end.
Each saved version (one per task, `models/m/run<R>/v<N>.pt`) is then scored on the held-out items of every task by a
second flow that `load`s it, so the figures come from the files the runtime wrote. Printed:
final average accuracy over all tasks, forgetting (mean over tasks 1-4 of the best accuracy
a task ever had minus its final one), training and run wall time, the buffer's share of step
time, and a rerun of reservoir 2000 from the same seed (bit-identical versions).
It exits 1 when a run fails or cannot be measured; a goal not met does not fail it.
--smoke: tiny sizes, checks that everything runs, judges nothing (CTest runs it so)."""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TASKS = 5
DATA = """import std.ml;
type Vec  = tensor<f32>[64];
type Item = {{ x: Vec, y: int }};
const SIGMA = 2.0;
const N = {train};     // training items per class
const M = {test};      // held-out items per class

/// Class c's k-th mean (k < 3), from a fixed seed; an item is a mean plus noise.
fn sample(c: int, k: int, key: int) -> Item = {{ x: noise(Vec, 1000003 + c * 3 + k) + noise(Vec, key) * SIGMA, y: c }};
/// Training item i: task i / (2N) brings classes 2t and 2t+1, alternating.
fn train_item(i: int) -> Item = sample((i / (2 * N)) * 2 + i % 2, (i / 2) % 3, {seed} + i);
/// Held-out item j of task t.
fn test_item(t: int, j: int) -> Item = sample(t * 2 + j % 2, (j / 2) % 3, {seed} + 50000000 + t * 2 * M + j);
"""

MODEL = "model m {{ input: Vec, classes: 10, arch: mlp(hidden: [256, 256]) }}\n" \
        "policy fit {{ max_epochs: {epochs}, batch: 32, lr: 0.05, validate: 0 }}\n"

INCREMENTAL = DATA + MODEL + """
stream s: Item from generate(train_item, {total}){rehearse};
flow incremental {{
    on new data of type Item in s every {per_task} {{ train m on s @ fit; }}
}}
"""

# Joint: the stream replays, at task k, every item of tasks 1..k (interleaved), and the
# model trains on the whole block when its last item arrives.
JOINT = DATA + MODEL + """
const B = 2 * N;  // items per task
fn block(j: int) -> int = j < B ? 1 : j < 3 * B ? 2 : j < 6 * B ? 3 : j < 10 * B ? 4 : 5;
fn block_start(k: int) -> int = B * k * (k - 1) / 2;
fn joint_item(j: int) -> Item = train_item(((j - block_start(block(j))) % block(j)) * B + (j - block_start(block(j))) / block(j));
fn block_end(j: int) -> bool = j + 1 == block_start(block(j) + 1);
stream s: Item from generate(joint_item, 15 * B);
flow joint {{
    on new data of type Item in s as x {{ if block_end(seq(x)) {{ train m on s @ fit; }} }}
}}
"""

EVAL = DATA + """
{models}
{streams}
flow score {{
{handlers}
}}
"""

METHODS = [
    ("naive", "incremental", ""),
    ("reservoir 200", "incremental", "reservoir:200"),
    ("reservoir 500", "incremental", "reservoir:500"),
    ("reservoir 2000", "incremental", "reservoir:2000"),
    ("balanced 2000", "incremental", "balanced:2000"),
    ("joint", "joint", ""),
]


def say(line=""):
    print(line, flush=True)


def run(xdmlc, flow_text, workdir, name, seed=0):
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, name + ".xdml")
    with open(path, "w") as f:
        f.write(flow_text)
    stats = os.path.join(workdir, name + ".stats.json")
    started = time.monotonic()
    p = subprocess.run([xdmlc, "run", path, "--workdir", workdir, "--stats-json", stats, "--seed", str(seed)],
                       capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - started
    if p.returncode != 0:
        raise RuntimeError(f"{name}: xdmlc run failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    with open(stats) as f:
        return p.stdout, json.load(f), wall


def score_versions(xdmlc, workdir, versions, size):
    """Accuracy of versions 1..5 (in folder `versions`) on the held-out items of tasks 0..4: acc[v][t]."""
    models, streams, handlers = [], [], []
    for v in range(1, TASKS + 1):
        pt = os.path.join(versions, f"v{v}.pt")
        models.append(f'model v{v} {{ input: Vec, classes: 10, arch: load("{pt}") }}')
    for t in range(TASKS):
        streams.append(f"fn held_out{t}(j: int) -> Item = test_item({t}, j);")
        streams.append(f"stream test{t}: Item from generate(held_out{t}, {2 * size['test']});")
        logs = " ".join(f'log "acc {v} {t} {{accuracy(v{v}, test{t})}}";' for v in range(1, TASKS + 1))
        handlers.append(f"    on end of test{t} {{ {logs} }}")
    text = EVAL.format(models="\n".join(models), streams="\n".join(streams), handlers="\n".join(handlers), **size)
    out, _, _ = run(xdmlc, text, os.path.join(workdir, "score"), "score")
    acc = {}
    for v, t, a in re.findall(r"^acc (\d+) (\d+) (\S+)$", out, re.M):
        acc.setdefault(int(v), {})[int(t)] = float(a)
    if len(acc) != TASKS or any(len(acc[v]) != TASKS for v in acc):
        raise RuntimeError(f"scoring printed {out!r}")
    return acc


def method_flow(kind, rehearse, size):
    fields = dict(size, total=2 * size["train"] * TASKS, per_task=2 * size["train"], rehearse="")
    if rehearse:
        select, capacity = rehearse.split(":")
        fields["rehearse"] = f"\n    rehearse {{ capacity: {capacity}, select: {select}, mix: 0.5 }}"
    return (JOINT if kind == "joint" else INCREMENTAL).format(**fields)


def measure(xdmlc, scratch, label, kind, rehearse, size, seed=0, tag=""):
    workdir = os.path.join(scratch, re.sub(r"\W+", "_", label + tag))
    _, stats, wall = run(xdmlc, method_flow(kind, rehearse, size), workdir, "train", seed)
    versions = os.path.dirname(stats["models"]["m"]["file"])  # <workdir>/models/m/run<R>
    acc = score_versions(xdmlc, workdir, versions, size)
    final = [acc[TASKS][t] for t in range(TASKS)]
    # Forgetting of task t: the best it ever scored after being learned, minus its final score.
    forgetting = [max(acc[v][t] for v in range(t + 1, TASKS + 1)) - acc[TASKS][t] for t in range(TASKS - 1)]
    m = stats["models"]["m"]
    hashes = []
    for v in range(1, TASKS + 1):
        with open(os.path.join(versions, f"v{v}.pt"), "rb") as f:
            hashes.append(hashlib.sha256(f.read()).hexdigest())
    return {
        "accuracy": sum(final) / TASKS,
        "forgetting": sum(forgetting) / (TASKS - 1),
        "train_seconds": m["train_seconds"],
        "wall": wall,
        "buffer_share": m["buffer_share_of_step"],
        "per_task": final,
        "hashes": hashes,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(os.path.dirname(os.path.dirname(here)), "build", "xdmlc")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xdmlc", default=default)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs, judge nothing")
    ap.add_argument("--seed", type=int, default=0, help="the data's seed (the runs use --seed 0)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    size = {"train": 20, "test": 10, "epochs": 1, "seed": args.seed} if args.smoke else \
           {"train": 1000, "test": 500, "epochs": 2, "seed": args.seed}
    scratch = tempfile.mkdtemp(prefix="bench_continual_")
    results = {}
    try:
        for label, kind, rehearse in METHODS:
            results[label] = r = measure(args.xdmlc, scratch, label, kind, rehearse, size)
            say(f"{label:<15} accuracy {r['accuracy']:.4f}  forgetting {r['forgetting']:.4f}  "
                f"training {r['train_seconds']:.2f} s  run {r['wall']:.2f} s  buffer {100 * r['buffer_share']:.3f}% of step  "
                f"per task {' '.join(f'{a:.3f}' for a in r['per_task'])}")
        again = measure(args.xdmlc, scratch, "reservoir 2000", "incremental", "reservoir:2000", size, tag="_again")
        same = again["hashes"] == results["reservoir 2000"]["hashes"] and again["accuracy"] == results["reservoir 2000"]["accuracy"]
        say(f"reservoir 2000 again from seed 0: accuracy {again['accuracy']:.4f}, versions "
            f"{'bit-identical' if same else 'DIFFERENT'}")
    except (RuntimeError, subprocess.TimeoutExpired, OSError, KeyError) as e:
        say(f"error: {e}")
        return 1
    finally:
        if args.keep:
            say(f"scratch: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.smoke:
        return 0 if same else 1
    naive, r2000, joint = results["naive"], results["reservoir 2000"], results["joint"]
    rows = [
        ("rehearsal-2000 accuracy (reservoir)", f"{r2000['accuracy']:.4f}", ">= 0.76", r2000["accuracy"] >= 0.76),
        ("rehearsal-2000 forgetting", f"{r2000['forgetting']:.4f}", "<= 0.21", r2000["forgetting"] <= 0.21),
        ("balanced-2000 accuracy / forgetting", f"{results['balanced 2000']['accuracy']:.4f} / "
         f"{results['balanced 2000']['forgetting']:.4f}", "(no goal)", None),
        ("reproducible from its seed", "bit-identical" if same else "different", "identical", same),
        ("buffer work, share of step time", f"{100 * r2000['buffer_share']:.3f}%", "<= 1%", r2000["buffer_share"] <= 0.01),
        ("training time vs naive", f"{r2000['train_seconds'] / naive['train_seconds']:.2f}x", "<= 1.35x",
         r2000["train_seconds"] <= 1.35 * naive["train_seconds"]),
        ("training time vs joint", f"{r2000['train_seconds'] / joint['train_seconds']:.2f}x", "<= 0.6x",
         r2000["train_seconds"] <= 0.6 * joint["train_seconds"]),
        ("run wall time vs naive / joint", f"{r2000['wall'] / naive['wall']:.2f}x / {r2000['wall'] / joint['wall']:.2f}x",
         "(whole runs)", None),
    ]
    say()
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    say(f"{'figure':<{w[0]}}  {'measured':<{w[1]}}  {'goal':<{w[2]}}  met")
    for figure, measured, goal, met in rows:
        verdict = "met" if met is True else "not met" if met is False else "-"
        say(f"{figure:<{w[0]}}  {measured:<{w[1]}}  {goal:<{w[2]}}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
