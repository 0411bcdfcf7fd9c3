#!/usr/bin/env bash
# Sets up (Debian packages), builds xdmlc and runs it on the flagship example flow: serial
# crystallography at a beamline (examples/ssx.xdml).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build xdmlc
echo "== xdmlc check examples/ssx.xdml"
./build/xdmlc check examples/ssx.xdml
echo "== xdmlc build examples/ssx.xdml --emit=ast"
./build/xdmlc build examples/ssx.xdml --emit=ast
echo "== xdmlc build examples/ssx.xdml --emit=ir -O2   (the dataflow graph, placed and fused)"
./build/xdmlc build examples/ssx.xdml --emit=ir -O2
