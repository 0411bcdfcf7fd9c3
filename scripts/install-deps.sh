#!/usr/bin/env bash
# Installs every Debian package XDML needs to build, test and run. Idempotent: a fast no-op when
# all are present. Only Debian's packages; nothing is downloaded from anywhere else (the editor
# tests alone fetch two npm packages, pinned by their lock file: tests/editors/package.json).
set -euo pipefail

packages=(
  # build
  cmake ninja-build ccache g++ python3 pkg-config
  # front end: ANTLR4 tool (Java) and C++ runtime
  antlr4 libantlr4-runtime-dev uuid-dev
  # JIT, IR graph, models, provenance
  llvm-19-dev libzstd-dev libboost-graph-dev libtorch-dev libopenblas0-pthread libsqlite3-dev
  # xdmlc's allocator: TCMalloc (tcmalloc_minimal; docs/runtime.md "Hand-offs and the allocator")
  libgoogle-perftools-dev
  # tests, CLI, JSON, streams
  catch2 libcli11-dev nlohmann-json3-dev libzmq3-dev
  # tests: Graphviz renders --emit=dot; jsonschema validates plans
  graphviz python3-jsonschema
  # tests and benchmarks of the runtime: a real ZeroMQ client, Dask to compare against
  python3-zmq python3-dask
  # tests of the provenance export: W3C PROV-JSON read back and written as PROV-N
  python3-prov
  # the REPL's line editing; its terminal test (tmux); the vim files' test
  libreadline-dev tmux vim
  # deployment files (TOML): the reader in deploy/
  libtomlplusplus-dev
  # distributed runs and their tests: a real Slurm on loopback (with its own munged), PMIx,
  # and both MPI flavours (tests/distributed)
  slurmctld slurmd slurm-client munge libpmix-dev openmpi-bin libopenmpi-dev mpich libmpich-dev
  # detector data (HDF5 in and out): the library, LZ4 for XDML's checked decoders, the filter
  # plugins (LZ4, bitshuffle: bitshuffle's SIMD transpose is used too); h5py makes the tests' files
  libhdf5-dev liblz4-dev hdf5-filter-plugin bitshuffle python3-h5py
  # Python tasks (docs/python.md): the workers are Debian's python3, tensors cross as NumPy arrays
  python3-numpy
  # the run report (docs/report.md): the HTTP server of the live view; headless Chromium loads
  # the pages in the tests and takes the docs' screenshots
  libcpp-httplib-dev chromium
)
# Node.js runs the editor tests (the TextMate grammar under VS Code's tokenizer, whose npm
# packages the test installs from tests/editors/package-lock.json). A Node.js that is already
# there (with its own npm) is kept: Debian's npm package would conflict with it.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
