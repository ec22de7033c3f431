#!/usr/bin/env bash
# Builds (if needed) and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" --timeout 600
# CTest keeps passing tests' output in its log; show the corpus sizes from it.
grep -h -m1 "^bad-input corpus: " Testing/Temporary/LastTest.log || { echo "the bad-input corpus did not run"; exit 1; }
grep -h -m1 "^bad-recipe corpus: " Testing/Temporary/LastTest.log || { echo "the bad-recipe corpus did not run"; exit 1; }
