#!/usr/bin/env bash
# Builds one of the model circuits of tests/mpi (more_models, mat_models, ...)
# into WORK: `pointsim build` CIRCUIT/recipe.json, `pointsim init` a
# simulation folder beside it, then put CIRCUIT/simulation_config.json
# (membrane reports of the models' recordables) and CIRCUIT/input_spikes.csv
# in place. The MPI tests run WORK/sim/config.json.
# usage: setup_circuit.sh CIRCUIT_DIR POINTSIM WORK
set -euo pipefail
circuit=$(cd "$1" && pwd) pointsim=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$pointsim" build "$circuit/recipe.json" --output "$work/network" > /dev/null
cp -r "$circuit/components" "$work/components"
"$pointsim" init "$work/sim" --network "$work/network" --tstop 1000 --dt 0.1 \
    --spikes-input "$circuit/input_spikes.csv" --input-node-set input > /dev/null
cp "$circuit/simulation_config.json" "$circuit/input_spikes.csv" "$work/sim/"
"$pointsim" check "$work/sim/config.json" > /dev/null
