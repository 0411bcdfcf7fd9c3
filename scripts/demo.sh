#!/usr/bin/env bash
# Sets up (Debian packages), builds xdmlc and runs it on detector files (examples/eiger.xdml: HDF5
# frames as an Eiger writes them, made here by h5py) and on a NumPy peak finder called as a Python
# task (examples/peaks.xdml), then on the flagship example flow: serial
# crystallography at a beamline (examples/ssx.xdml: hit finding, indexing, a hit-finder model
# retrained with rehearsal as labels arrive; then its provenance asked and the run replayed),
# then continual learning with and without
# rehearsal (examples/continual.xdml), the model-free flows, and the beamline QC flow whose
# kernels the JIT compiles (examples/hitfinder.xdml).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build xdmlc
mkdir -p build/demo
echo "== python3 examples/eiger_data.py   (an Eiger-style series: HDF5 master files linking to bitshuffle-LZ4 frames, made by h5py)"
rm -rf build/demo/eiger.run
/usr/bin/python3 examples/eiger_data.py build/demo/eiger.run/series
echo "== xdmlc run examples/eiger.xdml --set bright=12   (frames screened for hits; hits written as HDF5; a JSON summary on stop)"
./build/xdmlc run examples/eiger.xdml --workdir build/demo/eiger.run --set series=series --set bright=12
cat build/demo/eiger.run/summary.json
echo "== xdmlc catalog export hits --format csv   (the catalog's rows, each with its run)"
./build/xdmlc catalog export hits --workdir build/demo/eiger.run --format csv
echo "== xdmlc run examples/peaks.xdml --set threshold=6.0   (the scientist's own NumPy peak finder, examples/peaks.py, as a Python task)"
rm -rf build/demo/peaks.run
./build/xdmlc run examples/peaks.xdml --workdir build/demo/peaks.run --set threshold=6.0
echo "== xdmlc catalog export peaks --format csv   (its first rows)"
./build/xdmlc catalog export peaks --workdir build/demo/peaks.run --format csv | sed -n '1,4p'
echo "== xdmlc check examples/ssx.xdml"
./build/xdmlc check examples/ssx.xdml
echo "== xdmlc build examples/ssx.xdml --emit=ast"
./build/xdmlc build examples/ssx.xdml --emit=ast
echo "== xdmlc build examples/ssx.xdml --emit=ir -O2   (the dataflow graph, placed and fused)"
./build/xdmlc build examples/ssx.xdml --emit=ir -O2
mkdir -p build/demo
echo "== xdmlc run examples/ssx.xdml   (the flagship: frames, hits, stills, the hit finder retrained)"
rm -rf build/demo/ssx.run
./build/xdmlc run examples/ssx.xdml --workdir build/demo/ssx.run
echo "== xdmlc prov models hitfinder   (the hit finder's versions: parent, metrics, data, why each training stopped)"
./build/xdmlc prov models hitfinder --workdir build/demo/ssx.run
echo "== xdmlc prov why 'stills#1'   (the decisions behind a result: trigger, placement, model version)"
./build/xdmlc prov why 'stills#1' --workdir build/demo/ssx.run
echo "== xdmlc replay   (the run again from its log; every input and output hash compared)"
./build/xdmlc replay --workdir build/demo/ssx.run --quiet
echo "== xdmlc run examples/continual.xdml   (five tasks, one after the other: rehearsal against none)"
rm -rf build/demo/continual.run
./build/xdmlc run examples/continual.xdml --workdir build/demo/continual.run
echo "== xdmlc run examples/statements.xdml   (every statement and finite source, two sites)"
./build/xdmlc run examples/statements.xdml --workdir build/demo/statements.run
for level in 0 2; do
  echo "== xdmlc run examples/relay.xdml -O$level   (measured bytes per frame against the plan)"
  ./build/xdmlc run examples/relay.xdml -O$level --workdir build/demo/relay$level.run --quiet \
    --stats-json build/demo/relay$level.json
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); n=s['items']['raw_frames']; print('  moved %.2f (plan %.2f), written %.2f (plan %.2f) bytes per frame' % (s['moved_bytes']/n, s['planned_moved_bytes_per_item'], s['written_bytes']/n, s['planned_written_bytes_per_item']))" build/demo/relay$level.json
done
echo "== xdmlc run examples/hitfinder.xdml   (beamline QC: the predicate, fns and fused kernels compiled by the JIT)"
./build/xdmlc run examples/hitfinder.xdml --workdir build/demo/hitfinder.run --stats-json build/demo/hitfinder.json
python3 -c "import json,sys; [print('  %-30s %s' % (k['what'], ('compiled in %.1f ms' % k['compile_ms']) if k['compiled'] else 'interpreted: ' + k['reason'])) for k in json.load(open(sys.argv[1]))['jit']['kernels']]" build/demo/hitfinder.json
echo "== xdmlc repl examples/ssx.xdml   (the REPL, fed through a pipe: evaluate, redefine, :type, :jit)"
printf '%s\n' 'hit_score(detector(3))' 'fn hit_score(f: Frame) -> float = max(f);' 'hit_score(detector(3))' \
  ":type index" ":jit" | ./build/xdmlc repl examples/ssx.xdml --workdir build/demo/repl.run
