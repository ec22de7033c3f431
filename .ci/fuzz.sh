#!/usr/bin/env bash
# libFuzzer on every parser (tests/fuzz, docs/reliability.md): builds the
# targets with clang in ./build-fuzz (or $BUILD_DIR; CI passes the sanitizer
# job's build-asan, configured with -DPOINTSIM_FUZZ=ON), then runs each for
# FUZZ_SECONDS (default 30), as many at once as there are cores, starting
# from the committed seeds (tests/fuzz/corpus/<target>). Fails on any crash,
# sanitizer report, unexpected exception, timeout (> FUZZ_TIMEOUT s for one
# input, default 20) or out-of-memory; the input that did it is saved under
# $BUILD_DIR/findings/<target>/ (replay: $BUILD_DIR/tests/fuzz/<target> FILE).
#
#   FUZZ_SECONDS=n       seconds per target (0: only replay the seeds)
#   FUZZ_TARGETS="a b"   a subset of the targets
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
BUILD_DIR=${BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-20}
targets=(${FUZZ_TARGETS:-fuzz_config fuzz_type_table fuzz_spikes_csv fuzz_spikes_h5 fuzz_node_sets fuzz_recipe})
start=$(date +%s)

# A build dir configured with -DPOINTSIM_FUZZ=ON already (the sanitizer
# job's, BUILD_DIR=build-asan in .ci/run) is used as it is; otherwise the
# targets alone are configured here: -O1 with line tables only, as the
# sanitizer job (about half the time of -O2 -g, and stack traces still name
# file and line).
if ! grep -q '^POINTSIM_FUZZ:BOOL=ON$' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  flags="-O1 -gline-tables-only"
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOINTSIM_FUZZ=ON -DPOINTSIM_BUILD_TESTS=OFF \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}"
echo "fuzz: build took $(( $(date +%s) - start )) s"

out=$root/$BUILD_DIR
rm -rf "$out/findings" "$out/logs" "$out/tmp"
mkdir -p "$out/logs" "$out/tmp"
export TMPDIR=$out/tmp  # the targets write their input files here
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$root/.ci/lsan.supp:print_suppressions=0"

run_one() {  # target -> exit status of libFuzzer
  local t=$1
  local seeds=$root/tests/fuzz/corpus/$t work=$out/corpus/$t
  mkdir -p "$work" "$out/findings/$t"
  local dict=()
  [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
  # New inputs go to the first folder (build dir); the seeds are only read.
  "$out/tests/fuzz/$t" -max_total_time="$FUZZ_SECONDS" -runs=$([ "$FUZZ_SECONDS" -gt 0 ] && echo -1 || echo 0) \
    -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$out/findings/$t/" "$work" "$seeds" > "$out/logs/$t.log" 2>&1
}

failed=()
pids=()
jobs_max=$(nproc)
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
  echo "fuzz: $t for ${FUZZ_SECONDS} s"
  run_one "$t" &
  pids+=("$!:$t")
done
for entry in "${pids[@]}"; do
  pid=${entry%%:*} t=${entry#*:}
  if wait "$pid"; then
    echo "fuzz: $t: $(grep -E '^stat::number_of_executed_units' "$out/logs/$t.log" | awk '{print $2}') runs, no findings"
  else
    failed+=("$t")
    echo "fuzz: $t: FINDING (log $out/logs/$t.log, input in $out/findings/$t/):"
    tail -n 60 "$out/logs/$t.log"
  fi
done
echo "fuzz: done after $(( $(date +%s) - start )) s"
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: findings in ${failed[*]}"; exit 1; }
