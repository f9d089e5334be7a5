#!/usr/bin/env bash
# Detection benchmark: `kyozo detect --json` against `fdfind` on a synthetic monorepo of 500 services
# and >100,000 walked files (plus ignored node_modules trees).
#
#   benches/detect_bench.sh [mixed|core]   (BENCH_DIR, CARGO_TARGET_DIR and RUNS override defaults)
#
# mixed: every ecosystem (needs the ecosystem analyzers to find all 500 services);
# core:  Dockerfile and compose services only.
set -euo pipefail
mode="${1:-mixed}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${BENCH_DIR:-/tmp/kyozo-bench-$mode}"
runs="${RUNS:-40}"
target="${CARGO_TARGET_DIR:-$here/target}"

(cd "$here" && cargo build --release --quiet)
bin="$target/release/kyozo"
python3 "$here/benches/gen_monorepo.py" "$out" --mode "$mode"

found="$("$bin" detect --json "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["services"]))')"
echo "services found: $found / 500"
echo "files seen by fd -H: $(fdfind -H --type f . "$out" | wc -l)"

json="$(mktemp)"
# -N: no shell in between; the median is reported because a shared VM has outliers
hyperfine -N --warmup 5 --runs "$runs" --export-json "$json" \
  -n kyozo "$bin detect --json $out" \
  -n fd-hidden "fdfind -H --type f . $out" \
  -n fd "fdfind --type f . $out"
python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, fh, f = r["kyozo"]["median"], r["fd-hidden"]["median"], r["fd"]["median"]
print(f"medians of {len(r['kyozo']['times'])} runs")
print(f"kyozo detect --json: {k*1000:.1f} ms")
print(f"fdfind -H --type f:  {fh*1000:.1f} ms   ratio kyozo/fd-hidden = {k/fh:.2f}")
print(f"fdfind --type f:     {f*1000:.1f} ms   ratio kyozo/fd        = {k/f:.2f}")
# CPU time (user + system) is steadier than wall time on a busy machine.
cpu = {n: x["user"] + x["system"] for n, x in r.items()}
print(f"CPU time: kyozo {cpu['kyozo']*1000:.0f} ms, fd -H {cpu['fd-hidden']*1000:.0f} ms, "
      f"fd {cpu['fd']*1000:.0f} ms; ratio kyozo/fd-hidden = {cpu['kyozo']/cpu['fd-hidden']:.2f}")
PY
rm -f "$json"
if [ "$found" != "500" ]; then
  echo "expected 500 services, found $found" >&2
  exit 1
fi
