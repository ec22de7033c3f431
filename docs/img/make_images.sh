#!/usr/bin/env bash
# Regenerates the images of docs/tutorial.md by running the tutorial's own
# commands (sections 1, 2, 4, 5, 6 and 7) in a temporary folder, then copies
# the PNGs into docs/img/. Run from the repository root after building:
#   bash docs/img/make_images.sh
# Needs build/apps/pointsim/pointsim (bash scripts/build.sh). Sections 8
# (mpirun) and 9 (the bundled network) make no image and are not run here.
set -euo pipefail

if [ ! -x build/apps/pointsim/pointsim ] || [ ! -d docs/img ]; then
  echo "make_images.sh: run from the repository root after building (build/apps/pointsim/pointsim)" >&2
  exit 2
fi

export POINTSIM_SRC="$PWD"
export PATH="$POINTSIM_SRC/build/apps/pointsim:$PATH"
img_dir="$POINTSIM_SRC/docs/img"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# 0. Setup
mkdir pointsim_tutorial
cd pointsim_tutorial

# 1. Building the network
mkdir sim_ch05
pointsim build "$POINTSIM_SRC/examples/tutorial_ch05/build.json" --output sim_ch05/network
cp -r "$POINTSIM_SRC/examples/tutorial_ch05/components" sim_ch05/
cp "$POINTSIM_SRC/examples/tutorial_ch05/inputs/lgn_spikes.h5" sim_ch05/

# 2. pointsim init
pointsim init sim_ch05 --network sim_ch05/network --tstop 3000 --dt 0.01 --spikes-input sim_ch05/lgn_spikes.h5 --input-node-set LGN

# 4. Run
pointsim run sim_ch05/config.json -q

# 5. Raster and rates
pointsim plot raster sim_ch05/config.json --group-by pop_name -o raster.png
pointsim plot rates sim_ch05/config.json --group-by pop_name -o rates.png

# 6. Membrane report
cat > sim_ch05/simulation_config.json <<'EOF'
{
  "manifest": {
    "$BASE_DIR": "${configdir}",
    "$OUTPUT_DIR": "$BASE_DIR/output"
  },
  "target_simulator": "NEST",
  "run": {
    "tstart": 0.0,
    "tstop": 3000.0,
    "dt": 0.01
  },
  "inputs": {
    "LGN_spikes": {
      "input_type": "spikes",
      "module": "sonata",
      "input_file": "$BASE_DIR/lgn_spikes.h5",
      "node_set": "LGN"
    }
  },
  "reports": {
    "membrane_potential": {
      "cells": {
        "population": "V1",
        "node_id": [0, 20, 60, 80, 100]
      },
      "variable_name": "V_m",
      "module": "multimeter_report"
    }
  },
  "output": {
    "log_file": "log.txt",
    "output_dir": "$OUTPUT_DIR",
    "spikes_file": "spikes.h5",
    "spikes_file_csv": "spikes.csv",
    "quiet_simulator": true
  }
}
EOF
pointsim check sim_ch05/config.json
pointsim run sim_ch05/config.json -q
pointsim plot traces sim_ch05/config.json -o traces.png

# 7. Perturbation: +230 pA on the LIF_exc cells
cat > sim_ch05/simulation_perturbed.json <<'EOF'
{
  "manifest": {
    "$BASE_DIR": "${configdir}",
    "$OUTPUT_DIR": "$BASE_DIR/output_perturbed"
  },
  "run": {
    "tstop": 3000.0,
    "dt": 0.01
  },
  "inputs": {
    "LGN_spikes": {
      "input_type": "spikes",
      "module": "sonata",
      "input_file": "$BASE_DIR/lgn_spikes.h5",
      "node_set": "LGN"
    },
    "exc_perturbation": {
      "input_type": "current_clamp",
      "module": "IClamp",
      "node_set": {"population": "V1", "pop_name": "LIF_exc"},
      "amp": 230.0,
      "delay": 1.0,
      "duration": 3000.0
    }
  },
  "output": {
    "output_dir": "$OUTPUT_DIR",
    "log_file": "log.txt",
    "spikes_file": "spikes.h5",
    "spikes_file_csv": "spikes.csv"
  }
}
EOF
cat > sim_ch05/config_perturbed.json <<'EOF'
{
  "network": "${configdir}/circuit_config.json",
  "simulation": "${configdir}/simulation_perturbed.json"
}
EOF
pointsim run sim_ch05/config_perturbed.json -q
pointsim plot raster sim_ch05/config_perturbed.json -o raster_perturbed.png

# 7. The same from pointsim init: -300 pA on all of V1 from 1500 to 2000 ms
pointsim init sim_silenced --network sim_ch05/network --tstop 3000 --dt 0.01 --spikes-input sim_ch05/lgn_spikes.h5 --input-node-set LGN --iclamp V1:-300:1500:500
pointsim run sim_silenced/config.json -q
pointsim plot raster sim_silenced/config.json -o raster_silenced.png

for name in raster rates traces raster_perturbed raster_silenced; do
  cp "$name.png" "$img_dir/tutorial_$name.png"
done
echo "make_images.sh: wrote $(cd "$img_dir" && ls tutorial_*.png | tr '\n' ' ')to docs/img"
