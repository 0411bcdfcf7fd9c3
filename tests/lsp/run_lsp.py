#!/usr/bin/python3
"""Language server tests: a scripted LSP client (standard library only) that starts `xdmlc lsp`
and checks the protocol, the features, and that the diagnostics it publishes for a file are
exactly what `xdmlc check` prints for it. One case per invocation
(`run_lsp.py --xdmlc X CASE [FILES_OR_DIRS...]`); docs/lsp.md describes the server."""
import argparse
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import urllib.parse

TIMEOUT = int(os.environ.get("LSP_TIMEOUT", "60"))


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def uri_of(path):
    return "file://" + urllib.parse.quote(os.path.abspath(path))


class Client:
    """One `xdmlc lsp` process; messages it sends are read by a thread into a queue."""

    def __init__(self, xdmlc):
        self.proc = subprocess.Popen([xdmlc, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.inbox = queue.Queue()
        self.seen = []
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            self.inbox.put(json.loads(body.decode("utf-8")))

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message):
        body = json.dumps(message).encode("utf-8")
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, predicate, what):
        for m in self.seen:
            if predicate(m):
                self.seen.remove(m)
                return m
        while True:
            try:
                m = self.inbox.get(timeout=TIMEOUT)
            except queue.Empty:
                raise Failure(f"timed out waiting for {what}")
            check(m is not None, f"the server closed its output while we waited for {what}")
            if predicate(m):
                return m
            self.seen.append(m)

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == rid and "method" not in m, f"the response to {method}")

    def initialize(self):
        r = self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        check("result" in r, f"initialize failed: {r}")
        self.notify("initialized", {})
        return r["result"]

    def diagnostics(self, uri):
        m = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri,
                          f"diagnostics for {uri}")
        return m["params"]["diagnostics"]

    def all_diagnostics(self, uri):
        """The main file's diagnostics and those the same compile published for its imports."""
        result = {uri: self.diagnostics(uri)}
        # Responses come after every notification of the compile before them.
        self.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        for m in list(self.seen):
            if m.get("method") == "textDocument/publishDiagnostics":
                result[m["params"]["uri"]] = m["params"]["diagnostics"]
                self.seen.remove(m)
        return result

    def open(self, path, text=None, version=1):
        if text is None:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri_of(path), "languageId": "xdml",
                                                              "version": version, "text": text}})
        return uri_of(path)

    def at(self, method, uri, line, character):
        return self.request(method, {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})

    def finish(self, shutdown=True):
        if shutdown:
            r = self.request("shutdown", None)
            check(r.get("result", "missing") is None, f"shutdown: {r}")
        self.notify("exit", None)
        try:
            code = self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("the server did not exit after 'exit'")
        return code


# ---------------------------------------------------------------- what `xdmlc check` says

CHECK_LINE = re.compile(r"^(.*?):(\d+):(\d+): (error|warning|note): (.*)$")
SEVERITY = {1: "error", 2: "warning", 3: "note"}


def check_output(xdmlc, path):
    """[(file, line, byte col, severity, message, [notes])] as `xdmlc check` prints them."""
    r = subprocess.run([xdmlc, "check", "--color", "never", "--max-errors", "0", path],
                       capture_output=True, text=True, timeout=TIMEOUT)
    out = []
    for line in r.stderr.splitlines():
        m = CHECK_LINE.match(line)
        if not m:
            continue
        item = (os.path.abspath(m[1]), int(m[2]), int(m[3]), m[4], m[5])
        if m[4] == "note":
            check(out, f"a note before any diagnostic: {line}")
            out[-1][5].append(item)
        else:
            out.append(item + ([],))
    return out


def byte_column(path, line, character, cache={}):
    """The 1-based byte column of an LSP (0-based, UTF-16) position in `path`."""
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            cache[path] = f.read().split("\n")
    text = cache[path][line]
    units, i = 0, 0
    while i < len(text) and units < character:
        units += 2 if ord(text[i]) > 0xFFFF else 1
        i += 1
    return len(text[:i].encode("utf-8")) + 1


