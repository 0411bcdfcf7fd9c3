#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/corpus/ (npy, value_codec, lsp_framing, lsp_json, hdf5 (with
h5py), and
plan from the examples' plans): valid inputs and the edge cases each reader must refuse cleanly.
The files are committed; run this again only to change the seeds (it rewrites seed-* files and
leaves the fuzzer's findings, crash-* and slow-*, alone).

    make_seeds.py [--xdmlc build/xdmlc]     (without --xdmlc the plan seeds are left as they are)
"""
import argparse
import json
import os
import struct
import subprocess
import tempfile

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, "seed-" + name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ------------------------------------------------------------------------------------- .npy
def npy(descr, shape, body, version=1, fortran=False, header=None):
    """An .npy file as np.save lays it out; `header` replaces the dictionary text."""
    dims = ", ".join(str(d) for d in shape) if len(shape) != 1 else f"{shape[0]},"
    text = header if header is not None else \
        "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, fortran, dims)
    size = 4 if version >= 2 else 2
    pad = 64 - (8 + size + len(text) + 1) % 64
    text = (text + " " * pad + "\n").encode("utf-8" if version == 3 else "latin1")
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I" if size == 4 else "<H", len(text)) + text + body


def npy_seeds():
    write("npy", "f32-2x3", npy("<f4", (2, 3), struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
    write("npy", "f64-3", npy("<f8", (3,), struct.pack("<3d", 0.5, -1, 1e300)))
    write("npy", "i32-scalar", npy("<i4", (), struct.pack("<i", -7)))
    write("npy", "i64-2x2", npy("<i8", (2, 2), struct.pack("<4q", 1, -1, 2**62, -2**63)))
    write("npy", "u8-4", npy("|u1", (4,), bytes([0, 1, 254, 255])))
    write("npy", "u16-2", npy("<u2", (2,), struct.pack("<2H", 1, 65535)))
    write("npy", "bool-3", npy("|b1", (3,), bytes([0, 1, 1])))
    write("npy", "f32-empty", npy("<f4", (0, 4), b""))
    write("npy", "version2", npy("<f4", (1,), struct.pack("<f", 3), version=2))
    write("npy", "version3-utf8", npy("<f4", (1,), struct.pack("<f", 3), version=3))
    write("npy", "big-endian", npy(">f4", (1,), struct.pack(">f", 3)))
    write("npy", "fortran-order", npy("<f4", (2, 2), struct.pack("<4f", 1, 2, 3, 4), fortran=True))
    write("npy", "unknown-descr", npy("<c8", (1,), b"\0" * 8))
    write("npy", "truncated-body", npy("<f8", (4,), b"\0" * 12))
    write("npy", "trailing-bytes", npy("|u1", (2,), b"\1\2\3"))
    write("npy", "huge-shape", npy("<f4", (2**40, 2**40), b""))
    write("npy", "negative-shape", npy("<f4", (-1,), b""))
    write("npy", "header-not-dict", npy("", (), b"", header="[1, 2, 3]"))
    write("npy", "header-missing-key", npy("", (), b"", header="{'descr': '<f4', 'shape': (1,)}"))
    write("npy", "header-length-past-end", b"\x93NUMPY\x01\x00\xff\xff{'descr'")
    write("npy", "magic-only", b"\x93NUMPY")
    write("npy", "not-npy", b"PK\3\4 a zip file")


# ------------------------------------------------------------------------------- value codec
NONE, BOOL, INT, FLOAT, F32, STRING, QUANTITY, TENSOR, RECORD, LIST = range(10)


def text(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def tensor(elem, dims, body):
    return bytes([TENSOR, elem]) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<q", d) for d in dims) + body


def value_codec_seeds():
    write("value_codec", "none", bytes([NONE]))
    write("value_codec", "bool", bytes([BOOL, 1]))
    write("value_codec", "int", bytes([INT]) + struct.pack("<q", -42))
    write("value_codec", "float", bytes([FLOAT]) + struct.pack("<d", 2.5))
    write("value_codec", "f32", bytes([F32]) + struct.pack("<f", 0.25))
    write("value_codec", "string", bytes([STRING]) + text("hits/run-0017.npy"))
    write("value_codec", "quantity-bandwidth", bytes([QUANTITY, 2]) + struct.pack("<d", 1.25e9))
    write("value_codec", "tensor-f32-2x2", tensor(5, [2, 2], struct.pack("<4f", 1, 2, 3, 4)))
    write("value_codec", "tensor-u8-0x3", tensor(1, [0, 3], b""))
    write("value_codec", "tensor-bool-scalar", tensor(0, [], b"\1"))
    hit = struct.pack("<I", 2) + text("energy") + bytes([FLOAT]) + struct.pack("<d", 9.5) + \
        text("tags") + bytes([LIST]) + struct.pack("<Q", 2) + bytes([STRING]) + text("a") + bytes([STRING]) + text("b")
    write("value_codec", "record", bytes([RECORD]) + hit)
    write("value_codec", "list-of-records", bytes([LIST]) + struct.pack("<Q", 2) + (bytes([RECORD]) + hit) * 2)
    write("value_codec", "nested-lists-256", (bytes([LIST]) + struct.pack("<Q", 1)) * 256 + bytes([NONE]))
    write("value_codec", "nested-lists-300", (bytes([LIST]) + struct.pack("<Q", 1)) * 300 + bytes([NONE]))
    write("value_codec", "unknown-kind", bytes([200]))
    write("value_codec", "unknown-quantity", bytes([QUANTITY, 9]) + struct.pack("<d", 1))
    write("value_codec", "unknown-elem", tensor(9, [1], b"\0"))
    write("value_codec", "rank-33", tensor(5, [1] * 33, b"\0" * 4))
    write("value_codec", "huge-dims", tensor(6, [2**31, 2**31], b""))
    write("value_codec", "string-length-past-end", bytes([STRING]) + struct.pack("<Q", 2**63) + b"abc")
    write("value_codec", "list-count-past-end", bytes([LIST]) + struct.pack("<Q", 2**62) + bytes([NONE]))
    write("value_codec", "trailing-bytes", bytes([NONE, NONE]))
    write("value_codec", "empty", b"")


# ------------------------------------------------------------------------ language server
def framed(body, length=None):
    b = body.encode() if isinstance(body, str) else body
    return f"Content-Length: {len(b) if length is None else length}\r\n\r\n".encode() + b


INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                         "params": {"processId": None, "rootUri": None, "capabilities": {}}})
DID_OPEN = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
    "uri": "file:///tmp/a.xdml", "languageId": "xdml", "version": 1,
    "text": "const n = 3;\nflow main { log \"n = ${n}\"; }\n"}}})
HOVER = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
    "textDocument": {"uri": "file:///tmp/a.xdml"}, "position": {"line": 0, "character": 6}}})


def lsp_seeds():
    session = framed(INITIALIZE) + framed(DID_OPEN) + framed(HOVER)
    # The first byte chooses how the stream is split (fuzz_lsp_framing.cpp): whole, 1, 7, 64 bytes.
    for piece in (0, 1, 7, 64):
        write("lsp_framing", f"session-pieces-{piece}", bytes([piece]) + session)
    for name, header in [("length-abc", b"Content-Length: abc\r\n\r\n{}"),
                         ("length-negative", b"Content-Length: -5\r\n\r\n{}"),
                         ("length-20-digits", b"Content-Length: 99999999999999999999\r\n\r\n{}"),
                         ("length-over-limit", b"Content-Length: 67108865\r\n\r\n{}"),
                         ("no-length", b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}"),
                         ("no-blank-line", b"Content-Length: 2\r\n{}")]:
        write("lsp_framing", name, bytes([0]) + header + framed(HOVER))
    write("lsp_framing", "length-too-small", bytes([0]) + framed(HOVER, len(HOVER) - 5) + framed(HOVER))
    write("lsp_framing", "length-too-large", bytes([0]) + framed(HOVER, len(HOVER) + 5) + framed(HOVER))
    write("lsp_framing", "body-not-json", bytes([3]) + framed("{\"id\": 1,") + framed(HOVER))
    write("lsp_framing", "body-not-object", bytes([0]) + framed("[1, 2]") + framed(HOVER))
    write("lsp_framing", "long-header", bytes([64]) + b"X-Pad: " + b"a" * 9000 + b"\r\n" + framed(HOVER))
    write("lsp_framing", "extra-headers", bytes([0]) + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
          + framed(HOVER))

    for name, body in [("initialize", INITIALIZE), ("did-open", DID_OPEN), ("hover", HOVER),
                       ("numbers", '{"a": [0, -0, -0.0, 1e308, 1.5e-320, 18446744073709551615, -9223372036854775808]}'),
                       ("escapes", '{"s": "\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\"}'),
                       ("lone-surrogate", '{"s": "\\ud800"}'),
                       ("invalid-utf8", b'{"s": "\xff\xfe"}'),
                       ("nested-100", "[" * 100 + "]" * 100),
                       ("not-object", "[1, 2, 3]"),
                       ("truncated", '{"id": 1, "method": "initia'),
                       ("empty", "")]:
        write("lsp_json", name, body)


# -------------------------------------------------------------------------------------- plans
# Small flows whose plans cover the plan's vocabulary (types, statements, handlers, sources,
# models, catalogs, policies, passes), and the smallest example whole.
PLAN_FLOWS = ["examples/continual.xdml"] + ["tests/golden/" + f + ".xdml" for f in [
    "parse/types_all", "records_lists/for_over_list", "records_lists/record_field_access",
    "calls/recursion_allowed", "calls/named_and_positional", "models/model_ok", "streams/sources_all",
    "refinement/classified_int_classes", "shapes/slice_open_ends", "stdlib/count_catalog_and_len",
    "lexical/string_brace_escapes", "passes/effectful_calls_stay", "units/duration_plus_duration",
    "tensors/bool_tensor_logic", "jit/scalar_fn"]]


def plan_seeds(xdmlc):
    for rel in PLAN_FLOWS:
        flow = os.path.join(ROOT, rel)
        name = rel.replace("tests/golden/", "").replace("/", "-")[:-5]
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([xdmlc, "build", "--emit=plan", "-o", os.path.join(tmp, "plan.json"), flow],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"{flow}: xdmlc build --emit=plan failed: {out.stderr}")
            with open(os.path.join(tmp, "plan.json")) as f:
                plan = json.load(f)
        # Compact: the seeds stay small, and the fuzzer's mutations land on content, not spaces.
        write("plan", name, json.dumps(plan, separators=(",", ":")))
    write("plan", "not-object", "[]")
    write("plan", "wrong-version", '{"xdml_plan": 2}')
    write("plan", "empty-code", '{"xdml_plan": 1, "code": {}}')
    # Past plan_json::kMaxNesting: refused before any reader recurses (a 5,000-deep expression
    # overflowed the stack; tests/unit/test_plan_nesting.cpp builds that one).
    write("plan", "nested-past-bound", '{"xdml_plan":1,"code":{"models":' + "[" * 2100 + "]" * 2100 + "}}")


# ------------------------------------------------------------------------ deployment files
def deploy_seeds():
    with open(os.path.join(ROOT, "examples", "ssx.deploy.toml"), encoding="utf-8") as f:
        write("deploy", "example-ssx", f.read())
    write("deploy", "one-local-site", '[profiles.laptop.sites.beamline]\nplacement = "local"\nthreads_per_rank = 2\n')
    write("deploy", "slurm-everything", """default = "cluster"
[profiles.cluster]
mpi = "mpich"
hetjob = false
[profiles.cluster.sites.hpc]
placement = "mpi"
ranks = 4
threads_per_rank = 2
gpus = 2
[profiles.cluster.sites.hpc.slurm]
partition = "gpu"
account = "aps"
nodes = 2
tasks = 4
cpus_per_task = 2
gpus_per_node = 1
memory = "64G"
time = 01:30:00
mpi = "pmi2"
setup = ["module load mpich", "export X=1"]
""")
    write("deploy", "inline-tables", 'profiles = { a = { sites = { x = { placement = "mpi", ranks = 2, slurm = { time = "2-00:00:00" } } } } }\n')
    write("deploy", "syntax-error", "[profiles.a\nranks = = 1\n")
    write("deploy", "unknown-key", "[profiles.a.sites.x]\nthread_per_rank = 2\n")
    write("deploy", "wrong-types", '[profiles.a.sites.x]\nranks = "4"\ngpus = 1.5\n[profiles.a.sites.x.slurm]\nsetup = [1, 2]\n')
    write("deploy", "bad-formats", '[profiles.a.sites.x.slurm]\nmemory = "64GB"\ntime = "1:99"\n')
    write("deploy", "empty", "")
    write("deploy", "default-names-nothing", 'default = "b"\n[profiles.a]\n')
    write("deploy", "no-default-two-profiles", "[profiles.a]\n[profiles.b]\n")
    write("deploy", "deep-arrays", "x = " + "[" * 300 + "]" * 300 + "\n")
    write("deploy", "huge-integer", "[profiles.a.sites.x]\nranks = 9223372036854775807\n")
    write("deploy", "not-utf8", b"[profiles.a.sites.x]\nplacement = \"\xff\xfe\"\n")


# ------------------------------------------------------------------------------------- HDF5
def hdf5_seeds():
    """Files h5py writes (every filter the reader decodes itself or through the library), and
    the same bytes damaged: truncated, a corrupt chunk, a corrupt superblock."""
    import bitshuffle.h5  # noqa: F401  (the bitshuffle filter, to write it)
    import h5py
    import numpy as np
    rng = np.random.default_rng(1)
    frames = rng.poisson(3.0, size=(3, 16, 16)).astype(np.uint32)
    variants = {
        "plain": {},
        "gzip": {"compression": "gzip", "chunks": (1, 16, 16)},
        "lz4": {"compression": 32004, "chunks": (1, 16, 16)},
        "bslz4": {"compression": 32008, "compression_opts": (0, 2), "chunks": (1, 16, 16)},
        "bslz4-multi": {"compression": 32008, "compression_opts": (0, 2), "chunks": (2, 8, 16)},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, kw in variants.items():
            path = os.path.join(tmp, name + ".h5")
            with h5py.File(path, "w") as f:
                f.create_dataset("/entry/data/data", data=frames, **kw)
                f.create_dataset("/data", data=frames[0].astype(np.int16))
            blob = open(path, "rb").read()
            write("hdf5", name, blob)
            write("hdf5", name + "-truncated", blob[: len(blob) * 2 // 3])
            if "chunks" in kw:
                with h5py.File(path, "r") as f:
                    offset = f["/entry/data/data"].id.get_chunk_info(0).byte_offset
                damaged = bytearray(blob)
                for k in range(4, 40):
                    damaged[offset + k] ^= 0xA5
                write("hdf5", name + "-corrupt-chunk", bytes(damaged))
        damaged = bytearray(open(os.path.join(tmp, "plain.h5"), "rb").read())
        damaged[8:24] = b"\xff" * 16
        write("hdf5", "corrupt-superblock", bytes(damaged))
    write("hdf5", "not-hdf5", b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    write("hdf5", "empty", b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xdmlc")
    args = ap.parse_args()
    npy_seeds()
    value_codec_seeds()
    lsp_seeds()
    deploy_seeds()
    hdf5_seeds()
    if args.xdmlc:
        plan_seeds(args.xdmlc)


if __name__ == "__main__":
    main()
