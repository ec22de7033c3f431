#!/usr/bin/env bash
# A run killed mid-simulation (SIGTERM, then SIGINT) stops cleanly: exit code
# 128 + signal, one message saying where it stopped, no file that looks
# complete, and the previous run's outputs untouched.
# usage: interrupt.sh POINTSIM CONFIG WORKDIR
set -uo pipefail
pointsim=$1 config=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
# The previous outputs come from a 50 ms run of the same circuit (the full
# run takes a minute under the sanitizers): the config copied with absolute
# paths and a short tstop.
config_dir=$(cd "$(dirname "$config")" && pwd)
sed -e "s|\${configdir}|$config_dir|" -e "s|\"\./|\"$config_dir/|g" -e 's|"tstop": *[0-9.eE+-]*|"tstop": 50.0|' \
  "$config" > "$work/short_config.json"
grep -q '"tstop": 50.0' "$work/short_config.json" || { echo "could not shorten $config"; exit 1; }
"$pointsim" run "$work/short_config.json" --output-dir "$work/out" -q || { echo "first run failed"; exit 1; }
cp "$work/out/spikes.h5" "$work/before.h5"
for sig in TERM INT; do
  "$pointsim" run "$config" --output-dir "$work/out" 2> "$work/stderr" &
  pid=$!
  # Wait until the simulation phase has started, then signal.
  for _ in $(seq 1 600); do grep -q "Starting simulation" "$work/stderr" && break; sleep 0.05; done
  sleep 0.3
  kill -$sig $pid
  wait $pid
  code=$?
  [ "$sig" = TERM ] && want=143 || want=130
  echo "SIG$sig: exit code $code"
  grep "pointsim: error" "$work/stderr"
  [ "$code" -eq "$want" ] || { echo "expected exit code $want"; exit 1; }
  grep -q "pointsim: error: interrupted by SIG$sig at t = " "$work/stderr" || { echo "message missing"; exit 1; }
  ls -A "$work/out" | grep -q pointsim-tmp && { echo "temporary files left"; exit 1; }
  cmp -s "$work/out/spikes.h5" "$work/before.h5" || { echo "previous spikes.h5 was changed"; exit 1; }
done
echo ok
