#!/usr/bin/env python3
"""test_vim.py — checks editors/vim: filetype detection, syntax groups and indentation.

    python3 test_vim.py [--vim VIM]

1. Syntax: fixtures/*.xdml carry `// ^^^ vim: xdmlGroup` lines under the line they test (the
   format is described in test_textmate.js). Vim, started bare (`-u NONE`) with editors/vim on
   its runtimepath, reports synIDattr(synID(line, col, 1), "name") for every marked column, and
   each must equal the group named. Every group used must also link to a standard highlight group
   (synIDtrans differs from the group itself), or to nothing for plain names.
2. Filetype: opening a .xdml file sets filetype=xdml, and the ftplugin's settings are there.
3. Indentation: fixtures/indent.xdml, with every line's indentation stripped, re-indented with
   `gg=G` must equal the file as written.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VIM_RTP = os.path.join(ROOT, "editors", "vim")
FIXTURES = os.path.join(HERE, "fixtures")
ANNOTATION = re.compile(r"^//\s*(?:(<-+)|(\s*)(\^+))\s+(tm|vim):\s*(.*)$")
# Groups whose text is plain (no highlight of their own).
PLAIN = {"xdmlIdentifier", "xdmlMember"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg, file=sys.stderr, flush=True)


def run_vim(vim, file, commands):
    """Opens `file` in a bare Vim with editors/vim on the runtimepath and runs `commands`."""
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "script.vim")
        out = os.path.join(tmp, "out.txt")
        with open(script, "w") as f:
            f.write("set nocompatible\n")
            f.write("set rtp^=%s\n" % VIM_RTP.replace(" ", "\\ "))
            f.write("filetype plugin indent on\nsyntax on\n")
            f.write("edit %s\n" % file.replace(" ", "\\ "))
            f.write("let g:out = []\n")
            f.write(commands)
            f.write("\ncall writefile(g:out, '%s')\nqall!\n" % out)
        proc = subprocess.run([vim, "-es", "-N", "-u", "NONE", "-i", "NONE", "-S", script],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        if not os.path.exists(out):
            fail("%s: vim did not finish the script (exit %d): %s%s"
                 % (file, proc.returncode, proc.stdout, proc.stderr))
            return []
        with open(out) as f:
            return f.read().splitlines()


def annotations(path):
    checks = []
    target = -1
    with open(path) as f:
        lines = f.read().split("\n")
    for i, text in enumerate(lines):
        m = ANNOTATION.match(text)
        if not m:
            target = i
            continue
        if m.group(4) != "vim":
            continue
        first, count = (0, len(m.group(1)) - 1) if m.group(1) else (text.index("^"), len(m.group(3)))
        for col in range(first, first + count):
            checks.append((target + 1, col + 1, m.group(5).strip(), i + 1, lines[target]))
    return checks


def check_syntax(vim, path):
    checks = annotations(path)
    if not checks:
        return 0
    cmds = "".join(
        "call add(g:out, synIDattr(synID(%d, %d, 1), 'name') . ' ' . synIDattr(synIDtrans(synID(%d, %d, 1)), 'name'))\n"
        % (line, col, line, col) for line, col, _, _, _ in checks)
    results = run_vim(vim, path, "call add(g:out, &filetype)\n" + cmds)
    if not results:
        return 0
    rel = os.path.relpath(path)
    if results[0] != "xdml":
        fail("%s: filetype is '%s', expected 'xdml' (ftdetect/xdml.vim)" % (rel, results[0]))
    for (line, col, want, ann, text), got in zip(checks, results[1:]):
        name, _, trans = (got + " ").partition(" ")
        trans = trans.strip()
        token = re.match(r"\w*|.", text[col - 1:]).group(0) if col <= len(text) else ""
        if name != want:
            fail("%s:%d:%d: at '%s' expected syntax group %s, actual %s (linked to %s) "
                 "(annotation on line %d)" % (rel, line, col, token, want, name or "none", trans or "none", ann))
        elif name not in PLAIN and (not trans or trans == name):
            fail("%s:%d:%d: group %s is not linked to a standard highlight group" % (rel, line, col, name))
    return len(checks)


def check_ftplugin(vim, path):
    want = {"&commentstring": "//\\ %s".replace("\\", ""), "&shiftwidth": "4", "&expandtab": "1",
            "&matchpairs": "(:),{:},[:]", "b:current_syntax": "xdml", "&indentexpr": "XdmlIndent(v:lnum)"}
    cmds = "".join("call add(g:out, string(%s))\n" % k for k in want)
    results = run_vim(vim, path, cmds)
    for (expr, value), got in zip(want.items(), results):
        got = got.strip("'")
        if got != value:
            fail("%s: %s is '%s', expected '%s' (ftplugin/syntax/indent)" % (os.path.relpath(path), expr, got, value))
    return len(want)


def check_indent(vim, path):
    with open(path) as f:
        expected = f.read().split("\n")
    if expected and expected[-1] == "":
        expected.pop()
    with tempfile.TemporaryDirectory() as tmp:
        flat = os.path.join(tmp, "flat.xdml")
        with open(flat, "w") as f:
            f.write("\n".join(line.lstrip() for line in expected) + "\n")
        got = run_vim(vim, flat, "normal! gg=G\nlet g:out = getline(1, '$')\n")
    rel = os.path.relpath(path)
    for i, (want, have) in enumerate(zip(expected, got)):
        if want != have:
            fail("%s:%d: after gg=G the line reads\n    %r\n  expected\n    %r" % (rel, i + 1, have, want))
            break
    if len(got) != len(expected):
        fail("%s: gg=G gave %d lines, expected %d" % (rel, len(got), len(expected)))
    return len(expected)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vim", default="vim")
    args = ap.parse_args()
    fixtures = sorted(os.path.join(FIXTURES, f) for f in os.listdir(FIXTURES) if f.endswith(".xdml"))
    n_syntax = sum(check_syntax(args.vim, f) for f in fixtures)
    n_ft = check_ftplugin(args.vim, os.path.join(FIXTURES, "highlight.xdml"))
    n_indent = check_indent(args.vim, os.path.join(FIXTURES, "indent.xdml"))
    print("test_vim: %d syntax checks in %d fixtures, %d buffer settings, %d lines re-indented (%s)"
          % (n_syntax, len(fixtures), n_ft, n_indent, os.path.relpath(VIM_RTP)), flush=True)
    if failures:
        print("test_vim: %d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("test_vim: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