def lsp_as_check(published):
    """The published diagnostics in `check_output`'s form (sorted as the compiler sorts)."""
    out = []
    for uri, diags in published.items():
        path = urllib.parse.unquote(urllib.parse.urlparse(uri).path)

        def place(p, at):
            return (p, at["line"] + 1, byte_column(p, at["line"], at["character"]))

        for d in diags:
            notes = []
            for rel in d.get("relatedInformation", []):
                loc = rel["location"]
                npath = urllib.parse.unquote(urllib.parse.urlparse(loc["uri"]).path)
                notes.append(place(npath, loc["range"]["start"]) + ("note", rel["message"]))
            check(d.get("source") == "xdmlc", f"diagnostic without source 'xdmlc': {d}")
            out.append(place(path, d["range"]["start"]) + (SEVERITY[d["severity"]], d["message"], notes))
    return out


def compare_with_check(xdmlc, client, path):
    expected = check_output(xdmlc, path)
    uri = client.open(path)
    got = lsp_as_check(client.all_diagnostics(uri))
    check(sorted(got) == sorted(expected),
          f"{path}: published diagnostics differ from `xdmlc check`:\n  lsp:   {got}\n  check: {expected}")
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    check(client.diagnostics(uri) == [], f"{path}: closing did not clear its diagnostics")
    return len(expected)


# ---------------------------------------------------------------- cases

BROKEN = """// Ünïcödé before the errors: columns are UTF-16 units, not bytes. 😀
flow main @ { priority: "high" } {
    log "é😀 {frames2}";
}
"""
FIXED = BROKEN.replace('"high"', "1").replace("frames2", "1")

LIB = """/// Policies shared by the flows.
policy slow { deadline: 1h, priority: 1 }
"""
MAIN = """import "lib.xdml";
/// A detector frame.
type Frame = tensor<f32>[8, 8];
stream frames: Frame from generate(make, 4);
policy quick = slow with { priority: 10 }
/// Mean brightness of a frame.
fn score(f: Frame) -> float = mean(f);
fn make(i: int) -> Frame = noise(Frame, i);
/// Peaks by the lab's own NumPy code.
task peaks(f: Frame) -> int = python "labcode:count_peaks";
flow main @ quick {
    on new data of type Frame in frames as f {
        let s = score(f);
        log "{s} {peaks(f)}";
    }
}
"""


