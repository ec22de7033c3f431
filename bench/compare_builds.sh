#!/usr/bin/env bash
# Side-by-side timing of two pointsim binaries (e.g. a baseline commit's and
# the working tree's) on the same configs, runs alternating so that machine
# noise hits both alike. Prints the simulate phase (from each run's log) per
# run, then a markdown table of the medians and their ratio, and fails if
# the two binaries' spikes.h5 differ in any byte.
#
# usage: bench/compare_builds.sh BASELINE_BIN CURRENT_BIN REPEATS CONFIG...
# e.g.   git worktree add /tmp/base e646513 && cmake -S /tmp/base -B /tmp/base/build \
#          -DPOINTSIM_BUILD_TESTS=OFF && cmake --build /tmp/base/build --target pointsim
#        bench/compare_builds.sh /tmp/base/build/apps/pointsim/pointsim build/apps/pointsim/pointsim 2 \
#          examples/point_450cells/config.simulation.json
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,13p' "$0"; exit 2; }
base=$1 cur=$2 repeats=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rows=()
for cfg in "$@"; do
  : > "$work/base.t"; : > "$work/cur.t"
  for ((r = 1; r <= repeats; r++)); do
    for which in base cur; do
      bin=$base; [ "$which" = cur ] && bin=$cur
      "$bin" run "$cfg" --output-dir "$work/$which" -q
      t=$(grep -o 'simulate  *[0-9.]* s' "$work/$which/log.txt" | awk '{print $2}')
      echo "$cfg $which run $r: simulate $t s"
      echo "$t" >> "$work/$which.t"
    done
    cmp -s "$work/base/spikes.h5" "$work/cur/spikes.h5" || { echo "$cfg: spikes.h5 differ"; exit 1; }
  done
  b=$(median < "$work/base.t") c=$(median < "$work/cur.t")
  rows+=("| $cfg | $b | $c | $(awk -v b="$b" -v c="$c" 'BEGIN {printf "%.2fx", b / c}') |")
done
echo
echo "| config | baseline simulate (s) | current simulate (s) | speed-up |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo "(median of $repeats runs each; spikes.h5 byte-identical in every pair)"
