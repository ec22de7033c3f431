#!/usr/bin/env bash
# Memory against simulated time (docs/performance.md, "Memory flat in
# simulated time"): the 20,000 x 1,000 benchmark circuit generated with
# Poisson inputs for LONG ms, run for 1 s and for LONG ms with every spike
# and the V_m report recorded; prints both peaks (whole process, /usr/bin/time)
# and their ratio.
#
#   bench/long_run.sh [--long MS] [--threads T] [--dir DIR] [--pointsim BIN]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
long=60000 threads=1 dir=/tmp/pointsim-long-run bin=$root/build/apps/pointsim/pointsim
while [ $# -gt 0 ]; do
  case $1 in
    --long) long=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --pointsim) bin=$2; shift 2 ;;
    *) sed -n '2,9p' "$0"; exit 2 ;;
  esac
done

[ -f "$dir/config.json" ] || "$bin" generate "$dir" --neurons 20000 --indegree 1000 --seed 1 --tstop "$long" --dt 0.1
# The same circuit and inputs, stopped after 1 s.
sed 's/"tstop": *[0-9.eE+-]*/"tstop": 1000.0/' "$dir/simulation_config.json" > "$dir/simulation_config_1s.json"
sed 's/simulation_config.json/simulation_config_1s.json/' "$dir/config.json" > "$dir/config_1s.json"

run() {  # config label -> "seconds peak_kib"
  /usr/bin/time -f '%e %M' -o "$dir/time_$2" "$bin" run "$dir/$1" --threads "$threads" -q --output-dir "$dir/out_$2"
  cat "$dir/time_$2"
}
read -r s1 m1 <<< "$(run config_1s.json 1s)"
read -r sl ml <<< "$(run config.json long)"
spikes() { awk '$4 == "spikes" && $5 == "internal" {print $6}' "$dir/out_$1/log.txt"; }
awk -v s1="$s1" -v m1="$m1" -v sl="$sl" -v ml="$ml" -v long="$long" -v n1="$(spikes 1s)" -v nl="$(spikes long)" 'BEGIN {
  printf "run          wall s   peak MiB     spikes\n"
  printf "1 s        %8.1f %10.1f %10s\n", s1, m1 / 1024, n1
  printf "%-10s %8.1f %10.1f %10s\n", (long / 1000) " s", sl, ml / 1024, nl
  printf "peak ratio long / 1 s: %.3f\n", ml / m1 }'
