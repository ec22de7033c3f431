#!/usr/bin/env bash
# `mpirun -np NP pointsim build RECIPE` (with spike_trains added) writes the
# same bytes as a plain process (ranks share the targets, rank 0 writes), and a recipe that fails
# while connecting stops every rank with one message and nothing written.
# usage: build_case.sh POINTSIM RECIPE NP WORKDIR
# POINTSIM_TIMEOUT_SCALE (default 1) multiplies the time limit (sanitizer builds).
set -euo pipefail
pointsim=$1 recipe=$2 np=$3 work=$4
limit=$(( 120 * ${POINTSIM_TIMEOUT_SCALE:-1} ))
mpi=(timeout "$limit" mpirun --bind-to none --oversubscribe --allow-run-as-root -np "$np")
rm -rf "$work" && mkdir -p "$work"

# The recipe with Poisson spike trains for LGN (a ninth file, drawn and written by rank 0).
sed 's/"seed": 0,/"seed": 0, "spike_trains": [{"network": "LGN", "rate_hz": 10, "stop_ms": 3000, "file": "lgn_spikes.h5"}],/' \
  "$recipe" > "$work/with_spikes.json"
cmp -s "$recipe" "$work/with_spikes.json" && { echo "the recipe with spike trains was not made"; exit 1; }
"$pointsim" build "$work/with_spikes.json" --output "$work/plain" --seed 9 > /dev/null
"${mpi[@]}" "$pointsim" build "$work/with_spikes.json" --output "$work/mpi" --seed 9 --threads 2 > "$work/mpi.out"
n=0
for f in "$work"/plain/*; do
  cmp -s "$f" "$work/mpi/$(basename "$f")" || { echo "$(basename "$f") differs at $np ranks"; exit 1; }
  n=$((n + 1))
done
[ "$n" -eq 9 ] || { echo "expected 9 files, got $n"; exit 1; }
[ "$(grep -c '^pointsim: wrote' "$work/mpi.out")" -eq 1 ] || { echo "expected one summary line (rank 0)"; cat "$work/mpi.out"; exit 1; }

# LIF_inh's LGN group (the last one, the only "nsources_max": 30) asks for
# 600 to 700 sources out of 500: it fails inside one rank's share of the targets.
awk '/"nsources_min": 15,/ { last = NR } { line[NR] = $0 }
     END { for (i = 1; i <= NR; i++) { if (i == last) sub(/15,/, "600,", line[i]); print line[i] } }' "$recipe" |
  sed 's/"nsources_max": 30/"nsources_max": 700/' > "$work/bad.json"
cmp -s "$recipe" "$work/bad.json" && { echo "the bad recipe was not made"; exit 1; }
set +e
"${mpi[@]}" "$pointsim" build "$work/bad.json" --output "$work/bad" > /dev/null 2> "$work/bad.err"
code=$?
set -e
[ "$code" -eq 3 ] || { echo "exit code $code, expected 3"; cat "$work/bad.err"; exit 1; }
[ "$(grep -c '^pointsim: error: .*networks.LGN.edges\[3\].connection_params.nsources_max' "$work/bad.err")" -eq 1 ] ||
  { echo "expected one error line naming the key"; cat "$work/bad.err"; exit 1; }
[ ! -e "$work/bad" ] || [ -z "$(ls -A "$work/bad")" ] || { echo "a failed build wrote files"; ls -A "$work/bad"; exit 1; }
echo "build at $np ranks: $n files identical to the plain build; a failing recipe stops all ranks (exit 3)"
