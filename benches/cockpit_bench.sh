#!/usr/bin/env bash
# Cockpit measurements (a benchmark script, not a test): time to first frame and idle CPU over a
# window, on a workspace, in a private tmux server.
#
#   tests/cockpit_bench.sh [BINARY] [WORKSPACE] [SECONDS]
#
# BINARY defaults to target/release/kyozo (falls back to target/debug/kyozo), WORKSPACE to
# assets/demo, SECONDS to 60. Set KYOZO_BENCH_ENGINE=1 to let the cockpit reach the local engine
# (default: DOCKER_HOST points at a missing socket, so only the 5 s reconnect attempts run).
# KYOZO_DB and KYOZO_CONFIG are passed through when set (e.g. to watch a deployed workspace).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bin=${1:-$target/release/kyozo}
[ -x "$bin" ] || bin=$target/debug/kyozo
ws=${2:-$here/assets/demo}
secs=${3:-60}
sock="kyozo-bench-$$"
tmp=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT

engine_env="DOCKER_HOST=unix://$tmp/no-docker.sock"
[ "${KYOZO_BENCH_ENGINE:-0}" = 1 ] && engine_env="KYOZO_BENCH=1"

now_ms() { date +%s%3N; }
start=$(now_ms)
tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 48 \
  "env HOME=$tmp KYOZO_DB=${KYOZO_DB:-$tmp/kyozo.redb} KYOZO_CONFIG=${KYOZO_CONFIG:-$tmp/none.toml} $engine_env $bin $ws; sleep 600"
# First frame with detection done: the services table lists a service.
until tmux -L "$sock" capture-pane -p | grep -q '│NAME'; do
  sleep 0.01
  if [ $(( $(now_ms) - start )) -gt 20000 ]; then echo "no frame after 20 s" >&2; exit 1; fi
done
first=$(( $(now_ms) - start ))
echo "binary:              $bin"
echo "workspace:           $ws"
echo "time to first frame: ${first} ms (tmux start included)"

shell=$(tmux -L "$sock" display-message -p '#{pane_pid}')
pid=$(pgrep -P "$shell" -f kyozo | head -1)
[ -n "$pid" ] || { echo "kyozo process not found" >&2; exit 1; }
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); w0=$(now_ms)
sleep "$secs"
t1=$(ticks); w1=$(now_ms)
awk -v d=$((t1 - t0)) -v hz="$hz" -v ms=$((w1 - w0)) -v s="$secs" \
  'BEGIN { printf "idle CPU over %s s:    %.3f %% of one core (%d ticks)\n", s, 100 * d / hz / (ms / 1000), d }'
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "resident memory:     $((rss / 1024)) MiB"
threads=$(ls "/proc/$pid/task" | wc -l)
echo "threads:             $threads"
