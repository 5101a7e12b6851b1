#!/usr/bin/env bash
# Runs the whole test suite: the doctest cases and the Python (h5py) checks,
# all registered with CTest. Installs and builds first when needed (via
# setup.sh, which only does what is missing). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
ctest --test-dir "${CASCADE_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)"
