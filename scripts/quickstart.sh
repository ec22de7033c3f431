#!/usr/bin/env bash
# From a fresh clone: install dependencies, build, and run the bundled
# PointNet tutorial network (examples/tutorial_ch05). Outputs land in
# examples/tutorial_ch05/output/ (spikes.h5, spikes.csv, membrane_potential.h5, log.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/apps/pointsim/pointsim run examples/tutorial_ch05/config.json
