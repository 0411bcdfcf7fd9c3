#!/usr/bin/python3
"""The executor seam's equality test: every example flow and the runtime test flows run with the
loopback executor (`xdmlc run --executor=loopback`: every task request, outcome and effect
encoded to bytes and decoded) and with the direct one, at -O0 and -O2, with and without the JIT,
and must give identical catalogs, logs and provenance content (the digests `xdmlc prov diff`
compares: per group of entities and decisions, the count and the sums of content hashes).

`run_loopback.py --xdmlc X CASE`; CASE is `examples` or `runtime_flows`."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_runtime as rt  # noqa: E402
from run_runtime import EXAMPLES, check, query, run  # noqa: E402

# live.xdml is endless (a watched folder and a ZeroMQ socket until Ctrl-C): what it records
# depends on when it is stopped, so it is not compared.
ENDLESS = {"live.xdml"}
# Compared by their count only, as they differ between two direct runs too: decisions whose
# reasons carry measured times, and what training makes while its stream runs
# on (which items a training round sees depends on how far the stream got meanwhile: the
# rehearsal snapshot, the model versions, the train_stop decisions); and values without a label
# (among them the lists an `every N` handler receives, whose members depend on the order in
# which concurrent firings emitted them).
TIMED = {"train_stop"}
# Not compared at all: whether a firing misses its deadline, or a call its start_within, depends
# on how loaded the machine is (under a sanitizer beside other tests a direct run of
# hitfinder.xdml missed 50 deadlines and its loopback run 1).
LOAD_DEPENDENT = {"deadline_miss", "start_miss"}
TIMED_ENTITIES = {"rehearsal_snapshot", "model_version"}
# Log lines that say how far concurrent work had got (statements.xdml logs count(summaries)
# while other firings still record): their numbers are masked.
RACING_LOGS = [re.compile(r"^(summaries so far: )\d+$")]
# Groups whose contents pair an emit-fed stream's `seq` with a value (statements.xdml records
# `{ id: seq(b), ... }` of its `bright` stream, numbered in the order concurrent firings emitted
# into it): compared by count, their values being compared column by column in the catalogs.
# The same for groups holding a model's answer while it trains (ssx.xdml's `index` task and its
# `stills` records carry `cls: hitfinder(f)`).
SEQ_PAIRED = {"statements.xdml": {("record", "summaries"), ("value", "summarize")},
              "ssx.xdml": {("record", "stills"), ("value", "index")}}
# Catalog columns holding a model's answer while the model trains on the stream (which version
# answers depends on timing): compared by their number of values.
MODEL_ANSWERS = {"ssx.xdml": {"cls"}}
MODES = [(opt, jit) for opt in ("-O0", "-O2") for jit in ("--no-jit", "--jit-wait")]


def digests(work, paired=()):
    """Per (kind, label) group of the run's entities and decisions: count, sum and mix of the
    content hashes, over all buckets (modulo 2^64), as RunDiff totals them."""
    out = {}
    for kind, label, count, total, mix in query(os.path.join(work, "provenance.db"),
                                                "SELECT kind, label, count, sum, mix FROM digests"):
        c, s, m = out.get((kind, label), (0, 0, 0))
        out[(kind, label)] = (c + count, (s + total) % 2**64, (m + mix) % 2**64)
    for k in [k for k in out if k[0] == "decision" and k[1] in LOAD_DEPENDENT]:
        del out[k]
    timed = [k for k in out if (k[0] == "decision" and k[1] in TIMED) or k[0] in TIMED_ENTITIES or k == ("value", "") or k in paired]
    for k in timed:
        count = out.pop(k)[0]
        # A snapshot's label names the item it was taken at: counted by kind.
        key = (k[0], "") if k[0] == "rehearsal_snapshot" else k
        out[key] = (out.get(key, (0,))[0] + count,)
    return out


def catalog_columns(work, answers=()):
    """Each catalog's columns, each as the sorted multiset of its values: which `seq` an item of
    an emit-fed stream gets depends on the order concurrent firings emitted it, so a record's
    id and its other fields pair up differently from run to run, whatever the executor."""
    out = {}
    for table, rows in rt.catalog_rows(work).items():
        db, name = table.split(":", 1)
        names = [c for (_, c, *rest) in query(os.path.join(work, db), f'PRAGMA table_info("{name}")')]
        columns = list(zip(*rows)) if rows else []
        out[table] = [len(c) if n in answers else sorted(c, key=repr) for n, c in zip(names, columns)]
    return out


def outputs(xdmlc, flow, work, mode, executor, setup):
    paired = SEQ_PAIRED.get(os.path.basename(flow), set())
    if setup:
        setup(work)
    opt, jit = mode
    r = run(xdmlc, [flow, "--workdir", work, opt, jit, f"--executor={executor}"], timeout=600)
    # Log lines and reports in any order (concurrent firings), without the summary's timing.
    log = r.stdout.split("\nrun ")[0].replace(work, "WORK").splitlines()
    for racing in RACING_LOGS:
        log = [racing.sub(r"\1N", line) for line in log]
    errors = r.stderr.replace(work, "WORK").splitlines()
    return {"exit": r.returncode, "log": sorted(log), "errors": sorted(errors),
            "catalogs": catalog_columns(work, MODEL_ANSWERS.get(os.path.basename(flow), set())), "provenance": digests(work, paired)}


def check_same(tag, name_a, a, name_b, b):
    """Fails naming the first of exit, log, errors, catalogs and provenance where two runs'
    outputs differ, showing only the differing entries of a dict."""
    for what in ("exit", "log", "errors", "catalogs", "provenance"):
        if a[what] != b[what]:
            x, y = a[what], b[what]
            if isinstance(x, dict):
                x = {k: v for k, v in a[what].items() if b[what].get(k) != v}
                y = {k: v for k, v in b[what].items() if a[what].get(k) != v}
            raise rt.Failure(f"{tag}: the {name_b} run's {what} differ from the {name_a} run's:\n"
                             f"  {name_a}: {str(x)[:1500]}\n  {name_b}: {str(y)[:1500]}")


def same(xdmlc, tmp, name, flow, setup=None, expect_exit=0):
    for mode in MODES:
        tag = f"{name}{mode[0]}{mode[1]}"
        direct = outputs(xdmlc, flow, os.path.join(tmp, tag + "-local"), mode, "local", setup)
        check(direct["exit"] == expect_exit, f"{tag}: direct run exit {direct['exit']}: {direct['errors']}")
        check(direct["catalogs"] or direct["log"], f"{tag}: the flow left nothing to compare")
        loop = outputs(xdmlc, flow, os.path.join(tmp, tag + "-loopback"), mode, "loopback", setup)
        check_same(tag, "direct", direct, "loopback", loop)
        print(f"  {tag}: same", flush=True)


def case_examples(xdmlc, tmp):
    """Every example flow (those with models need the models plugin, found as xdmlc finds it)."""
    names = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".xdml") and n not in ENDLESS)
    check(len(names) >= 5, f"examples found: {names}")
    for name in names:
        same(xdmlc, tmp, name, os.path.join(EXAMPLES, name))


def bad_input_files(work):
    os.makedirs(os.path.join(work, "in"))
    open(os.path.join(work, "in", "a.npy"), "wb").write(rt.npy_bytes([1.0] * 64, (8, 8)))
    open(os.path.join(work, "in", "b.npy"), "wb").write(rt.npy_bytes([1.0] * 16, (4, 4)))
    open(os.path.join(work, "in", "d.npy"), "wb").write(rt.npy_bytes([2.0] * 64, (8, 8)))


def case_runtime_flows(xdmlc, tmp):
    """The flows of the runtime tests: failures and retries, bad input, dataflow, cycles."""
    for name, text, setup, status in (("failing", rt.FAILING, None, 1), ("bad_input", rt.BAD_INPUT, bad_input_files, 0),
                                      ("dataflow", rt.DATAFLOW, None, 0), ("cycles", rt.CYCLES, None, 0)):
        flow = os.path.join(tmp, name + ".xdml")
        open(flow, "w").write(text)
        same(xdmlc, tmp, name, flow, setup, status)


if __name__ == "__main__":
    sys.exit(rt.main({"examples": case_examples, "runtime_flows": case_runtime_flows}, prefix="xdml-loopback"))
