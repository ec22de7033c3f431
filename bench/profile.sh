#!/usr/bin/env bash
# Profiles one pointsim run (default: the N=20000, K=1000 benchmark circuit)
# with `perf record -g` and prints the functions with the most self time.
# usage: bench/profile.sh [--neurons N] [--indegree K] [--seed S] [--work DIR]
#                         [--pointsim PATH] [--keep]
# The circuit is generated into WORK/n<N>_k<K> unless it is already there
# (e.g. left by `run_benchmarks.sh --keep`); perf.data and perf-report.txt
# stay in WORK.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
neurons=20000
indegree=1000
seed=1
work=/tmp/pointsim-bench
pointsim="$repo/build/apps/pointsim/pointsim"
keep=0

while [ $# -gt 0 ]; do
  case "$1" in
    --neurons) neurons=$2; shift 2 ;;
    --indegree) indegree=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --pointsim) pointsim=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "profile.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

if ! command -v perf >/dev/null 2>&1; then
  echo "profile.sh: perf is missing (Debian: apt-get install linux-perf); cannot profile" >&2
  exit 1
fi
[ -x "$pointsim" ] || { echo "profile.sh: no pointsim binary at $pointsim" >&2; exit 1; }

mkdir -p "$work"
circuit="$work/n${neurons}_k${indegree}"
generated=0
if [ ! -f "$circuit/config.json" ]; then
  echo "== generating N=$neurons K=$indegree into $circuit" >&2
  rm -rf "$circuit"
  "$pointsim" generate "$circuit" --neurons "$neurons" --indegree "$indegree" --seed "$seed" >&2
  generated=1
fi

out="$work/profile_out"
rm -rf "$out"
echo "== perf record -g: $pointsim run $circuit/config.json" >&2
perf record -g -o "$work/perf.data" -- "$pointsim" run "$circuit/config.json" --output-dir "$out" -q >&2
grep -A 12 'Summary' "$out/log.txt" | sed 's/^.*\[info\] /  /' >&2

# Self time per function (call-graph lines left out), 1% and above.
perf report -i "$work/perf.data" --no-children --percent-limit 1 --stdio -g none 2>/dev/null > "$work/perf-report.txt"
echo "== top functions (self time, % of all samples)"
grep '^ ' "$work/perf-report.txt" | head -30
echo "== self time by binary/library (libhdf5* = HDF5 reads, [kernel.kallsyms] = system calls, page faults)"
perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '^ ' | head -8

rm -rf "$out"
if [ "$generated" = 1 ] && [ "$keep" = 0 ]; then rm -rf "$circuit"; fi
