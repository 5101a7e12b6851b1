#!/usr/bin/env bash
# Installs the Debian packages cascade needs (only those missing), then
# configures and builds a Release build into build/. Safe to run again.
#
#   ./scripts/setup.sh            then  ./build/cascade --help
#   CASCADE_BUILD_DIR=... to build elsewhere; extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake git pkg-config
  libtbb-dev libhdf5-dev zlib1g-dev hdf5-tools nlohmann-json3-dev doctest-dev libboost-dev
  libpcg-cpp-dev libcli11-dev libfmt-dev
  python3 python3-h5py python3-numpy python3-pandas python3-matplotlib python3-jsonschema
)

# shellcheck source=scripts/packages.sh
. scripts/packages.sh
install_missing_packages "${packages[@]}"

build_dir="${CASCADE_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$(nproc)"
