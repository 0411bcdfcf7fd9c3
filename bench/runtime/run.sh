#!/bin/sh
# run.sh — the runtime benchmark with Debian's python3 (it has python3-dask and python3-zmq):
#   bench/runtime/run.sh [path/to/xdmlc] [bench_runtime.py options, e.g. --smoke, --only 13]
here=$(dirname "$0")
xdmlc="$here/../../build/xdmlc"
case "$1" in
  ""|-*) ;;
  *) xdmlc=$1; shift ;;
esac
exec /usr/bin/python3 "$here/bench_runtime.py" --xdmlc "$xdmlc" "$@"
