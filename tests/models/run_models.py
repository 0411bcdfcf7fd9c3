#!/usr/bin/python3
"""Models tests: flows with models run by `xdmlc run`, with their output, saved versions and
provenance asserted (docs/ml.md). One case per invocation (`run_models.py --xdmlc X CASE`)."""
import glob
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime"))
from run_runtime import EXAMPLES, Failure, check, npy_bytes, query, main as run_cases  # noqa: E402


def run(xdmlc, flow, work, *extra, text=None):
    if text is not None:
        os.makedirs(work, exist_ok=True)
        with open(flow, "w") as f:
            f.write(text)
    stats = os.path.join(work + ".stats.json")
    r = subprocess.run([xdmlc, "run", flow, "--workdir", work, "--stats-json", stats, *extra],
                       capture_output=True, text=True, timeout=600)
    r.stats = json.load(open(stats)) if os.path.exists(stats) else None
    return r


def check_history(db, model, trainings):
    """Versions 0..trainings of `model`, each the child of the one before, with its file and a
    train_stop decision; the training items and the parent are `used` by its activity."""
    rows = query(db, "SELECT id, version, parent, entity, metrics, items FROM models WHERE model = ? ORDER BY version", (model,))
    check([r[1] for r in rows] == list(range(trainings + 1)), f"{model}: versions {[r[1] for r in rows]}")
    for prev, row in zip(rows, rows[1:]):
        check(row[2] == prev[0], f"{model} v{row[1]}: parent {row[2]}, expected {prev[0]}")
        path = query(db, "SELECT path FROM entities WHERE id = ?", (row[3],))[0][0]
        check(os.path.exists(path), f"{model} v{row[1]}: no file {path}")
        metrics, items = json.loads(row[4]), json.loads(row[5])
        check(metrics["epochs"] >= 1 and items["train"], f"{model} v{row[1]}: metrics {metrics} items {items}")
        stops = query(db, "SELECT reason FROM decisions WHERE kind = 'train_stop' AND model_version = ?", (row[0],))
        check(len(stops) == 1, f"{model} v{row[1]}: {len(stops)} train_stop decisions")
        activity = query(db, "SELECT activity FROM generated WHERE entity = ?", (row[3],))[0][0]
        roles = dict(query(db, "SELECT role, count(*) FROM used WHERE activity = ? GROUP BY role", (activity,)))
        check(roles.get("parent") == 1 and roles.get("train", 0) == metrics["trained"],
              f"{model} v{row[1]}: used {roles}, trained {metrics['trained']}")
    return rows


# ---------------------------------------------------------------- cases

def case_examples(xdmlc, tmp):
    """ssx, pipeline4 and continual run to the end; continual's rehearsal is far ahead."""
    for name in ("ssx", "pipeline4"):
        work = os.path.join(tmp, name)
        r = run(xdmlc, os.path.join(EXAMPLES, name + ".xdml"), work)
        check(r.returncode == 0, f"{name}: exit {r.returncode}: {r.stdout}{r.stderr}")
    db = os.path.join(tmp, "ssx", "provenance.db")
    rows = check_history(db, "hitfinder", 5)  # 300 labeled frames, every 64: 5 trainings
    snapshots = query(db, "SELECT count(*) FROM entities WHERE kind = 'rehearsal_snapshot'")[0][0]
    check(snapshots == 4, f"ssx: {snapshots} rehearsal snapshots (the first training has an empty buffer)")
    members = query(db, "SELECT count(*) FROM derivations d JOIN entities e ON e.id = d.entity "
                        "WHERE e.kind = 'rehearsal_snapshot'")[0][0]
    check(members > 0, "a snapshot names the items it held")
    check(json.loads(rows[-1][4])["rehearsed"] > 0, "the last training drew rehearsed items")
    check_history(os.path.join(tmp, "pipeline4", "provenance.db"), "surrogate", 4)

    work = os.path.join(tmp, "continual")
    r = run(xdmlc, os.path.join(EXAMPLES, "continual.xdml"), work)
    check(r.returncode == 0, f"continual: exit {r.returncode}: {r.stdout}{r.stderr}")
    got = dict(re.findall(r"^(with rehearsal|without): (\S+)$", r.stdout, re.M))
    check(len(got) == 2, f"continual printed {r.stdout!r}")
    with_r, without = float(got["with rehearsal"]), float(got["without"])
    check(with_r >= 0.6 and with_r - without >= 0.3, f"rehearsal {with_r} vs none {without}")
    # The same seed gives the same versions, bit for bit.
    again = run(xdmlc, os.path.join(EXAMPLES, "continual.xdml"), os.path.join(tmp, "again"))
    # (The two `on end of` handlers may log in either order.)
    check(dict(re.findall(r"^(with rehearsal|without): (\S+)$", again.stdout, re.M)) == got,
          "a rerun from the same seed prints the same")
    for m in ("with_rehearsal", "without"):
        a = open(r.stats["models"][m]["file"], "rb").read()
        b = open(again.stats["models"][m]["file"], "rb").read()
        check(a == b, f"{m} v5 differs between two runs from seed 0")