def position_of(text, needle, nth=0, offset=0):
    """The LSP position of the nth occurrence of `needle` (+ offset characters), ASCII text."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    return line, at - (text.rindex("\n", 0, at) + 1 if line else 0)


def case_protocol(xdmlc, tmp, args):
    c = Client(xdmlc)
    early = c.request("textDocument/hover", {"textDocument": {"uri": "file:///x"}, "position": {"line": 0, "character": 0}})
    check(early.get("error", {}).get("code") == -32002, f"a request before initialize: {early}")
    caps = c.initialize()["capabilities"]
    for cap in ("hoverProvider", "definitionProvider", "documentSymbolProvider", "completionProvider"):
        check(caps.get(cap), f"capability {cap} missing: {caps}")
    check(caps["textDocumentSync"]["change"] == 2, f"incremental sync not offered: {caps}")
    check(caps.get("positionEncoding") == "utf-16", f"encoding: {caps}")
    r = c.request("workspace/unknownThing", {})
    check(r.get("error", {}).get("code") == -32601, f"unknown method: {r}")
    c.notify("$/cancelRequest", {"id": 12345})
    # Garbage: each gets an error response (id null), and the server goes on.
    c.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    e = c.wait_for(lambda m: m.get("id", 0) is None and "error" in m, "the error for bad JSON")
    check(e["error"]["code"] == -32700, f"bad JSON: {e}")
    c.send_raw(b"this is no header\r\n\r\n")
    e = c.wait_for(lambda m: m.get("id", 0) is None and "error" in m, "the error for a bad header")
    check("header" in e["error"]["message"], f"bad header: {e}")
    # The bytes after the header in the same write must not show up as the length.
    c.send_raw(b"Content-Length: 99999999999\r\n\r\nxxxx")
    e = c.wait_for(lambda m: m.get("id", 0) is None and "error" in m, "the error for a huge Content-Length")
    check(e["error"]["message"].startswith("Content-Length 99999999999 exceeds"), f"huge length: {e}")
    # A Content-Length 3 bytes too large costs its own message, not the next one.
    body = json.dumps({"jsonrpc": "2.0", "id": 78, "method": "workspace/unknownThing"}).encode("utf-8")
    good = json.dumps({"jsonrpc": "2.0", "id": 79, "method": "workspace/unknownThing"}).encode("utf-8")
    c.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) + 3) + body + b"Content-Length: %d\r\n\r\n" % len(good) + good)
    e = c.wait_for(lambda m: m.get("id", 0) is None and "error" in m, "the error for a length 3 bytes too large")
    check(e["error"]["code"] == -32700, f"length too large: {e}")
    r = c.wait_for(lambda m: m.get("id") == 79, "the response to the message after a wrong length")
    check(r.get("error", {}).get("code") == -32601, f"after a wrong length: {r}")
    r = c.request("textDocument/hover", {"textDocument": {"uri": "file:///x"}, "position": {"line": -1, "character": 0}})
    check(r.get("error", {}).get("message") ==
          "invalid params for 'textDocument/hover': 'position.line' must be a non-negative integer", f"bad params: {r}")
    c.notify("textDocument/didChange", {"textDocument": {"uri": "file:///never/opened.xdml", "version": 2},
                                        "contentChanges": [{"text": ""}]})
    m = c.wait_for(lambda m: m.get("method") == "window/logMessage", "the warning for a didChange of a closed file")
    check(m["params"]["type"] == 2 and "file:///never/opened.xdml" in m["params"]["message"], f"didChange warning: {m}")
    c.send({"jsonrpc": "2.0", "id": 77})
    e = c.wait_for(lambda m: m.get("id") == 77, "the error for a message without method")
    check(e["error"]["code"] == -32600, f"no method: {e}")
    r = c.request("textDocument/documentSymbol", {"textDocument": {"uri": "file:///not/open.xdml"}})
    check(r.get("error", {}).get("code") == -32602, f"a document not open: {r}")
    code = c.finish()
    check(code == 0, f"exit after shutdown: code {code}")

    c = Client(xdmlc)
    c.initialize()
    code = c.finish(shutdown=False)
    check(code == 1, f"exit without shutdown: code {code}")
    c = Client(xdmlc)
    c.proc.stdin.close()
    check(c.proc.wait(timeout=TIMEOUT) == 1, "end of input without shutdown should exit 1")


def case_diagnostics(xdmlc, tmp, args):
    path = os.path.join(tmp, "broken.xdml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(BROKEN)
    c = Client(xdmlc)
    c.initialize()
    count = compare_with_check(xdmlc, c, path)
    check(count >= 2, f"expected at least two errors in {path}, `xdmlc check` gave {count}")
    uri = c.open(path, version=1)
    check(len(c.diagnostics(uri)) == count, "diagnostics on reopening")
    # Fix both errors with incremental edits sent back to back.
    version = 1
    for old, new in (('"high"', "1"), ("frames2", "1")):
        line, character = position_of(BROKEN, old)
        if old == "frames2":  # after é😀 on that line: UTF-16 columns differ from code points
            character = len(BROKEN.split("\n")[line][:character].encode("utf-16-le")) // 2
        version += 1
        c.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": line, "character": character},
                                          "end": {"line": line, "character": character + len(old)}}, "text": new}]})
    d = c.diagnostics(uri)
    while d:  # an intermediate compile is allowed when the edits were read apart
        d = c.diagnostics(uri)
    c.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    check(c.diagnostics(uri) == [], "diagnostics after saving the fixed text")
    with open(path, "w", encoding="utf-8") as f:
        f.write(FIXED)
    check(check_output(xdmlc, path) == [], "the fixed text should check clean")
    check(c.finish() == 0, "exit code")


def case_features(xdmlc, tmp, args):
    tmp = os.path.join(tmp, "flows é 1")  # URIs percent-encode it; imports resolve beside it
    os.mkdir(tmp)
    with open(os.path.join(tmp, "lib.xdml"), "w") as f:
        f.write(LIB)
    path = os.path.join(tmp, "main.xdml")
    with open(path, "w") as f:
        f.write(MAIN)
    with open(os.path.join(tmp, "labcode.py"), "w") as f:
        f.write("def count_peaks(frame):\n    return int((frame > 0.9).sum())\n")
    c = Client(xdmlc)
    c.initialize()
    uri = c.open(path)
    check(c.diagnostics(uri) == [], "main.xdml should check clean")

    def hover(needle, nth=0, offset=1):
        r = c.at("textDocument/hover", uri, *position_of(MAIN, needle, nth, offset))["result"]
        check(r and r["contents"]["kind"] == "markdown", f"hover on {needle}: {r}")
        return r["contents"]["value"]

    text = hover("score(f)")
    check("fn score(f: Frame) -> float" in text and "Mean brightness" in text, f"hover on a fn: {text}")
    text = hover("peaks(f)")
    check('task peaks(f: Frame) -> int = python "labcode:count_peaks" (labcode.py)' in text and "lab's own NumPy" in text,
          f"hover on a Python task: {text}")
    text = hover("quick", 1)
    check("deadline: 1h" in text and "priority: 10" in text and "from slow" in text, f"hover on a policy: {text}")
    text = hover("f)", 1, 0)
    check("f: Frame" in text, f"hover on a local: {text}")

    def definition(needle, nth=0):
        r = c.at("textDocument/definition", uri, *position_of(MAIN, needle, nth, 1))["result"]
        check(r, f"no definition for {needle}")
        return r["uri"], (r["range"]["start"]["line"], r["range"]["start"]["character"])

    check(definition("Frame", 3) == (uri, position_of(MAIN, "Frame")), "definition of a type")
    check(definition("frames", 1) == (uri, position_of(MAIN, "frames")), "definition of a stream")
    check(definition("quick", 1) == (uri, position_of(MAIN, "quick")), "definition of a policy")
    lib_uri = uri_of(os.path.join(tmp, "lib.xdml"))
    got = definition("slow")
    check(got == (lib_uri, position_of(LIB, "slow")), f"definition in an imported file: {got}")

    # Completion after `of type ` lists types only.
    typed = MAIN.replace("flow main", "flow other { on new data of type  }\nflow main")
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": typed}]})
    items = c.at("textDocument/completion", uri, *position_of(typed, "of type  ", 0, 8))["result"]["items"]
    labels = {i["label"] for i in items}
    check("Frame" in labels and "int" in labels, f"completion after 'of type': {labels}")
    check(all(i["kind"] == 22 for i in items), f"only types after 'of type': {items}")
    check("score" not in labels and "frames" not in labels, f"non-types offered: {labels}")

    symbols = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})["result"]
    names = [s["name"] for s in symbols]
    for name in ("Frame", "frames", "quick", "score", "main"):
        check(name in names, f"symbol {name} missing: {names}")
    main = next(s for s in symbols if s["name"] == "main")
    check([h["name"] for h in main["children"]] == ["on new data of type Frame in frames"], f"handlers: {main}")
    check(c.finish() == 0, "exit code")


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".xdml"))
        else:
            out.append(p)
    return out


def case_same_as_check(xdmlc, tmp, args):
    files = files_of(args)
    check(files, "no .xdml files given")
    c = Client(xdmlc)
    c.initialize()
    for path in files:
        compare_with_check(xdmlc, c, path)
    check(c.finish() == 0, "exit code")
    print(f"{len(files)} files: diagnostics equal `xdmlc check`")


def case_hostile(xdmlc, tmp, args):
    """A body nested 150,000 deep and bad Content-Length values: each costs one error, and the
    request after it is answered (the reader resynchronizes and says so on stderr)."""
    c = Client(xdmlc)
    c.initialize()
    deep = b'{"jsonrpc":"2.0","id":5,"method":"textDocument/hover","params":' + b"[" * 150000 + b"]" * 150000 + b"}"
    c.send_raw(b"Content-Length: %d\r\n\r\n" % len(deep) + deep)
    e = c.wait_for(lambda m: m.get("id", 0) is None and "error" in m, "the error for a body nested too deep")
    check(e["error"]["code"] == -32700 and "deeper than 512" in e["error"]["message"], f"deep nesting: {e}")
    r = c.request("workspace/unknownThing", {})
    check(r.get("error", {}).get("code") == -32601, f"the request after deep nesting: {r}")
    for n, bad in enumerate([b"abc", b"-5", b"12345678901234567890", b""]):
        lost = json.dumps({"jsonrpc": "2.0", "id": 100 + n, "method": "workspace/unknownThing"}).encode()
        good = json.dumps({"jsonrpc": "2.0", "id": 200 + n, "method": "workspace/unknownThing"}).encode()
        c.send_raw(b"Content-Length: " + bad + b"\r\n\r\n" + lost + b"Content-Length: %d\r\n\r\n" % len(good) + good)
        e = c.wait_for(lambda m: m.get("id", 0) is None and "error" in m, f"the error for Content-Length '{bad}'")
        check(e["error"]["code"] in (-32700, -32600), f"Content-Length '{bad}': {e}")
        r = c.wait_for(lambda m: m.get("id") == 200 + n, f"the response after Content-Length '{bad}'")
        check(r.get("error", {}).get("code") == -32601, f"after Content-Length '{bad}': {r}")
    # Sent in separate writes: the good request arrives after the reader started skipping.
    c.send_raw(b"Content-Length: x\r\n\r\n{\"id\": 1")
    c.send_raw(b"50}")
    r = c.request("workspace/unknownThing", {})
    check(r.get("error", {}).get("code") == -32601, f"after a bad length in pieces: {r}")
    check(c.finish() == 0, "exit code")
    stderr = c.proc.stderr.read().decode("utf-8", "replace")
    check(stderr.count("bytes after a framing error") >= 5, f"skipped bytes not reported on stderr: {stderr!r}")
    check(not any(m.get("id") in range(100, 104) for m in c.seen), f"a skipped request was answered: {c.seen}")
    print("deep nesting and 5 bad Content-Length values: each answered with one error, the next request served")


def big_list_source(size):
    """A fn returning a list literal of about `size` bytes: integers, floats, negatives."""
    parts, total, i = [], 0, 0
    while total < size:
        item = (str(i), f"{i}.5", f"-{i}")[i % 3]
        parts.append(item)
        total += len(item) + 2
        i += 1
    return "fn table() -> list<float> = [" + ", ".join(parts) + "];\n", len(parts)


def case_large_input(xdmlc, tmp, args):
    """A 2 MB list literal: `xdmlc check` and the language server keep memory proportional to
    the input (peak RSS under a generous bound: the aim is 200 MB)."""
    import resource
    import time
    bound_mb = 400
    # AddressSanitizer's shadow memory and quarantine triple a program's RSS (its documented
    # overhead): under `scripts/test.sh --sanitize` the bound scales with it, and says so.
    with open(xdmlc, "rb") as binary:
        if b"__asan_init" in binary.read():
            bound_mb *= 3
            print(f"xdmlc is built with AddressSanitizer: bound {bound_mb} MB (3 x 400)")
    text, count = big_list_source(2_000_000)
    path = os.path.join(tmp, "big.xdml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    start = time.monotonic()
    p = subprocess.run([xdmlc, "check", path], capture_output=True, text=True, timeout=TIMEOUT * 5)
    seconds = time.monotonic() - start
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    check(p.returncode == 0, f"check of a {len(text)}-byte list: exit {p.returncode}: {p.stdout[-500:]}{p.stderr[-500:]}")
    print(f"xdmlc check, {len(text)} bytes ({count} elements): peak RSS {rss_mb:.0f} MB, {seconds:.1f} s")
    check(rss_mb <= bound_mb, f"xdmlc check peaked at {rss_mb:.0f} MB (bound {bound_mb} MB)")

    c = Client(xdmlc)
    c.initialize()
    start = time.monotonic()
    uri = c.open(path, text)
    diags = c.diagnostics(uri)
    check(not any(d["severity"] == 1 for d in diags), f"errors in the big list: {diags[:3]}")
    r = c.at("textDocument/hover", uri, 0, len(text) - 10)
    check("result" in r, f"hover in the big list: {r}")
    seconds = time.monotonic() - start
    with open(f"/proc/{c.proc.pid}/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    print(f"xdmlc lsp, the same file opened: peak RSS {hwm:.0f} MB, {seconds:.1f} s to diagnostics and a hover")
    check(hwm <= bound_mb, f"the language server peaked at {hwm:.0f} MB (bound {bound_mb} MB)")
    check(c.finish() == 0, "exit code")


CASES = {"protocol": case_protocol, "diagnostics": case_diagnostics, "features": case_features,
         "hostile": case_hostile, "large_input": case_large_input,
         "examples": case_same_as_check, "errors": case_same_as_check}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--xdmlc", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("files", nargs="*", help="for examples/errors: .xdml files or folders")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xdml-lsp-") as tmp:
        try:
            CASES[args.case](os.path.abspath(args.xdmlc), tmp, args.files)
        except Failure as e:
            print(f"FAIL {args.case}: {e}")
            return 1
    print(f"ok {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
