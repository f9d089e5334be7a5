#!/usr/bin/env bash
# Opens the kyozo cockpit on the demo workspace (assets/demo), ready to deploy on a machine with a
# Docker Engine and no registry: builds the offline base images once (assets/base-images.sh; quick
# when they exist), then runs the release build with the config that points generated Dockerfiles
# at them. Extra arguments go to kyozo (e.g. --readonly). The history goes to the usual store
# (KYOZO_DB to move it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash assets/base-images.sh
export KYOZO_CONFIG="${KYOZO_CONFIG:-$PWD/assets/offline-images.toml}"
exec cargo run --release --locked --quiet -- assets/demo "$@"