TRAIN = """import std.ml;
type Frame = tensor<f32>[8, 8];
type Labeled = { x: Frame, y: string };
fn frame(i: int) -> Frame = noise(Frame, i) + (i % 2 == 0 ? 2.0 : 0.0);
fn labeled(i: int) -> Labeled = { x: frame(i), y: i % 2 == 0 ? "crystal" : "blank" };
stream examples: Labeled from generate(labeled, 200);
model finder { input: Frame, classes: ["blank", "crystal"], arch: ARCH }
flow teach {
    on new data of type Labeled in examples every 100 { train finder on examples @ { max_epochs: 3, optimizer: adam, lr: 0.01 }; }
    on end of examples { log "version {version(finder)} accuracy {accuracy(finder, examples)}"; }
}
"""

CLASSIFY = """import std.ml;
type Frame = tensor<f32>[8, 8];
type Crystal = Frame classified by finder as "crystal";
type Blank = Frame classified by finder as "blank";
fn frame(i: int) -> Frame = noise(Frame, 1000 + i) + (i % 2 == 0 ? 2.0 : 0.0);
stream frames: Frame from generate(frame, 50);
model finder { input: Frame, classes: ["blank", "crystal"], arch: load("MODEL") }
catalog seen: { i: int, cls: string, p: float } at "seen.db";
flow sort {
    on new data of type Crystal in frames as f { record { i: seq(f), cls: "crystal", p: probs(finder, f)[1] } in seen; }
    on new data of type Blank in frames as f { record { i: seq(f), cls: finder(f), p: probs(finder, f)[1] } in seen; }
}
"""


