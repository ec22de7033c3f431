#!/usr/bin/env bash
# Runs CONFIG under mpirun with NP ranks and checks that the outputs are
# identical to those of the plain process in SERIAL_DIR (written once per
# circuit by the test mpi.<circuit>.serial, a CTest fixture) and match the
# NEST reference spikes when REFERENCE is given, and that the ranks together
# read each synapse's edge row exactly once.
# usage: run_case.sh POINTSIM COMPARE CONFIG NP WORKDIR SERIAL_DIR [REFERENCE_SPIKES_H5]
# THREADS (default 1): --threads of every rank (NP x THREADS cores' worth of work).
# WORD_BITS (default: pointsim's choice): 64 runs with POINTSIM_SYNAPSE_WORDS=64
# and checks that the log says so.
# POINTSIM_TIMEOUT_SCALE (default 1) multiplies the time limit (sanitizer builds).
set -euo pipefail
pointsim=$1 compare=$2 config=$3 np=$4 work=$5 serial=$6 reference=${7:-}
rm -rf "$work"
mkdir -p "$work"
[ -f "$serial/spikes.h5" ] || { echo "no plain-process run in $serial (the fixture test did not run)"; exit 1; }
# --bind-to none: Open MPI binds rank 0 of every job to core 0, so tests run in
# parallel by ctest -j would all share one core.
if [ "${WORD_BITS:-}" = 64 ]; then export POINTSIM_SYNAPSE_WORDS=64; fi
timeout $(( 300 * ${POINTSIM_TIMEOUT_SCALE:-1} )) mpirun --bind-to none --oversubscribe --allow-run-as-root -np "$np" "$pointsim" run "$config" --output-dir "$work/mpi" -q --threads "${THREADS:-1}"
"$compare" "$serial" "$work/mpi" ${reference:+"$reference"}
if [ -n "${WORD_BITS:-}" ] && grep -q '\[info\] Edges:' "$work/mpi/log.txt"; then
  grep -q "\[info\] Edges: .*in ${WORD_BITS}-bit words" "$work/mpi/log.txt" ||
    { echo "the log does not say the synapses were in ${WORD_BITS}-bit words"; grep 'Edges:' "$work/mpi/log.txt"; exit 1; }
fi
# Rank 0 writes files byte-identical to the single-process run's.
for f in "$serial"/*.h5 "$serial"/*.csv; do
  [ -e "$f" ] || continue
  cmp -s "$f" "$work/mpi/$(basename "$f")" || { echo "$(basename "$f") differs byte for byte"; exit 1; }
done

# The log lists "Rank r: n neurons, s synapses (k edge rows read)" per rank and
# "Edges: T synapses". The synapses held must add up to T; the edge rows read
# must too when the files have indices/target_to_source (READS_ONLY_SHARE=1).
if [ "$np" -gt 1 ]; then
  log="$work/mpi/log.txt"
  ranks=$(grep -c '\[info\] Rank [0-9]*:' "$log")
  syn=$(( $(grep -o '[0-9]* synapses (' "$log" | grep -o '^[0-9]*' | paste -sd+) ))
  rows=$(( $(grep -o '([0-9]* edge rows read' "$log" | grep -o '[0-9]*' | paste -sd+) ))
  total=$(grep -o 'Edges: [0-9]*' "$log" | grep -o '[0-9]*$')
  echo "ranks $ranks: synapses held $syn, edge rows read $rows, total $total"
  [ "$ranks" -eq "$np" ] || { echo "expected $np rank lines in $log"; exit 1; }
  [ "$syn" -eq "$total" ] || { echo "synapses per rank do not add up to $total"; exit 1; }
  if [ "${READS_ONLY_SHARE:-0}" = 1 ]; then
    [ "$rows" -eq "$total" ] || { echo "ranks read $rows edge rows, expected exactly $total"; exit 1; }
  fi
fi
