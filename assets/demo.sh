#!/usr/bin/env bash
# Opens the kyozo cockpit on the demo workspace (assets/demo), ready to deploy on a machine with a
# Docker Engine and no registry, and says what it is doing on the way:
#   1. the offline base images (assets/base-images.sh, with its timings; built once, quick when
#      they exist),
#   2. the release build, with cargo's own progress (several minutes the first time, seconds after),
#   3. the cockpit, with the config that points generated Dockerfiles at those images.
# Extra arguments go to kyozo (e.g. --readonly). The history goes to the usual store (KYOZO_DB to
# move it).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
say() { echo "demo: $*" >&2; }
since() { echo "$(( $(date +%s) - $1 ))s"; }

say "1/3 offline base images (kyozo-base/*): built once (about 2.5 minutes on a 2-core VM), then"
say "    kept"
t=$(date +%s)
bash assets/base-images.sh
say "base images ready in $(since "$t")"

say "2/3 release build of kyozo: cargo's progress follows (about 12 minutes the first time on a"
say "    busy 2-core VM, seconds once built)"
t=$(date +%s)
cargo build --release --locked
say "built in $(since "$t")"
# where cargo put it (CARGO_TARGET_DIR or a configured target-dir are honoured)
target=$(cargo metadata --format-version 1 --no-deps --locked \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin=${target:-target}/release/kyozo
[ -x "$bin" ] || { say "no binary at $bin"; exit 1; }

export KYOZO_CONFIG="${KYOZO_CONFIG:-$PWD/assets/offline-images.toml}"
say "3/3 the cockpit on assets/demo after $(since "$start"): a deploys everything, ? help, q quits"
exec "$bin" assets/demo "$@"
