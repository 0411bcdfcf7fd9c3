#!/usr/bin/env python3
"""The run report (docs/report.md) in headless Chromium: the report of a run of every example
loads with no console error, its JSON island equals what `xdmlc prov` answers for the same run,
the page shows those numbers and is not blank; `--text`; the live view of a `watch` flow shows
its item count growing, refuses writes and closes on Ctrl-C; `xdmlc serve`; bad input; a large
run's page stays small. Usage: run_report.py --xdmlc X CASE.
XDML_REPORT_SHOTS=DIR keeps the screenshots (docs/images/ comes from there)."""
import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "runtime"))
from cdp import Browser, png_distinct_rows  # noqa: E402
from run_runtime import Failure, check, main, npy_bytes, query, wait_for  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "examples")
PYTHON = "/usr/bin/python3"


def xdmlc(x, *args, code=0, timeout=600, cwd=None):
    r = subprocess.run([x, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    check(r.returncode == code, f"xdmlc {' '.join(args)}: exit {r.returncode}, wanted {code}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def island(html):
    m = re.search(r'<script type="application/json" id="xdml-data">(.*?)</script>', html, re.S)
    check(m is not None, "the page has no JSON island")
    return json.loads(m.group(1))


def example_runs(x, tmp):
    """(name, work directory) of a finished run of every example: the shared ones and the repo's,
    with the inputs an example needs made as its README says. The endless live.xdml is the
    live case's."""
    runs = []
    flows = sorted(glob.glob(os.path.join(SHARED, "*.xdml"))) + sorted(glob.glob(os.path.join(REPO, "examples", "*.xdml")))
    for flow in flows:
        name = os.path.basename(os.path.dirname(os.path.dirname(flow))) + "-" + os.path.basename(flow)[:-5]
        if os.path.basename(flow) == "live.xdml":
            continue
        work = os.path.join(tmp, name + ".run")
        args = ["run", flow, "--workdir", work, "--quiet"]
        if os.path.basename(flow) == "eiger.xdml":
            subprocess.run([PYTHON, os.path.join(REPO, "examples", "eiger_data.py"), os.path.join(work, "series")], check=True,
                           capture_output=True)
            args += ["--set", "series=series"]
        xdmlc(x, *args)
        runs.append((name, work))
    return runs


def prov_json(x, work, *args):
    return json.loads(xdmlc(x, "prov", *args, "--workdir", work, "--json").stdout)


def check_island_against_prov(x, work, data):
    """The page's own data equals what `xdmlc prov` answers for the same run."""
    run = prov_json(x, work, "runs")[-1]
    check(data["run"]["id"] == run["id"], f"the report is of run {data['run']['id']}, the latest is {run['id']}")
    for key in ("entities", "activities", "decisions", "model_versions", "items", "firings", "tasks", "bytes_moved", "bytes_written"):
        check(data["counts"][key] == run[key], f"{work}: counts.{key}: page {data['counts'][key]}, prov runs {run[key]}")
    d = prov_json(x, work, "decisions", "--limit", "1")
    check(data["decisions"]["by_kind"] == d["by_kind"] and data["decisions"]["total"] == d["total"],
          f"decisions: page {data['decisions']['by_kind']}, prov {d['by_kind']}")
    for m in data["models"]:
        history = prov_json(x, work, "models", m["model"])
        check([v["version"] for v in m["versions"]] == [v["version"] for v in history["versions"]],
              f"model {m['model']}: versions differ from prov models")
    # Streams' items and handlers' firings add up to the counts.
    check(sum(s["items"] for s in data["streams"]) == run["items"], "streams' items do not add up")
    check(sum(h["firings"] for h in data["handlers"]) == run["firings"], "handlers' firings do not add up")
    check(data["sites"]["sites"], f"{work}: no site status was recorded")
    if data["run"]["status"] == "complete":
        check(data["run"]["exit"] == 0 and data["run"]["version"], f"header: {data['run']}")


def check_page(browser, url, data, shot=None):
    seconds = browser.open(url)
    browser.pump(0.3)
    check(browser.errors() == [], f"{url}: console errors: {browser.errors()}")
    check(browser.evaluate("document.body.dataset.rendered") == "1", f"{url}: the page did not finish drawing")
    check(browser.evaluate("document.body.dataset.errors || ''") == "", f"{url}: the page reported: "
          + str(browser.evaluate("document.getElementById('xdml-errors').textContent")))
    shown = browser.evaluate("Object.fromEntries([...document.querySelectorAll('.card')].map(c => [c.id, Number(c.querySelector('.n').dataset.value)]))")
    for card, key in (("count-items", "items"), ("count-firings", "firings"), ("count-decisions", "decisions"),
                      ("count-versions", "model_versions"), ("count-moved", "bytes_moved"), ("count-written", "bytes_written")):
        check(shown.get(card) == data["counts"][key], f"{url}: the page shows {card} = {shown.get(card)}, its data {data['counts'][key]}")
    nodes = browser.evaluate("document.getElementsByTagName('*').length")
    check(nodes < 20000, f"{url}: {nodes} DOM elements: the page must aggregate")
    png = browser.screenshot(shot or os.devnull, full_page=shot is not None)
    check(png_distinct_rows(png) > 50, f"{url}: the screenshot looks blank")
    return seconds, nodes


def case_examples(x, tmp):
    shots = os.environ.get("XDML_REPORT_SHOTS")
    with Browser() as browser:
        for name, work in example_runs(x, tmp):
            out = os.path.join(work, "report.html")
            r = xdmlc(x, "report", "--workdir", work)
            check(os.path.exists(out) and "report.html" in r.stderr, f"{name}: no report.html: {r.stderr}")
            html = open(out, encoding="utf-8").read()
            check("http://" not in html.replace("http://www.w3.org", "") and "https://" not in html,
                  f"{name}: the page names a network address")
            data = island(html)
            check_island_against_prov(x, work, data)
            check(data["graph_svg"] and data["graph_svg"].startswith("<svg"), f"{name}: no dataflow graph")
            shot = os.path.join(shots, f"report-{name}.png") if shots else None
            check_page(browser, "file://" + out, data, shot)


def case_text(x, tmp):
    flow = os.path.join(SHARED, "ssx.xdml")
    work = os.path.join(tmp, "ssx.run")
    xdmlc(x, "run", flow, "--workdir", work, "--quiet")
    text = xdmlc(x, "report", "--workdir", work, "--text").stdout
    runs = prov_json(x, work, "runs")
    for needed in (f"run {runs[-1]['id']} of flow", "latency", "sites:", "data movement:", "decisions: " + str(runs[-1]["decisions"]),
                   f"{runs[-1]['items']} items", "failures: 0"):
        check(needed in text, f"--text lacks '{needed}':\n{text}")
    check(not os.path.exists(os.path.join(work, "report.html")), "--text wrote a page too")


LIVE_FLOW = """
type Frame = tensor<f32>[8, 8];
type Hot = Frame where max(it) > 10.0;
stream landed: Frame from watch("incoming", "*.npy");
catalog seen: { id: int, total: float } at "seen.db";
policy quick { deadline: 1s }
flow live @ quick {
    on new data of type Frame in landed as f { record { id: seq(f), total: sum(f) } in seen; }
    on new data of type Hot as h { log "hot frame: {max(h)}"; }
}
"""


class Served:
    """A process that prints the URL it serves; its output kept by a thread."""

    def __init__(self, args, stream):
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url, self.lines = None, []
        source = self.proc.stderr if stream == "stderr" else self.proc.stdout
        other = self.proc.stdout if stream == "stderr" else self.proc.stderr
        self.threads = [threading.Thread(target=self._read, args=(source,), daemon=True),
                        threading.Thread(target=self._read, args=(other,), daemon=True)]
        for t in self.threads:
            t.start()
        try:
            wait_for(lambda: self.url is not None or self.proc.poll() is not None, 30, "the served URL")
        except Failure:
            self.kill()
            raise
        check(self.url is not None, f"no URL printed: {self.lines}")

    def _read(self, f):
        for line in f:
            self.lines.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if m and self.url is None:
                self.url = m.group(1)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def served_data(url):
    """The live data, or None while the run has not begun: 404 while there is no database yet,
    503 until the run `--serve` was started for has its row."""
    try:
        return json.loads(get(url + "data.json")[1])
    except urllib.error.HTTPError as e:
        if e.code in (404, 503):
            return None
        raise


def refuses_writes(url):
    host, port = re.match(r"http://([^:/]+):(\d+)", url).groups()
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/", "/data.json", "/run/1"):
            c = http.client.HTTPConnection(host, int(port), timeout=10)
            c.request(method, path, body=b"{}", headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            c.close()
            check(r.status == 405, f"{method} {path}: {r.status}, wanted 405 (the report is read-only)")


def closed(url):
    host, port = re.match(r"http://([^:/]+):(\d+)", url).groups()
    try:
        http.client.HTTPConnection(host, int(port), timeout=3).request("GET", "/")
        return False
    except OSError:
        return True


def case_live(x, tmp):
    work = os.path.join(tmp, "live.run")
    incoming = os.path.join(work, "incoming")
    os.makedirs(incoming)
    flow = os.path.join(tmp, "live.xdml")
    open(flow, "w").write(LIVE_FLOW)

    def land(i):
        part = os.path.join(work, f".f{i}.tmp")
        open(part, "wb").write(npy_bytes([float(i)] * 64, (8, 8)))
        os.rename(part, os.path.join(incoming, f"f{i}.npy"))

    served = Served([x, "run", flow, "--workdir", work, "--serve", "0"], "stderr")
    try:
        # A watch takes the files that land once it has begun (LANGUAGE.md): the run's row first.
        wait_for(lambda: (served_data(served.url) or {}).get("run", {}).get("status") == "running", 30, "the run to begin")
        time.sleep(0.5)
        for i in range(3):
            land(i)
        wait_for(lambda: (served_data(served.url) or {}).get("counts", {}).get("items", 0) >= 3, 30, "3 items in the served data")
        refuses_writes(served.url)
        with Browser() as browser:
            browser.open(served.url)
            check(browser.evaluate("document.body.dataset.rendered") == "1", "the live page did not draw")
            before = browser.evaluate("Number(document.querySelector('#count-items .n').dataset.value)")
            for i in range(3, 9):
                land(i)
            # Updated at least once a second: the new items show within a few seconds.
            end = time.time() + 15
            while time.time() < end:
                now = browser.evaluate("Number(document.querySelector('#count-items .n').dataset.value)")
                if now >= 9:
                    break
                time.sleep(0.25)
            check(now >= 9 and now > before, f"the live page's item count went from {before} to {now}, wanted 9")
            check(int(browser.evaluate("document.body.dataset.updates || '0'")) >= 1, "the live page never updated")
            check(browser.errors() == [], f"live page errors: {browser.errors()}")
        served.proc.send_signal(signal.SIGINT)
        code = served.proc.wait(timeout=30)
        check(code == 0, f"Ctrl-C: exit {code}: {''.join(served.lines)[-2000:]}")
        check(closed(served.url), "the server still answers after the run ended")
    finally:
        served.kill()
    check(query(os.path.join(work, "seen.db"), "SELECT count(*) FROM seen")[0][0] == 9, "records lost")


def case_serve(x, tmp):
    work = os.path.join(tmp, "ssx.run")
    flow = os.path.join(SHARED, "ssx.xdml")
    xdmlc(x, "run", flow, "--workdir", work, "--quiet")
    xdmlc(x, "run", flow, "--workdir", work, "--quiet", "--seed", "3")
    served = Served([x, "serve", "--workdir", work, "--listen", "127.0.0.1:0"], "stdout")
    try:
        status, index = get(served.url)
        check(status == 200 and "/run/1" in index and "/run/2" in index, f"the index lists no runs: {index[:500]}")
        status, page = get(served.url + "run/1")
        data = island(page)
        check(data["run"]["id"] == 1 and 'const LIVE = {"data":"/run/1/data.json","interval":500,"lineage":"/run/1/lineage"};' in page, "run 1's page")
        check(json.loads(get(served.url + "run/2/data.json")[1])["run"]["seed"] == 3, "run 2's data")
        # Any entity's lineage, named as `xdmlc prov` names it.
        lineage = json.loads(get(served.url + "run/1/lineage?subject=" + urllib.parse.quote("stills#1"))[1])
        walk = prov_json(x, work, "lineage", "stills#1", "--run", "1")
        check(lineage["title"].startswith("stills#") and {n["id"] for n in lineage["nodes"] if n["id"][0] == "e"} ==
              {"e" + str(e["id"]) for e in walk["entities"] if e["depth"] <= 6}, f"lineage: {lineage}")
        try:
            get(served.url + "run/1/lineage?subject=" + urllib.parse.quote("frames[9999]"))
            raise Failure("a missing item's lineage was served")
        except urllib.error.HTTPError as e:
            check(e.code == 404 and "9999" in e.read().decode(), f"missing item: {e.code}")
        try:
            get(served.url + "run/99/data.json")
            raise Failure("run 99 was served")
        except urllib.error.HTTPError as e:
            check(e.code == 404 and "no run 99" in e.read().decode(), f"run 99: {e.code}")
        refuses_writes(served.url)
        with Browser() as browser:
            check_page(browser, served.url + "run/1", data)
        served.proc.send_signal(signal.SIGINT)
        check(served.proc.wait(timeout=15) == 0, "serve: Ctrl-C did not end it with 0")
        check(closed(served.url), "serve still answers")
    finally:
        served.kill()


def case_errors(x, tmp):
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    r = xdmlc(x, "report", "--workdir", empty, code=1)
    check("provenance.db" in r.stderr, f"no database: {r.stderr}")
    junk = os.path.join(tmp, "junk")
    os.makedirs(junk)
    open(os.path.join(junk, "provenance.db"), "w").write("not a database, just text\n" * 100)
    r = xdmlc(x, "report", "--workdir", junk, code=1)
    check("not a provenance database" in r.stderr, f"a text file: {r.stderr}")
    work = os.path.join(tmp, "ssx.run")
    xdmlc(x, "run", os.path.join(SHARED, "ssx.xdml"), "--workdir", work, "--quiet")
    r = xdmlc(x, "report", "--workdir", work, "--run", "42", code=1)
    check("no run 42" in r.stderr, r.stderr)
    r = xdmlc(x, "report", "--workdir", work, "-o", os.path.join(tmp, "missing", "deeper", "r.html"), code=2)
    check("cannot write" in r.stderr, r.stderr)
    for bad in ("99999", "host:port", "", "127.0.0.1:-1"):
        r = xdmlc(x, "serve", "--workdir", work, "--listen", bad, code=2)
        check("--listen" in r.stderr, f"--listen '{bad}': {r.stderr}")
    r = xdmlc(x, "run", os.path.join(SHARED, "ssx.xdml"), "--workdir", work, "--serve", "0", "--no-provenance", code=2)
    check("--no-provenance" in r.stderr, r.stderr)
    # A port in use: a clear error, and the run does not start.
    served = Served([x, "serve", "--workdir", work, "--listen", "127.0.0.1:0"], "stdout")
    try:
        port = served.url.rsplit(":", 1)[1].strip("/")
        r = xdmlc(x, "serve", "--workdir", work, "--listen", "127.0.0.1:" + port, code=1)
        check("cannot listen" in r.stderr, r.stderr)
    finally:
        served.proc.send_signal(signal.SIGINT)
        served.proc.wait(timeout=15)


LARGE_FLOW = """
type T = tensor<f32>[4];
fn make(i: int) -> T = noise(T, i);
task double(t: T) -> T { return t * 2.0; }
stream many: T from generate(make, 30000);
flow big {
    on new data of type T in many as t { let y = double(t); }
}
"""


def reported(x, tmp, name, text):
    """A run of the flow `text`, and its report: (work directory, page file, the page's data)."""
    flow = os.path.join(tmp, name + ".xdml")
    open(flow, "w").write(text)
    work = os.path.join(tmp, name + ".run")
    xdmlc(x, "run", flow, "--workdir", work, "--quiet")
    xdmlc(x, "report", "--workdir", work)
    out = os.path.join(work, "report.html")
    return work, out, island(open(out, encoding="utf-8").read())


def case_large(x, tmp):
    """A run of 90,000 activities: the page draws the longest bars and the density of all, and
    stays small whatever the run's size."""
    work, out, data = reported(x, tmp, "big", LARGE_FLOW)
    tl = data["timeline"]
    check(tl["total"] >= 60000 and tl["shown"] == len(tl["bars"]) <= 20000, f"timeline: {tl['total']} bars, {tl['shown']} shown")
    check(all(len(g["busy_per_bin"]) == data["axis"]["bins"] for g in tl["groups"]), "density bins")
    check(os.path.getsize(out) < 8 << 20, f"the page is {os.path.getsize(out)} bytes")
    check_island_against_prov(x, work, data)
    with Browser() as browser:
        check_page(browser, "file://" + out, data)


RELOCATE_FLOW = """
import std.exec;
site edge { cores: 1 }
site hpc { cores: 4 }
link edge <-> hpc { bandwidth: 10Gbps, latency: 1ms }
type F = tensor<f32>[4];
fn make(i: int) -> F = noise(F, i);
stream xs: F from generate(make, 40) at edge;
policy near { locality: data, deadline: 100ms }
task slow(x: F) -> F @ near { let o = sh("sleep 0.05"); return x * 2.0; }
flow f {
    on new data of type F in xs as x { let y = slow(x); }
}
"""


def case_relocations(x, tmp):
    """A site too slow for its deadline: the meta-controller moves calls to the other site. The
    page marks each relocation where it happened, shows the sites' queues from their recorded
    SiteStatus, and flags the calls that missed their deadline on the timeline."""
    work, out, data = reported(x, tmp, "relocate", RELOCATE_FLOW)
    db = os.path.join(work, "provenance.db")
    moved = query(db, "SELECT count(*) FROM decisions WHERE kind = 'placement' AND inputs LIKE '%planned_site%'")[0][0]
    check(moved > 0 and len(data["sites"]["relocations"]) == moved, f"relocations: {moved} recorded, {len(data['sites']['relocations'])} on the page")
    check(all(r["from"] == "edge" and r["to"] == "hpc" for r in data["sites"]["relocations"]), f"{data['sites']['relocations'][:3]}")
    sites = {s["name"]: s for s in data["sites"]["sites"]}
    check(set(sites) == {"edge", "hpc"} and max(v[1] for v in sites["hpc"]["samples"]) >= 1,
          f"hpc was never busy in the recorded statuses: {sites.get('hpc')}")
    samples = query(db, "SELECT count(*) FROM site_status WHERE site = 'edge'")[0][0]
    check(samples >= 5, f"{samples} samples of edge for a run of a second or more")
    missed = query(db, "SELECT count(*) FROM decisions WHERE kind = 'deadline_miss' AND subject LIKE 'activity:%'")[0][0]
    flagged = sum(1 for b in data["timeline"]["bars"] if b[8] & 1)
    check(missed > 0 and flagged == missed, f"{missed} deadline misses recorded, {flagged} bars flagged")
    check_island_against_prov(x, work, data)
    with Browser() as browser:
        check_page(browser, "file://" + out, data)
        rows = browser.evaluate("document.querySelectorAll('#relocations tbody tr').length")
        check(rows == moved, f"the relocations table has {rows} rows, {moved} recorded")
        marks = browser.evaluate("[...document.querySelectorAll('#sites-charts svg text')].filter(t => t.textContent === 'edge→hpc').length")
        check(marks == 2 * moved, f"{marks} relocation marks on the two sites' charts, wanted {2 * moved}")


CASES = {"examples": case_examples, "relocations": case_relocations, "text": case_text, "live": case_live, "serve": case_serve, "errors": case_errors,
         "large": case_large}

if __name__ == "__main__":
    sys.exit(main(CASES, "xdml-report"))
