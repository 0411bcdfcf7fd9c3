#!/usr/bin/env bash
# Sets up (Debian packages), builds and runs the whole test suite.
#   scripts/test.sh              the suite, in build/
#   scripts/test.sh --sanitize   the suite under AddressSanitizer + UBSan, in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
flags=()
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  flags=(-DXDML_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
fi

bash scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
ninja -C "$build"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
