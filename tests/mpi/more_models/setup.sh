#!/usr/bin/env bash
# Builds the circuit of tests/mpi/more_models (izhikevich and the
# iaf_psc_*_multisynapse models) into WORK: `pointsim build` the recipe,
# `pointsim init` a simulation folder beside it, then put this folder's
# simulation_config.json (membrane reports of every new recordable) and
# input spikes in place. The MPI tests run WORK/sim/config.json.
# usage: setup.sh POINTSIM WORK
set -euo pipefail
pointsim=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
"$pointsim" build "$here/recipe.json" --output "$work/network" > /dev/null
cp -r "$here/components" "$work/components"
"$pointsim" init "$work/sim" --network "$work/network" --tstop 1000 --dt 0.1 \
    --spikes-input "$here/input_spikes.csv" --input-node-set input > /dev/null
cp "$here/simulation_config.json" "$here/input_spikes.csv" "$work/sim/"
"$pointsim" check "$work/sim/config.json" > /dev/null
