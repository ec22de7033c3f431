#!/usr/bin/env bash
# How far pointsim's load is from the floor of the same work on this host
# (docs/performance.md, "How far the load is from the host's floor"): the
# 20,000 x 1,000 benchmark circuit, stopped after 1 ms so that the run is
# its load; alternated with load_floor.cpp's passes (grouped, as pointsim,
# and sequential, no rows at all), PAIRS times. Prints
# pointsim's "read edges" phase and the floor's passes, one line per run.
#
#   bench/load_floor/run.sh [--pairs N] [--threads T] [--dir DIR] [--pointsim BIN]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pairs=5 threads=1 dir=/tmp/pointsim-load-floor bin=$root/build/apps/pointsim/pointsim
while [ $# -gt 0 ]; do
  case $1 in
    --pairs) pairs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --pointsim) bin=$2; shift 2 ;;
    *) sed -n '2,9p' "$0"; exit 2 ;;
  esac
done

[ -f "$dir/config.json" ] || "$bin" generate "$dir" --neurons 20000 --indegree 1000 --seed 1 --tstop 1 --dt 0.1 >/dev/null
g++ -O2 -I/usr/include/hdf5/serial "$here/load_floor.cpp" -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -o "$dir/load_floor"
edges=$dir/network/internal_internal_edges.h5
for _ in $(seq "$pairs"); do
  rm -rf "$dir/out"
  "$bin" run "$dir/config.json" --threads "$threads" -q --output-dir "$dir/out"
  awk '/read edges/ {printf "pointsim (%s thread(s)): read edges %s s, 21,000,000 edges in two populations\n", t, $7}' t="$threads" "$dir/out/log.txt"
  "$dir/load_floor" "$edges" internal_to_internal 20000 grouped
  "$dir/load_floor" "$edges" internal_to_internal 20000 sequential
done
