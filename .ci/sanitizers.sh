#!/usr/bin/env bash
# The whole CTest suite (unit, integration, CLI, bad inputs, MPI, fuzz
# corpora) built with clang's AddressSanitizer + LeakSanitizer +
# UndefinedBehaviorSanitizer in ./build-asan (or $BUILD_DIR);
# docs/reliability.md. Any sanitizer report fails the job, even one from a
# process whose exit code a test does not check: ASan/LSan/UBSan reports are
# also written under $BUILD_DIR/sanitizer-logs, which must stay empty, and
# the output of every test (LastTest.log) must hold none either.
# Third-party leaks are suppressed by .ci/lsan.supp only (library names,
# each with its reason).
#
#   SANITIZE_EXCLUDE=regex   tests to skip (ctest -E); set it empty to run all.
#                            Default: the three slow circuits (dt 0.001 ms,
#                            1-3 minutes each under ASan: their neuron models run
#                            under the sanitizers in the single-cell trace tests,
#                            their network code in the other circuits), the
#                            MPI layouts np1 / np3 / np2x2 layouts (np2 and np1x2 run
#                            the same paths; np1w, the 64-bit synapse words,
#                            differs from np1 in two template instances), the statistical comparison
#                            with BMTK's builder (8 builds and 9 runs of the
#                            tutorial; the builder and the run are covered by
#                            tests/unit/builder and mpi.build_*), and the
#                            static-synapse checkpoint on 2 ranks (45 s; the
#                            2-rank checkpoint code runs in the stdp_np2 case,
#                            the static synapses' in static_np1), to keep CI
#                            within its time.
#   POINTSIM_TIMEOUT_SCALE=n multiplies the MPI tests' time limits (default 4)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
BUILD_DIR=${BUILD_DIR:-build-asan}
slow='(point_450cells|point_450glifs|tutorial_ch05_converted)'
SANITIZE_EXCLUDE=${SANITIZE_EXCLUDE-"^mpi\\.$slow\\.|^Nest/ReferenceCircuit\\..*/${slow}_|^mpi\\..*\\.np(1|3|2x2|1w)\$|^cli\\.build_roundtrip_rates_match_bmtk\$|^cli\\.checkpoint_resume_static_np2\$"}
start=$(date +%s)

# Processes run 2-5x slower under ASan+UBSan: the time limits of the tests
# that spawn mpirun scale with this (tests/mpi/CMakeLists.txt, read when configuring).
export POINTSIM_TIMEOUT_SCALE=${POINTSIM_TIMEOUT_SCALE:-4}
# clang rather than GCC: its UBSan also checks float-to-integer casts
# (float-cast-overflow), and -O1 with line tables only builds faster than
# GCC's -O2 -g (4 against 13 minutes on 2 cores when measured); as every
# build, it is a unity build (CMakeLists.txt), and the test code itself is
# compiled at -O0 (tests/CMakeLists.txt).
flags="-O1 -gline-tables-only"
# -DPOINTSIM_FUZZ=ON: the fuzz targets are libFuzzer executables here (their
# corpora replayed by CTest), so that .ci/fuzz.sh can fuzz from this build
# instead of compiling the libraries a third time (.ci/run).
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOINTSIM_SANITIZE=ON -DPOINTSIM_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "sanitizers: build took $(( $(date +%s) - start )) s"

logs=$root/$BUILD_DIR/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# fast_unwind_on_malloc=0: full allocation stacks through the third-party
# libraries (no frame pointers there), so that .ci/lsan.supp can match them.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0:strict_string_checks=1:check_initialization_order=1:log_path=$logs/report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/report"
export LSAN_OPTIONS="suppressions=$root/.ci/lsan.supp:print_suppressions=0"

# First prove that the job can fail: every kind of error the canary commits
# must end its process with an error and leave a report in $logs.
for mode in heap leak signed-overflow float-cast; do
  rm -rf "$logs"/*
  if "$BUILD_DIR/tests/sanitizer_canary" "$mode" 2>/dev/null; then
    echo "sanitizers: the canary's $mode error went unreported (exit code 0); the job would miss such errors"
    exit 1
  fi
  if [ -z "$(find "$logs" -type f)" ]; then
    echo "sanitizers: the canary's $mode error left no report in $logs; the job would miss such errors"
    exit 1
  fi
  echo "sanitizers: canary $mode reported: $(grep -ho -m1 -E 'ERROR: [A-Za-z]+Sanitizer: [a-z-]+|runtime error: [^(]*' "$logs"/* | head -1)"
done
rm -rf "$logs"/*

cd "$BUILD_DIR"
rm -f Testing/Temporary/LastTest.log*
status=0
ctest --output-on-failure -j"$(nproc)" --timeout 2400 ${SANITIZE_EXCLUDE:+-E "$SANITIZE_EXCLUDE"} || status=$?
if [ ! -f Testing/Temporary/LastTest.log ]; then
  echo "sanitizers: ctest did not finish (no Testing/Temporary/LastTest.log)"
  exit 1
fi
[ -z "$SANITIZE_EXCLUDE" ] || echo "sanitizers: skipped tests matching '$SANITIZE_EXCLUDE'"

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "sanitizers: FINDINGS, $(echo "$reports" | wc -l) report files in $logs:"
  for f in $reports; do echo "==== $f"; cat "$f"; done
  status=1
fi
if grep -n -A12 -E "runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer" Testing/Temporary/LastTest.log; then
  echo "sanitizers: FINDINGS in the test output above (Testing/Temporary/LastTest.log)"
  status=1
fi
echo "sanitizers: $([ $status -eq 0 ] && echo "no findings" || echo FAILED) after $(( $(date +%s) - start )) s"
exit $status
