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
  # GCC 12's sanitizer runtime (Debian 12) mistakes some dynamic TLS blocks of glibc >= 2.25
  # for the old 2.19 layout, and LeakSanitizer's tracer then dies at exit ("Tracer caught
  # signal 11") after a correct run: LibTorch's threads make it likely. Fixed in GCC 14 /
  # LLVM 17 (google/sanitizers#1322); until then the interceptor is off.
  export ASAN_OPTIONS="intercept_tls_get_addr=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  # hwloc's pci component (libpciaccess), which MPI_Init loads to read the machine's topology,
  # leaks 1,016 bytes where the VM exposes PCI devices, and hwloc unloads it at MPI_Finalize:
  # LeakSanitizer then sees frames of an unknown module only, which no suppression can name.
  # The suite's MPI runs share one host over loopback, where PCI locality decides nothing.
  export HWLOC_COMPONENTS="${HWLOC_COMPONENTS:--pci}"
fi

bash scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
ninja -C "$build"
cd "$build"
ctest --output-on-failure -j "$(nproc)"
