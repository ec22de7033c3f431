#!/usr/bin/env bash
# Installs pointsim's build and test dependencies from Debian's packages.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libhdf5-dev hdf5-tools          # HDF5 C++ API; h5dump/h5ls for inspecting outputs
  nlohmann-json3-dev libeigen3-dev
  libopenmpi-dev openmpi-bin
  libspdlog-dev libcli11-dev libgtest-dev
  libgsl-dev                      # GSL ODE solvers for iaf_cond_* (as NEST)
  zlib1g-dev                      # zlib's CRC-32 for checkpoint and state files
  libcairo2-dev                   # cairo: pointsim plot (PNG, SVG, PDF; found via pkg-config)
  libre2-dev                      # RE2: node-set $regex in linear time (found via pkg-config)
  libmuparser-dev                 # muParser: formulas in `pointsim build` recipes (found via pkg-config)
  clang libclang-rt-14-dev        # .ci/fuzz.sh: libFuzzer (libclang_rt.fuzzer-x86_64.a is in the -rt- package)
  libomp-14-dev                   # OpenMP for clang's builds (.ci/sanitizers.sh, .ci/fuzz.sh); GCC's libgomp comes with g++
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
