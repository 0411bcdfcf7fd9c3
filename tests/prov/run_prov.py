#!/usr/bin/python3
"""Provenance query tests: runs of the examples and of small flows, asked through `xdmlc prov`
and `xdmlc replay` (docs/provenance.md), with the answers checked against the database and
against each other. The PROV-JSON export is read back by the W3C `prov` package (python3-prov)
and written as PROV-N. One case per invocation (`run_prov.py --xdmlc X CASE`)."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime"))
from run_runtime import EXAMPLES, check, npy_bytes, query, main as run_cases  # noqa: E402

# A quality-control flow over files: a predicate-decided type, an emit-fed stream whose order
# the scheduler decides, a catalog and written files: everything a replay must reproduce.
QC = """import std.io;
site edge { cores: 2, memory: 8GiB, storage: 1TB }
type Frame = tensor<f32>[8, 8];
type Bright = Frame where mean(it) > 0.5;
type Summary = { id: int, total: float };
stream frames: Frame from files("data/*.npy") at edge;
stream bright: Frame;
catalog sums: Summary at "sums.db";
task summarize(f: Frame) -> Summary { return { id: seq(f), total: sum(f) }; }
task double(f: Frame) -> Frame { return f * 2.0; }
flow qc {
    on new data of type Frame in frames as f { record summarize(f) in sums; }
    on new data of type Bright in frames as f { emit double(f) to bright; }
    on new data of type Frame in bright as b { write("out/b_{seq(b)}.npy", b * 0.5); }
}
"""


def xdmlc_run(xdmlc, flow, work, *extra):
    r = subprocess.run([xdmlc, "run", flow, "--workdir", work, "--quiet", *extra],
                       capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, f"run {flow}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return r


def prov(xdmlc, work, *args, code=0):
    r = subprocess.run([xdmlc, "prov", *args, "--workdir", work], capture_output=True, text=True, timeout=600)
    check(r.returncode == code, f"prov {' '.join(args)}: exit {r.returncode} (expected {code}): {r.stdout}{r.stderr}")
    return r


def prov_json(xdmlc, work, *args, code=0):
    return json.loads(prov(xdmlc, work, *args, "--json", code=code).stdout)


def replay(xdmlc, work, *args):
    return subprocess.run([xdmlc, "replay", "--workdir", work, "--quiet", *args],
                          capture_output=True, text=True, timeout=600)


# Training and inference at once: which version answers `finder(f)` is the scheduler's choice,
# so a replay must answer each firing with the version the recorded run used; the classifying
# firings are slow, so they often use a version whose training needs items queued behind them.
RACE = """import std.ml;
type Frame = tensor<f32>[16];
type Crystal = Frame classified by finder as "crystal";
type Lab = { x: Frame, y: int };
type Big = tensor<f32>[100000];
type Cl = { id: int, c: string };
catalog cl: Cl at "cl.db";
catalog crys: Cl at "cl.db";
fn frame(i: int) -> Frame = noise(Frame, i) + (i % 3 == 0 ? 1.0 : -0.2);
stream frames: Frame from generate(frame, 400);
stream lab: Lab;
model finder { input: Frame, classes: ["blank", "crystal"], arch: mlp(hidden: [8]) }
flow race {
    on new data of type Frame in frames as f { emit { x: f, y: mean(f) > 0.0 ? 1 : 0 } to lab; }
    on new data of type Lab in lab every 50 { train finder on lab @ { max_epochs: 2 }; }
    on new data of type Crystal in frames as c { record { id: seq(c), c: "crystal" } in crys; }
    on new data of type Frame in frames as f {
        // Asked late, the model answers with versions trained on items emitted after this one.
        let slow = sum(noise(Big, seq(f)));
        record { id: seq(f), c: slow > 1e9 ? "?" : finder(f) } in cl;
    }
}
"""


def qc_workdir(tmp, name, frames=8):
    """A work directory with the QC flow and `frames` input files (every other one bright)."""
    work = os.path.join(tmp, name)
    os.makedirs(os.path.join(work, "data"), exist_ok=True)
    flow = os.path.join(tmp, "qc.xdml")
    with open(flow, "w") as f:
        f.write(QC)
    for i in range(frames):
        write_frame(work, i, 1.0 if i % 2 == 0 else 0.1)
    return flow, work


def write_frame(work, i, level):
    with open(os.path.join(work, "data", f"f_{i}.npy"), "wb") as f:
        f.write(npy_bytes([level + 0.01 * k for k in range(64)], (8, 8)))


def ids(graph):
    return {e["id"] for e in graph["entities"]}


# ---------------------------------------------------------------- cases

def case_examples(xdmlc, tmp):
    """ssx, the flagship: every question answered, and the answers agree with the database."""
    work = os.path.join(tmp, "ssx")
    xdmlc_run(xdmlc, os.path.join(EXAMPLES, "ssx.xdml"), work)
    db = os.path.join(work, "provenance.db")

    runs = prov_json(xdmlc, work, "runs")
    check(len(runs) == 1 and runs[0]["status"] == "complete", f"runs: {runs}")
    r = runs[0]
    check(r["entities"] == query(db, "SELECT count(*) FROM entities")[0][0] and r["decisions"] > 0 and r["invalid"] == 0,
          f"runs counts: {r}")
    check(len(r["script_hash"]) == 16 and r["script_path"].endswith("ssx.xdml"), f"runs script: {r}")
    text = prov(xdmlc, work, "runs").stdout
    check("complete" in text and r["script_hash"] in text, f"runs text:\n{text}")

    # Lineage of a record: back through its handler and the task `index` to a frame and the
    # model version the task used; each source is an entity nothing made.
    graph = prov_json(xdmlc, work, "lineage", "stills#1")
    kinds = {a["kind"] + ":" + a["name"] for a in graph["activities"]}
    check("task:index" in kinds, f"lineage activities: {kinds}")
    sources = [e for e in graph["entities"] if e["id"] in graph["ends"]]
    check({e["kind"] for e in sources} == {"item", "model_version"}, f"lineage sources: {sources}")
    frame = next(e for e in sources if e["kind"] == "item")
    check(frame["stream"] == "frames", f"lineage source: {frame}")
    for e in sources:
        made = query(db, "SELECT count(*) FROM generated WHERE entity = ?", (e["id"],))[0][0]
        derived = query(db, "SELECT count(*) FROM derivations WHERE entity = ?", (e["id"],))[0][0]
        check(made == 0 and (derived == 0 or e["kind"] == "model_version"), f"source {e['id']} has a maker")
    record = graph["root"]
    # Impact is lineage read forward: the record is among what its frame made.
    impact = prov_json(xdmlc, work, "impact", f"frames[{frame['seq']}]")
    check(record in ids(impact), f"impact of frames[{frame['seq']}] misses record {record}")
    check(any(e["kind"] == "item" and e["stream"] == "labeled" for e in impact["entities"]),
          "impact of a frame misses the labeled item made from it")
    deep = prov_json(xdmlc, work, "lineage", "stills#1", "--depth", "1")
    check(ids(deep) < ids(graph), "lineage --depth 1 is not a part of the whole lineage")
    dot = prov(xdmlc, work, "lineage", "stills#1", "--dot").stdout
    check(dot.startswith("digraph lineage") and "wasGeneratedBy" in dot and dot.rstrip().endswith("}"), f"dot:\n{dot}")
    tree = prov(xdmlc, work, "lineage", "stills#1").stdout
    check("sources (" in tree and "task index" in tree, f"lineage text:\n{tree}")

    # Why: the trigger (a Hit is decided by a predicate), the placement of `index`, the model
    # version the task used.
    why = prov_json(xdmlc, work, "why", "stills#1")
    decided = {d["kind"]: d for d in why["decisions"]}
    check("trigger" in decided and "is a Hit" in decided["trigger"]["reason"], f"why decisions: {why['decisions']}")
    check(decided.get("placement", {}).get("choice") == "beamline", f"why placement: {why['decisions']}")
    check(any(m["model"] == "hitfinder" for m in why["models"]), f"why models: {why['models']}")
    training = query(db, "SELECT id FROM activities WHERE kind = 'training' ORDER BY id LIMIT 1")[0][0]
    why = prov_json(xdmlc, work, "why", f"activity:{training}")
    stops = [d for d in why["decisions"] if d["kind"] == "train_stop"]
    check(len(stops) == 1 and "until accuracy >= 0.9" in stops[0]["reason"], f"why training: {why['decisions']}")
    produced = prov_json(xdmlc, work, "produced-by", "stills#1")
    check(produced["versions"] and produced["versions"][0]["model"] == "hitfinder", f"produced-by: {produced}")

    # The version chain: six versions, each the child of the one before, with data and stops.
    history = prov_json(xdmlc, work, "models", "hitfinder")
    versions = history["versions"]
    check([v["version"] for v in versions] == list(range(6)), f"models: {[v['version'] for v in versions]}")
    for prev, v in zip(versions, versions[1:]):
        check(v["parent"] == prev["id"] and v["parent_version"] == prev["version"], f"models: v{v['version']} parent")
        check(v["trained_items"] > 0 and v["train_stop"] and v["weights"]["hash"], f"models: v{v['version']}: {v}")
        check(os.path.exists(v["weights"]["path"]), f"models: no weights file {v['weights']['path']}")
    check(all(v["snapshot"]["size"] > 0 for v in versions[2:]), "models: a rehearsing version without its snapshot")
    text = prov(xdmlc, work, "models", "hitfinder").stdout
    check("v5 <- v4" in text and "stopped:" in text, f"models text:\n{text}")

    # Decisions: the counts by kind are the database's, a kind filters, the list is in order.
    decisions = prov_json(xdmlc, work, "decisions", "--limit", "0")
    by_kind = dict(query(db, "SELECT kind, count(*) FROM decisions GROUP BY kind"))
    check(decisions["by_kind"] == by_kind and decisions["total"] == sum(by_kind.values()), f"decisions: {decisions['by_kind']}")
    times = [d["time"] for d in decisions["decisions"]]  # concurrent steps record out of id order
    check(len(times) == decisions["total"] and times == sorted(times), "decisions: all of them, in time order")
    stops = prov_json(xdmlc, work, "decisions", "--kind", "train_stop", "--limit", "2")
    check(stops["matching"] == by_kind["train_stop"] and len(stops["decisions"]) == 2
          and all(d["kind"] == "train_stop" for d in stops["decisions"]), f"decisions --kind: {stops}")
    text = prov(xdmlc, work, "decisions", "--kind", "train_stop", "--limit", "2").stdout
    check(f"(2 of {by_kind['train_stop']} shown" in text and "train_stop  activity:" in text, f"decisions text:\n{text}")

    # The same entity named four ways.
    item = query(db, "SELECT id FROM entities WHERE stream = 'frames' AND seq = 3")[0][0]
    for name in (str(item), f"entity:{item}", "frames[3]"):
        check(prov_json(xdmlc, work, "why", name)["entity"]["id"] == item, f"{name} does not name entity {item}")
    v2 = query(db, "SELECT entity FROM models WHERE model = 'hitfinder' AND version = 2")[0][0]
    check(prov_json(xdmlc, work, "why", "hitfinder@2")["entity"]["id"] == v2, "hitfinder@2 does not name version 2")


def case_export(xdmlc, tmp):
    """PROV-JSON read back by the W3C prov package and written as PROV-N; our PROV-N says the
    same; the RO-Crate describes the script, outputs and model versions it holds."""
    import prov as provlib  # python3-prov
    work = os.path.join(tmp, "ssx")
    xdmlc_run(xdmlc, os.path.join(EXAMPLES, "ssx.xdml"), work)
    db = os.path.join(work, "provenance.db")
    out = os.path.join(tmp, "ssx.prov.json")
    prov(xdmlc, work, "export", "--format", "prov-json", "-o", out)
    doc = provlib.read(out, format="json")
    provn = doc.get_provn()
    lines = provn.splitlines()
    entities = query(db, "SELECT count(*) FROM entities")[0][0]
    count = lambda prefix: sum(1 for l in lines if l.strip().startswith(prefix + "("))  # noqa: E731
    check(count("entity") == entities + 1, f"PROV-N via prov: {count('entity')} entities, {entities} recorded (+ the script)")
    check(count("activity") == query(db, "SELECT count(*) FROM activities")[0][0], "PROV-N: activities")
    check(count("used") == query(db, "SELECT count(*) FROM used")[0][0], "PROV-N: used")
    check(count("wasGeneratedBy") == query(db, "SELECT count(*) FROM generated")[0][0], "PROV-N: wasGeneratedBy")
    check(count("wasDerivedFrom") == query(db, "SELECT count(*) FROM derivations")[0][0], "PROV-N: wasDerivedFrom")
    revisions = [l for l in lines if "wasDerivedFrom" in l and "prov:Revision" in l]
    check(len(revisions) == 5, f"PROV-N: {len(revisions)} revisions (5 trainings)")
    handlers = query(db, "SELECT count(DISTINCT a.id) FROM activities a JOIN used u ON u.activity = a.id "
                         "WHERE a.kind = 'handler' AND u.role = 'item'")[0][0]
    check(count("wasStartedBy") == handlers, f"PROV-N: {count('wasStartedBy')} wasStartedBy, {handlers} triggered handlers")
    check(count("agent") == 1 and count("wasAssociatedWith") == count("activity"), "PROV-N: the run agent")
    # Our own PROV-N writer gives the same records.
    ours = prov(xdmlc, work, "export", "--format", "prov-n").stdout.splitlines()
    for kind in ("entity", "activity", "used", "wasGeneratedBy", "wasDerivedFrom", "wasStartedBy"):
        mine = sum(1 for l in ours if l.strip().startswith(kind + "("))
        check(mine == count(kind), f"our PROV-N has {mine} {kind}, prov's {count(kind)}")
    check(ours[0] == "document" and ours[-1] == "endDocument", "PROV-N: not a document")

    crate = os.path.join(tmp, "crate")
    prov(xdmlc, work, "export", "--format", "ro-crate", crate)
    meta = json.load(open(os.path.join(crate, "ro-crate-metadata.json")))
    check(meta["@context"] == "https://w3id.org/ro/crate/1.1/context", "RO-Crate: @context")
    graph = {n["@id"]: n for n in meta["@graph"]}
    root = graph["./"]
    check({"@id": "https://w3id.org/ro/wfrun/workflow/0.5"} in root["conformsTo"], f"RO-Crate root: {root}")
    check(root["mainEntity"] == {"@id": "ssx.xdml"} and "ComputationalWorkflow" in graph["ssx.xdml"]["@type"], "RO-Crate: script")
    action = next(n for n in meta["@graph"] if n.get("@type") == "CreateAction")
    check(action["instrument"] == {"@id": "ssx.xdml"} and action["actionStatus"] == "http://schema.org/CompletedActionStatus", f"action: {action}")
    results = [r["@id"] for r in action["result"]]
    check(sum(1 for r in results if r.startswith("models/hitfinder/")) == 6, f"RO-Crate results: {results}")
    for part in root["hasPart"]:
        path = os.path.join(crate, part["@id"])
        check(os.path.isfile(path), f"RO-Crate: {part['@id']} listed but not in the crate")
    check(os.path.exists(os.path.join(crate, "provenance.json")), "RO-Crate: no provenance.json")
    again = prov(xdmlc, work, "export", "--format", "ro-crate", crate, code=1)
    check("must be new or empty" in again.stderr, f"RO-Crate into a full folder: {again.stderr}")


def case_replay(xdmlc, tmp):
    """A replay reproduces its run: ssx (models, rehearsal, emit order) and the QC flow (files,
    predicates, written files); diff of a run and its replay finds nothing."""
    work = os.path.join(tmp, "ssx")
    xdmlc_run(xdmlc, os.path.join(EXAMPLES, "ssx.xdml"), work)
    r = replay(xdmlc, work)
    check(r.returncode == 0 and "reproduced it" in r.stdout, f"ssx replay: exit {r.returncode}: {r.stdout}{r.stderr}")
    runs = prov_json(xdmlc, work, "runs")
    check(len(runs) == 2 and runs[1].get("replay_of") == 1, f"runs after replay: {runs}")
    db = os.path.join(work, "provenance.db")
    # Inferred types are taken from the log, not recomputed: the replay asked no predicate.
    triggers = query(db, "SELECT run, count(*) FROM decisions WHERE kind = 'trigger' GROUP BY run")
    check(triggers[0][1] == triggers[1][1], f"trigger decisions per run: {triggers}")

    flow, work = qc_workdir(tmp, "qc")
    xdmlc_run(xdmlc, flow, work)
    report = json.loads(subprocess.run([xdmlc, "replay", "--workdir", work, "--json"], capture_output=True,
                                       text=True, timeout=600).stdout)
    check(report["identical"] and report["original"] == 1 and report["replay"] == 2, f"qc replay: {report}")
    folder = report["folder"]
    check(sorted(os.listdir(os.path.join(folder, "out"))) == sorted(os.listdir(os.path.join(work, "out"))),
          "qc replay: other files written")
    check(os.path.exists(os.path.join(folder, "sums.db")), "qc replay: its catalog is not in its own folder")
    diff = prov(xdmlc, work, "diff", "1", "2").stdout
    check("identical" in diff, f"diff of a run and its replay:\n{diff}")
    # A work directory moved elsewhere (archived, copied to another machine) still replays,
    # and its files are still named by their paths.
    moved = os.path.join(tmp, "archive", "qc")
    shutil.move(work, moved)
    r = replay(xdmlc, moved, "--run", "1")
    check(r.returncode == 0 and "reproduced it" in r.stdout, f"replay of a moved work directory: {r.stdout}{r.stderr}")
    check(prov_json(xdmlc, moved, "why", os.path.join(moved, "data", "f_1.npy"), "--run", "1")["entity"]["seq"] == 1,
          "a moved work directory's file is not found by its new path")
    shutil.move(moved, work)
    # `--run` replays an older run.
    r = replay(xdmlc, work, "--run", "1")
    check(r.returncode == 0, f"replay --run 1: {r.stdout}{r.stderr}")

    # Model calls racing trainings: each firing is answered by the recorded version.
    race = os.path.join(tmp, "race.xdml")
    with open(race, "w") as f:
        f.write(RACE)
    work = os.path.join(tmp, "race")
    xdmlc_run(xdmlc, race, work)
    for _ in range(2):
        r = replay(xdmlc, work)
        check(r.returncode == 0 and "reproduced it" in r.stdout, f"race replay: exit {r.returncode}: {r.stdout}{r.stderr}")
    # A firing waiting for its version is parked, not holding a handler thread: with one thread
    # per stream the classifying firings would otherwise stand in front of the emits that feed
    # the trainings they wait for (and give up after a minute each, diverging).
    started = time.monotonic()
    r = replay(xdmlc, work, "--handler-threads", "1")
    check(r.returncode == 0 and "reproduced it" in r.stdout and "was not trained in the replay" not in r.stdout + r.stderr,
          f"race replay on one handler thread: exit {r.returncode}: {r.stdout}{r.stderr}")
    check(time.monotonic() - started < 120, f"race replay on one handler thread took {time.monotonic() - started:.0f} s")
    # A replay defaults to the latest run that is not itself a replay.
    runs = prov_json(xdmlc, work, "runs")
    check([r.get("replay_of") for r in runs] == [None, 1, 1, 1], f"race runs: {[r.get('replay_of') for r in runs]}")


def case_replay_examples(xdmlc, tmp):
    """Every other example replays to identical outputs: models and rehearsal (continual,
    pipeline4), files a flow writes for itself (statements), relays across sites."""
    for name in ("pipeline4", "continual", "statements", "relay", "hitfinder"):
        work = os.path.join(tmp, name)
        xdmlc_run(xdmlc, os.path.join(EXAMPLES, name + ".xdml"), work)
        r = replay(xdmlc, work)
        check(r.returncode == 0 and "reproduced it" in r.stdout, f"{name} replay: exit {r.returncode}: {r.stdout}{r.stderr}")
        d = prov_json(xdmlc, work, "diff", "1", "2")
        check(d["identical"]["inputs"] and d["identical"]["outputs"], f"{name}: diff of a run and its replay: {d['groups']}")


def case_altered(xdmlc, tmp):
    """An input changed on purpose is caught by replay (the first divergence, with its lineage)
    and by diff between the original and a new run."""
    flow, work = qc_workdir(tmp, "qc")
    xdmlc_run(xdmlc, flow, work)
    write_frame(work, 2, 3.0)  # f_2 was bright (1.0); it is still bright, with other values
    r = replay(xdmlc, work)
    check(r.returncode == 1 and "DIVERGED" in r.stdout, f"altered replay: exit {r.returncode}: {r.stdout}{r.stderr}")
    first = r.stdout.split("first divergence:", 1)[1].splitlines()[0]
    check("input item frames" in first and "f_2.npy" in first, f"first divergence: {first}")
    check("its lineage" in r.stdout, f"no lineage: {r.stdout}")
    report = json.loads(subprocess.run([xdmlc, "replay", "--workdir", work, "--json", "--run", "1"],
                                       capture_output=True, text=True, timeout=600).stdout)
    check(not report["identical"] and report["first_divergence"]["row"]["path"].endswith("f_2.npy"), f"json: {report}")
    outputs = [g for g in report["diff"]["groups"] if g["category"] == "output"]
    check(any(g["kind"] == "record" for g in outputs) and any(g["kind"] == "file" for g in outputs),
          f"altered replay: outputs that differ: {[g['group'] for g in outputs]}")
    # A new run on the altered data, then diff: the input, the records and the files differ.
    xdmlc_run(xdmlc, flow, work)
    d = prov_json(xdmlc, work, "diff", "1", "4", code=1)
    inputs = [g for g in d["groups"] if g["category"] == "input"]
    check(len(inputs) == 1 and inputs[0]["only_a_count"] == 1 and inputs[0]["only_b_count"] == 1, f"diff inputs: {inputs}")
    check(inputs[0]["only_a"][0]["path"].endswith("f_2.npy") and inputs[0]["only_a"][0]["seq"] == 2, f"diff input: {inputs}")
    check(not d["identical"]["outputs"] and d["identical"]["script"], f"diff identical: {d['identical']}")
    text = prov(xdmlc, work, "diff", "1", "4", code=1).stdout
    check("inputs: 1 group(s) differ" in text and "f_2.npy" in text and "the runs differ" in text, f"diff text:\n{text}")


def case_invalidate(xdmlc, tmp):
    """An invalidated input marks everything made from it; queries show it, and a later run
    that reads the same content warns and records its results invalid."""
    flow, work = qc_workdir(tmp, "qc")
    xdmlc_run(xdmlc, flow, work)
    db = os.path.join(work, "provenance.db")
    path = os.path.join(work, "data", "f_0.npy")
    impact = prov_json(xdmlc, work, "impact", path)
    result = prov_json(xdmlc, work, "invalidate", path, "--reason", "detector glitch")
    check(result["invalidated"] == len(impact["entities"]) and result["reason"] == "detector glitch", f"invalidate: {result}")
    invalid = {row[0] for row in query(db, "SELECT id FROM entities WHERE valid = 0")}
    check(invalid == ids(impact), f"invalid entities {sorted(invalid)}, impact {sorted(ids(impact))}")
    kinds = {row[0] for row in query(db, "SELECT kind FROM entities WHERE valid = 0")}
    check({"item", "record", "file"} <= kinds, f"invalidated kinds: {kinds}")
    check(prov_json(xdmlc, work, "runs")[0]["invalid"] == len(invalid), "runs: the invalid count")
    record = next(e for e in impact["entities"] if e["kind"] == "record")
    why = prov_json(xdmlc, work, "lineage", str(record["id"]))
    check(any(not e["valid"] for e in why["entities"]), "lineage does not show the invalid entities")
    check("INVALID" in prov(xdmlc, work, "lineage", str(record["id"])).stdout, "lineage text does not mark INVALID")
    decision = prov_json(xdmlc, work, "why", path)["decisions"]
    check(any(d["kind"] == "invalidation" and d["reason"] == "detector glitch" for d in decision), f"why: {decision}")
    again = prov_json(xdmlc, work, "invalidate", path)
    check(again["invalidated"] == 0 and again["already_invalid"] == result["invalidated"], f"invalidate twice: {again}")
    # A later run on the same data: warned, and its item and what it made are invalid.
    r = subprocess.run([xdmlc, "run", flow, "--workdir", work, "--quiet"], capture_output=True, text=True, timeout=600)
    check(r.returncode == 0 and "invalidated" in r.stderr, f"later run: {r.stderr}")
    later = query(db, "SELECT e.id, e.kind FROM entities e WHERE e.run = 2 AND e.valid = 0")
    check(any(k == "item" for _, k in later) and any(k == "record" for _, k in later), f"later run invalid: {later}")
    # f_0, f_2, f_4 and f_6 hold the same frame: each is recognised.
    same = query(db, "SELECT count(*) FROM entities WHERE run = 2 AND kind = 'item' AND hash = "
                     "(SELECT hash FROM entities WHERE path = ? AND run = 1)", (path,))[0][0]
    flagged = query(db, "SELECT count(*) FROM decisions WHERE run = 2 AND kind = 'invalidation'")[0][0]
    check(same == 4 and flagged == same, f"later run: {flagged} invalidation decisions, {same} items with that content")


def case_bad_input(xdmlc, tmp):
    """Wrong work directories, databases, names, runs and folders: a clear error, exit 1 or 2."""
    def fails(args, words, code=1, cwd=None):
        r = subprocess.run([xdmlc, *args], capture_output=True, text=True, timeout=120, cwd=cwd)
        check(r.returncode == code and all(w in r.stderr for w in words),
              f"{' '.join(args)}: exit {r.returncode}, stderr: {r.stderr}")
    fails(["prov", "runs", "--workdir", os.path.join(tmp, "nowhere")], ["no such work directory"])
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    fails(["prov", "runs", "--workdir", empty], ["no provenance database here"])
    junk = os.path.join(tmp, "junk")
    os.makedirs(junk)
    with open(os.path.join(junk, "provenance.db"), "wb") as f:
        f.write(b"this is not a database" * 100)
    fails(["prov", "runs", "--workdir", junk], ["not a provenance database"])
    other = os.path.join(tmp, "other")
    os.makedirs(other)
    c = sqlite3.connect(os.path.join(other, "provenance.db"))
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    fails(["prov", "runs", "--workdir", other], ["not a provenance database", "other tables"])

    flow, work = qc_workdir(tmp, "qc")
    xdmlc_run(xdmlc, flow, work)
    fails(["prov", "why", "frames[99]", "--workdir", work], ["'frames[99]'", "no item 99"])
    fails(["prov", "lineage", "12345678", "--workdir", work], ["no entity 12345678"])
    fails(["prov", "lineage", "activity:1", "--workdir", work], ["an activity, where data is asked for"])
    fails(["prov", "models", "nomodel", "--workdir", work], ["no model 'nomodel'"])
    fails(["prov", "why", "1", "--run", "7", "--workdir", work], ["there is no run 7"])
    fails(["prov", "diff", "1", "9", "--workdir", work], ["there is no run 9"])
    fails(["prov", "export", "--format", "dot", "--workdir", work], ["--format"], code=2)
    fails(["prov", "export", "--format", "ro-crate", "--workdir", work], ["needs the folder"])
    fails(["prov", "bogus", "--workdir", work], [], code=2)
    # From the folder above the work directory, prov names it.
    fails(["prov", "runs"], ["work directories below: qc"], cwd=tmp)
    # A replay whose input is gone says which.
    os.remove(os.path.join(work, "data", "f_3.npy"))
    r = replay(xdmlc, work)
    check(r.returncode == 1 and "f_3.npy, which is no longer there" in r.stderr, f"replay without an input: {r.stderr}")

    # A schema-1 database (an older xdml): queries and diffs work without digests, and the next
    # run upgrades it.
    flow, old = qc_workdir(tmp, "old")
    xdmlc_run(xdmlc, flow, old)
    c = sqlite3.connect(os.path.join(old, "provenance.db"))
    c.executescript("INSERT INTO used_explicit SELECT id, input, input_role FROM activities WHERE input IS NOT NULL;"
                    "INSERT INTO generated_explicit SELECT id, generated_by FROM entities WHERE generated_by IS NOT NULL;"
                    "DROP VIEW used; DROP VIEW generated; DROP INDEX activities_by_input; DROP INDEX entities_by_generator;"
                    "ALTER TABLE used_explicit RENAME TO used; ALTER TABLE generated_explicit RENAME TO generated;"
                    "ALTER TABLE activities DROP COLUMN input_role; ALTER TABLE activities DROP COLUMN input;"
                    "ALTER TABLE entities DROP COLUMN generated_by;"
                    "DROP TABLE digests; DROP INDEX entities_invalid_by_hash; DROP INDEX entities_by_group;"
                    "CREATE INDEX entities_by_run ON entities(run); DROP INDEX decisions_by_kind;"
                    "CREATE INDEX decisions_by_run ON decisions(run); ALTER TABLE runs DROP COLUMN workdir; ALTER TABLE runs DROP COLUMN version;"
                    "ALTER TABLE activities DROP COLUMN rank; ALTER TABLE activities DROP COLUMN host;"
                    "DROP INDEX activities_by_code; ALTER TABLE activities DROP COLUMN code; DROP TABLE site_status; PRAGMA user_version = 1;")
    c.close()
    check(prov_json(xdmlc, old, "runs")[0]["status"] == "complete", "runs of a schema-1 database")
    check(prov_json(xdmlc, old, "why", "frames[1]")["entity"]["seq"] == 1, "why in a schema-1 database")
    links = {t: query(os.path.join(old, "provenance.db"), f"SELECT * FROM {t} ORDER BY 1, 2")
             for t in ("used", "generated")}
    xdmlc_run(xdmlc, flow, old)  # upgrades to 6; run 1 has no digests
    check(query(os.path.join(old, "provenance.db"), "PRAGMA user_version")[0][0] == 6, "no upgrade to schema 6")
    # Schema 6 reads the links through views: the old run's rows are all there, and the new
    # run's links are mostly columns of their rows.
    for t, rows in links.items():
        now = query(os.path.join(old, "provenance.db"), f"SELECT * FROM {t} WHERE {'activity' if t == 'used' else 'entity'}"
                    f" IN (SELECT id FROM {'activities' if t == 'used' else 'entities'} WHERE run = 1) ORDER BY 1, 2")
        check(now == rows, f"{t} of the schema-1 run after the upgrade: {len(now)} links, {len(rows)} before")
    check(query(os.path.join(old, "provenance.db"), "SELECT count(*) FROM activities WHERE run = 2 AND input IS NOT NULL")[0][0] > 0,
          "the run after the upgrade keeps first uses in the activities' rows")
    check(query(os.path.join(old, "provenance.db"), "SELECT count(DISTINCT run) FROM site_status")[0][0] == 1,
          "schema 5's site statuses: recorded by the run after the upgrade")
    check(query(os.path.join(old, "provenance.db"), "SELECT count(*) FROM activities WHERE code IS NOT NULL")[0][0] == 0,
          "schema 4's code column: no Python task, no code")
    # Schema 3's activities say where they ran: the old ones on rank 0 of no recorded host.
    placed = query(os.path.join(old, "provenance.db"), "SELECT run, rank, host IS NULL, count(*) FROM activities GROUP BY run, rank, host IS NULL")
    check([(r, rank, none) for r, rank, none, _ in placed] == [(1, 0, 1), (2, 0, 0)], f"activities' ranks and hosts after the upgrade: {placed}")
    indexes = {r[0] for r in query(os.path.join(old, "provenance.db"), "SELECT name FROM sqlite_master WHERE type = 'index'")}
    check({"entities_by_group", "decisions_by_kind", "entities_invalid_by_hash", "activities_by_code"} <= indexes and "entities_by_run" not in indexes,
          f"indexes after the upgrade: {sorted(indexes)}")
    d = prov_json(xdmlc, old, "diff", "1", "2")
    check(d["identical"]["inputs"] and d["identical"]["outputs"], f"diff with a schema-1 run: {d['identical']}")


# A fast stream most of whose items a predicate keeps out, and a classified type.
MANY = """
type T = float;
type Big = T where it > 2.5 and it < 1000.0;
fn make(i: int) -> T = (i % 100) / 10.0;
stream xs: T from generate(make, 3000);
flow many {
    on new data of type Big in xs as b { log "big {b}"; }
}
"""


def case_why_not(xdmlc, tmp):
    """Decisions both ways: a predicate's answer is recorded whichever way it went, with the
    values that decided, so `why-not` says why an item was not handled; the failed tests of a
    fast stream are sampled by position (so two runs and a replay record alike), and `--type-tests
    all` records every one."""
    flow, work = qc_workdir(tmp, "qc")
    xdmlc_run(xdmlc, flow, work)
    db = os.path.join(work, "provenance.db")
    tests = query(db, "SELECT choice, count(*) FROM decisions WHERE kind = 'type_test' GROUP BY choice")
    check(dict(tests) == {"Bright": 4, "not Bright": 4}, f"type tests: {tests}")
    # A dim frame (0.1 + ...): not handled by the Bright handler, with the mean that decided.
    answer = prov_json(xdmlc, work, "why-not", "frames[1]", "Bright")
    (h,) = answer["handlers"]
    check(not h["handled"] and h["type"] == "Bright", f"why-not frames[1]: {h}")
    check(h["why"].startswith("item 1 of frames is not a Bright: mean(it) = 0.415, not > 0.5"), f"why: {h['why']}")
    check([d["kind"] for d in h["decisions"]] == ["type_test"], f"decisions: {h['decisions']}")
    text = prov(xdmlc, work, "why-not", "frames[1]").stdout
    check("handled by on new data of type Frame in frames" in text and "not handled by on new data of type Bright" in text,
          f"why-not text:\n{text}")
    # A bright one was handled: the firing, and the test that let it in.
    h = prov_json(xdmlc, work, "why-not", "frames[2]", "Bright")["handlers"][0]
    check(h["handled"] and h["decisions"][0]["choice"] == "Bright" and "mean(it) = 1.315 > 0.5" in h["decisions"][0]["reason"], f"{h}")
    # Bad questions: not an item, no such handler.
    r = prov(xdmlc, work, "why-not", "sums#1", code=1)
    check("not a stream item" in r.stderr, r.stderr)
    r = prov(xdmlc, work, "why-not", "frames[1]", "Nothing", code=1)
    check("no handler of stream frames matches 'Nothing'" in r.stderr, r.stderr)
    # The replay records the same tests (taken from the log) and stays identical.
    r = replay(xdmlc, work)
    check(r.returncode == 0 and "reproduced it" in r.stdout, f"replay: {r.stdout}{r.stderr}")
    check(query(db, "SELECT count(*) FROM decisions WHERE kind = 'type_test' AND run = 2")[0][0] == 8, "replay's type tests")

    # A fast stream: 3000 items, 780 failed tests (26 in each 100), sampled by blocks of 1024.
    many = os.path.join(tmp, "many.xdml")
    with open(many, "w") as f:
        f.write(MANY)
    work = os.path.join(tmp, "many")
    xdmlc_run(xdmlc, many, work)
    xdmlc_run(xdmlc, many, work)
    db = os.path.join(work, "provenance.db")
    one = query(db, "SELECT subject LIKE 'stream:%', choice, count(*) FROM decisions WHERE run = 1 AND kind = 'type_test' GROUP BY 1, 2")
    check(one == [(0, "Big", 2220), (0, "not Big", 96), (1, "not Big", 3)], f"sampled tests: {one}")
    counted = query(db, "SELECT inputs FROM decisions WHERE run = 1 AND kind = 'type_test' AND subject = 'stream:xs' ORDER BY id")
    check(sum(json.loads(c)["count"] for (c,) in counted) == 780 - 96, f"counted: {counted}")
    check(prov_json(xdmlc, work, "diff", "1", "2")["identical"]["decisions"], "two runs of the same input sampled differently")
    h = prov_json(xdmlc, work, "why-not", "xs[2000]", "--run", "1")["handlers"][0]
    check(not h["handled"] and "its test was counted" in h["why"] and "from 1204 to 2025 are not a Big" in h["why"], f"a counted item: {h['why']}")
    h = prov_json(xdmlc, work, "why-not", "xs[3]", "--run", "1")["handlers"][0]
    check("xs is not a Big: it = 0.3, not > 2.5" in h["why"], f"an item recorded in full: {h['why']}")
    r = replay(xdmlc, work, "--run", "1")
    check(r.returncode == 0 and "reproduced it" in r.stdout, f"replay of the sampled run: {r.stdout}{r.stderr}")
    check(prov_json(xdmlc, work, "diff", "1", "3")["identical"]["decisions"], "the replay's counted tests differ")
    # Every one, on request.
    xdmlc_run(xdmlc, many, work, "--type-tests", "all")
    check(query(db, "SELECT count(*) FROM decisions WHERE run = 4 AND kind = 'type_test' AND choice = 'not Big'")[0][0] == 780,
          "--type-tests all")


CASES = {
    "why_not": case_why_not,
    "examples": case_examples,
    "export": case_export,
    "replay": case_replay,
    "replay_examples": case_replay_examples,
    "altered": case_altered,
    "invalidate": case_invalidate,
    "bad_input": case_bad_input,
}

if __name__ == "__main__":
    sys.exit(run_cases(CASES, "xdml-prov"))
