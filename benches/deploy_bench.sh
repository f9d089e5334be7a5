#!/usr/bin/env bash
# Deploy benchmark: `kyozo up` of one service against `docker build` + `docker run` of the same
# folder, both from a cold image (a fresh content stamp forces a rebuild each run; the engine's
# layer cache is warm for both). Uses hyperfine when installed, else repeated timing.
#   KYOZO_BIN   kyozo binary (default: target/release/kyozo, else target/debug/kyozo)
#   RUNS        runs per command (default 10)
# Target: kyozo up <= 1.05 x docker build + docker run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
bin=${KYOZO_BIN:-}
if [ -z "$bin" ]; then
  tdir=${CARGO_TARGET_DIR:-$here/target}
  if [ -x "$tdir/release/kyozo" ]; then bin=$tdir/release/kyozo; else bin=$tdir/debug/kyozo; fi
fi
[ -x "$bin" ] || { echo "no kyozo binary at $bin (cargo build first)"; exit 1; }
bash "$here/assets/base-images.sh"

work=$(mktemp -d /tmp/kzbench.XXXXXX)
ws=$work/kzbench
mkdir -p "$ws/app"
cat >"$ws/app/Dockerfile" <<'DOCKERFILE'
FROM kyozo-base/busybox:latest
RUN mkdir -p /www
COPY . /www/
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
DOCKERFILE
echo "<h1>bench</h1>" >"$ws/app/index.html"

export KYOZO_DB=$work/kyozo.redb KYOZO_CONFIG=$here/assets/offline-images.toml
export DOCKER_BUILDKIT=0  # the same (classic) builder for both

cleanup() {
  "$bin" down --path "$ws" >/dev/null 2>&1 || true
  docker rm -f kzbench-docker >/dev/null 2>&1 || true
  docker images -q 'kyozo/kzbench-app' | xargs -r docker rmi -f >/dev/null 2>&1 || true
  docker rmi -f kzbench-docker >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# kyozo's workspace network stays between runs, as it does between deploys
prep_kyozo="docker rm -f kyozo-kzbench-app-1 >/dev/null 2>&1; date +%s%N > $ws/app/stamp"
prep_docker="docker rm -f kzbench-docker >/dev/null 2>&1; date +%s%N > $ws/app/stamp"
run_kyozo="$bin up --path $ws >/dev/null 2>&1"
run_docker="docker build -q -t kzbench-docker $ws/app >/dev/null && docker run -d --name kzbench-docker -p 8080 kzbench-docker >/dev/null"

echo "kyozo: $bin"
echo "engine: $(docker version --format '{{.Server.Version}}')"
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --runs "$runs" --warmup 1 --export-json "$work/bench.json" \
    --prepare "$prep_kyozo" -n "kyozo up" "$run_kyozo" \
    --prepare "$prep_docker" -n "docker build + run" "$run_docker"
  python3 - "$work/bench.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
k, d = r["kyozo up"], r["docker build + run"]
print(f"kyozo up {k:.3f}s, docker build + run {d:.3f}s: ratio {k / d:.3f} (target <= 1.05)")
PY
else
  t() { local s e; s=$(date +%s%N); eval "$1"; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
  k=0; d=0
  for _ in $(seq "$runs"); do
    eval "$prep_kyozo"; k=$((k + $(t "$run_kyozo")))
    eval "$prep_docker"; d=$((d + $(t "$run_docker")))
  done
  echo "kyozo up $((k / runs)) ms, docker build + run $((d / runs)) ms (mean of $runs)"
fi
