#!/usr/bin/env bash
# A bad input that only one rank sees (an invalid parameter of the
# inhibitory cells, which the last rank owns) must stop every rank, in
# bounded time, with one clear message, a non-zero exit code and no output.
# usage: bad_input.sh POINTSIM CIRCUIT_DIR WORKDIR
# POINTSIM_TIMEOUT_SCALE (default 1) multiplies the time limit (sanitizer builds).
set -uo pipefail
pointsim=$1 circuit=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cp -r "$circuit" "$work/circuit"
rm -rf "$work/circuit/output"
printf '{"tau_m": -10.0}\n' > "$work/circuit/components/cell_models/iaf_psc_alpha_inh.json"
start=$(date +%s)
timeout $(( 120 * ${POINTSIM_TIMEOUT_SCALE:-1} )) mpirun --bind-to none --oversubscribe --allow-run-as-root -np 2 "$pointsim" run "$work/circuit/config.json" \
  --output-dir "$work/out" -q 2> "$work/stderr"
code=$?
echo "exit code $code after $(( $(date +%s) - start )) s"
cat "$work/stderr"
[ "$code" -ne 0 ] || { echo "expected a non-zero exit code"; exit 1; }
[ "$code" -ne 124 ] || { echo "the job hung and was killed by timeout"; exit 1; }
grep -q "pointsim: error: .*iaf_psc_alpha_inh.json.*time constants" "$work/stderr" || { echo "message missing"; exit 1; }
[ "$(grep -c 'pointsim: error' "$work/stderr")" -eq 1 ] || { echo "expected the message once"; exit 1; }
[ ! -e "$work/out" ] || { echo "output folder was created"; exit 1; }
echo "ok"
