#!/usr/bin/env bash
# Re-detection after one file changes, on the detection benchmark's 100,000-file tree: what the
# cockpit does on a file-watcher event (target: under 10 ms).
#
#   benches/redetect_bench.sh [ROUNDS]   (BENCH_DIR and CARGO_TARGET_DIR override defaults)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${BENCH_DIR:-/tmp/kyozo-bench-redetect}"
rounds="${1:-30}"
python3 "$here/benches/gen_monorepo.py" "$out" --mode mixed
(cd "$here" && cargo run --release --quiet --example redetect_bench -- "$out" "$rounds")