def case_classified(xdmlc, tmp):
    """A version saved by one run is `load`ed by another; classified types infer once per item."""
    for arch in ("mlp(hidden: [16])", "linear", "cnn(channels: [4, 8])"):
        work = os.path.join(tmp, "teach_" + arch.split("(")[0])
        r = run(xdmlc, work + ".xdml", work, text=TRAIN.replace("ARCH", arch))
        check(r.returncode == 0, f"{arch}: exit {r.returncode}: {r.stdout}{r.stderr}")
        m = re.search(r"version 2 accuracy (\S+)", r.stdout)
        check(m and float(m.group(1)) >= 0.85, f"{arch}: printed {r.stdout!r}")
        check_history(os.path.join(work, "provenance.db"), "finder", 2)
    model, = glob.glob(os.path.join(tmp, "teach_mlp", "models", "finder", "run*", "v2.pt"))
    work = os.path.join(tmp, "sort")
    r = run(xdmlc, work + ".xdml", work, text=CLASSIFY.replace("MODEL", model))
    check(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    rows = query(os.path.join(work, "seen.db"), "SELECT i, cls, p FROM seen ORDER BY i")
    check(len(rows) == 50, f"{len(rows)} items sorted, expected each of 50 once")
    right = sum(1 for i, cls, p in rows if cls == ("crystal" if i % 2 == 0 else "blank") and (p > 0.5) == (cls == "crystal"))
    check(right >= 45, f"only {right} of 50 sorted right: {rows}")
    db = os.path.join(work, "provenance.db")
    decisions = query(db, "SELECT subject, choice, model_version FROM decisions WHERE kind = 'inferred_type'")
    check(len(decisions) == 50 and len({d[0] for d in decisions}) == 50, f"{len(decisions)} inferences for 50 items")
    check(all(d[2] is not None for d in decisions), "each inference names the model version behind it")


BAD_LABELS = """import std.ml;
type Vec = tensor<f32>[4];
type Item = { x: Vec, y: int };
fn item(i: int) -> Item = { x: noise(Vec, i), y: i % 10 == 9 ? 7 : i % 2 };
stream items: Item from generate(item, 100);
model m { input: Vec, classes: 2, arch: linear }
flow f { on new data of type Item in items every 50 { train m on items; } }
"""

CORRUPT = """import std.ml;
type Vec = tensor<f32>[4];
fn v(i: int) -> Vec = noise(Vec, i);
stream vs: Vec from generate(v, 10);
model broken { input: Vec, classes: 2, arch: load("FILE") }
catalog out: { i: int } at "out.db";
flow f {
    on new data of type Vec in vs as x { log "class {broken(x)}"; }
    on new data of type Vec in vs as x { record { i: seq(x) } in out; }
}
"""


FILES = """import std.ml;
type V = tensor<f32>[4];
stream frames: V from files("in/*.npy");
model m { input: V, classes: ["dark", "lit"], arch: linear }
flow f { on new data of type V in frames as v { log "item {seq(v)}: {m(v)}"; } }
"""


def case_bad_input(xdmlc, tmp):
    """Labels outside the classes, corrupt or mismatched .pt files, wrong shapes: named, and the flow goes on."""
    work = os.path.join(tmp, "files")
    os.makedirs(os.path.join(work, "in"))
    for name, values, shape in (("a", [1.0] * 4, (4,)), ("b", [1.0] * 5, (5,)), ("c", [0.0] * 4, (4,))):
        open(os.path.join(work, "in", name + ".npy"), "wb").write(npy_bytes(values, shape))
    r = run(xdmlc, work + ".xdml", work, text=FILES)
    out = r.stdout + r.stderr
    check(r.returncode == 0 and "b.npy" in out and len(re.findall(r"^item \d: (dark|lit)$", r.stdout, re.M)) == 2,
          f"a file of the wrong shape is named and skipped, the others classified: {out}")

    work = os.path.join(tmp, "labels")
    r = run(xdmlc, work + ".xdml", work, text=BAD_LABELS)
    out = r.stdout + r.stderr
    check(r.returncode == 0, f"bad labels: exit {r.returncode}: {out}")
    check(re.search(r"labels\.xdml:7: train m on items: stream items item 9: label 7 is not one of model m's 2 classes", out),
          f"the bad label is named with its item and line: {out}")
    metrics = json.loads(query(os.path.join(work, "provenance.db"), "SELECT metrics FROM models WHERE version = 2")[0][0])
    check(metrics["trained"] + metrics["held_out"] == 45, f"the other 45 items of the second group trained: {metrics}")

    cases = {
        "garbage": (b"PK\x03\x04 this is not a zip archive" * 10, "not a TorchScript model"),
        "empty": (b"", "not a TorchScript model"),
        "missing": (None, "no such file"),
    }
    teacher = os.path.join(tmp, "teacher")
    r = run(xdmlc, teacher + ".xdml", teacher, text=TRAIN.replace("ARCH", "linear"))
    check(r.returncode == 0, f"teacher: {r.stdout}{r.stderr}")
    v1, = glob.glob(os.path.join(teacher, "models", "finder", "run*", "v1.pt"))
    cases["classes"] = (open(v1, "rb").read(), "forward fails")
    for name, (content, expected) in cases.items():
        work = os.path.join(tmp, name)
        os.makedirs(work, exist_ok=True)
        pt = os.path.join(work, "model.pt")
        if content is not None:
            open(pt, "wb").write(content)
        r = run(xdmlc, work + ".xdml", work, text=CORRUPT.replace("FILE", pt))
        out = r.stdout + r.stderr
        check(r.returncode == 1, f"{name}: exit {r.returncode}: {out}")
        check(re.search(rf"{name}\.xdml:5: model broken cannot be used: .*model\.pt.*{expected}", out), f"{name}: {out}")
        check(re.search(rf"{name}\.xdml:8: on new data of type Vec in vs \(item \d\): model broken cannot be used", out),
              f"{name}: the failing use is named: {out}")
        check(query(os.path.join(work, "out.db"), "SELECT count(*) FROM out")[0][0] == 10, f"{name}: the other handler went on")


HEADER = """import std.ml;
type V = tensor<f32>[4];
type L = { x: V, y: int };
fn g(i: int) -> L = { x: noise(V, i) + (i % 2 == 0 ? 1.0 : -1.0), y: i % 2 };
"""

IN_TASK = HEADER + """stream s: L from generate(g, 40);
model m { input: V, classes: 2, arch: mlp(hidden: [8]) }
policy fit { max_epochs: 7, validate: 0.5, batch: 4 }
task retrain() -> int @ fit { train m on s @ { max_epochs: 5, until: epoch >= 4 }; return version(m); }
flow f { on end of s { log "v={retrain()}"; } }
"""

NESTED = HEADER + """stream s: L from generate(g, 40);
model m { input: V, classes: 2, arch: mlp(hidden: [8]) }
policy fit { max_epochs: 7 }
task retrain() -> int @ fit { train m on s; return version(m); }
task outer() -> int { return retrain(); }
flow f @ { validate: 0.25, max_epochs: 2 } { on end of s { log "v={outer()}"; } }
"""

TWO_MODELS = HEADER + """stream s: L from generate(g, 300) rehearse { capacity: 32, select: balanced, memory: 64B, spill: "spill" };
model a { input: V, classes: 2, arch: mlp(hidden: [16]) }
model b { input: V, classes: 2, arch: linear }
flow f {
    on new data of type L in s every 50 { train a on s; }
    on new data of type L in s every 70 { train b on s @ { optimizer: adam, lr: 0.01 }; }
}
"""

LOAD_AND_TRAIN = HEADER + """stream s: L from generate(g, 40);
model m { input: V, classes: 2, arch: load("FILE") }
flow f { on new data of type L in s every 20 { train m on s @ { max_epochs: 3 }; } on end of s { log "v{version(m)}"; } }
"""

RETRY = HEADER + """stream s: L from generate(g, 40);
stream t: L from generate(g, 40);
model m { input: V, classes: 2, arch: linear }
flow f {
    on new data of type L in s every 20 { train m on s @ { until: epoch / (epoch - 2) > 100, max_epochs: 5 }; }
    on end of s { train m on s @ { validate: 0 }; train m on t @ { validate: 0 }; }
}
"""

SPILL_FAILS = HEADER + """stream s: L from generate(g, 60) rehearse { capacity: 50, memory: 16B, spill: "/proc/no/such/folder" };
model m { input: V, classes: 2, arch: linear }
flow f { on new data of type L in s every 20 { train m on s; } }
"""


def case_semantics(xdmlc, tmp):
    """Training inside a task, a loaded model trained, two models on one rehearsing stream,
    a failed training's items trained later, a spill failure, a work directory used twice."""
    work = os.path.join(tmp, "in_task")
    r = run(xdmlc, work + ".xdml", work, text=IN_TASK)
    check(r.returncode == 0 and "v=1" in r.stdout, f"in a task: {r.stdout}{r.stderr}")
    db = os.path.join(work, "provenance.db")
    stop = query(db, "SELECT reason FROM decisions WHERE kind = 'train_stop'")[0][0]
    check(stop.startswith("until epoch >= 4 held after epoch 4"), f"the statement's policy rules: {stop}")
    held = json.loads(query(db, "SELECT metrics FROM models WHERE version = 1")[0][0])["held_out"]
    check(held == 20, f"the task's policy fills in what the statement leaves out (validate 0.5): {held} held out")
    work = os.path.join(tmp, "nested")
    r = run(xdmlc, work + ".xdml", work, text=NESTED)
    metrics = json.loads(query(os.path.join(work, "provenance.db"), "SELECT metrics FROM models WHERE version = 1")[0][0])
    check(r.returncode == 0 and metrics["epochs"] == 7 and metrics["held_out"] == 10,
          f"a task called by a task: the flow's policy under the task's: {metrics} {r.stdout}{r.stderr}")

    files = []
    for i in (1, 2):
        work = os.path.join(tmp, f"two{i}")
        r = run(xdmlc, work + ".xdml", work, text=TWO_MODELS)
        check(r.returncode == 0, f"two models: {r.stdout}{r.stderr}")
        files.append({m: open(r.stats["models"][m]["file"], "rb").read() for m in ("a", "b")})
        members = query(os.path.join(work, "provenance.db"),
                        "SELECT count(*), count(DISTINCT from_entity) FROM derivations GROUP BY entity "
                        "HAVING entity IN (SELECT id FROM entities WHERE kind = 'rehearsal_snapshot')")
        check(members and all(n == distinct for n, distinct in members), f"a snapshot holds each item once: {members}")
    check(files[0] == files[1], "two models on one rehearsing, spilling stream: the same versions from the same seed")

    teacher = os.path.join(tmp, "teacher")
    r = run(xdmlc, teacher + ".xdml", teacher, text=TRAIN.replace("ARCH", "mlp(hidden: [8])"))
    v2 = r.stats["models"]["finder"]["file"]
    flow = HEADER.replace("type V = tensor<f32>[4];", "type V = tensor<f32>[8, 8];") + \
        LOAD_AND_TRAIN[len(HEADER):].replace("FILE", v2).replace("classes: 2", 'classes: ["blank", "crystal"]')
    work = os.path.join(tmp, "load")
    r = run(xdmlc, work + ".xdml", work, text=flow)
    check(r.returncode == 0 and "v2" in r.stdout, f"a loaded model trains: {r.stdout}{r.stderr}")

    work = os.path.join(tmp, "retry")
    r = run(xdmlc, work + ".xdml", work, text=RETRY)
    check(r.returncode == 1 and "division by zero" in r.stdout + r.stderr, f"the until fails: {r.stdout}{r.stderr}")
    trained = [json.loads(m)["trained"] for m, in query(os.path.join(work, "provenance.db"),
                                                        "SELECT metrics FROM models WHERE version > 0 ORDER BY version")]
    check(trained == [40, 40], f"the items of the failed trainings are trained on later: {trained}")

    work = os.path.join(tmp, "spill")
    r = run(xdmlc, work + ".xdml", work, text=SPILL_FAILS)
    out = r.stdout + r.stderr
    check(r.stats["models"]["m"]["version"] == 3, f"a spill failure keeps the versions: {out}")
    check("could not all enter the rehearsal buffer" in out and "/proc/no/such/folder" in out, f"and says why: {out}")

    work = os.path.join(tmp, "twice")
    for seed in ("1", "2"):
        r = run(xdmlc, work + ".xdml", work, "--seed", seed, text=TWO_MODELS)
        check(r.returncode == 0, f"run {seed}: {r.stdout}{r.stderr}")
    for path, in query(os.path.join(work, "provenance.db"), "SELECT path FROM entities WHERE kind = 'model_version'"):
        check(os.path.exists(path), f"{path}, which provenance names, is gone")
    runs = sorted(os.listdir(os.path.join(work, "models", "a")))
    check(runs == ["run1", "run2"], f"each run keeps its own versions: {runs}")


CASES = {name[len("case_"):]: f for name, f in globals().items() if name.startswith("case_")}


if __name__ == "__main__":
    sys.exit(run_cases(CASES, "xdml-models"))
