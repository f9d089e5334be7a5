#!/usr/bin/env bash
# Cockpit benchmark (a script, not a test): kyozo's cockpit side by side with oxker on the same
# engine and the same containers, each in a private 160x48 tmux server.
#
#   benches/cockpit_bench.sh [SECONDS]
#
# 1. idle: 20 running containers (busybox httpd services deployed by `kyozo up`); for each tool the
#    time to first frame (tmux start included), CPU over SECONDS (default 60) of idling, and the
#    resident memory at the end;
# 2. flood: one container writing as fast as it can (`yes`: about 90,000 lines/s through the
#    engine on a 2-core machine; the rate is measured and printed) with its logs shown; the
#    latency of a key (help overlay on, then off: 10 samples, median and worst), CPU, and the
#    resident memory sampled every second for 30 s (first and largest).
#
# FLOOD_ONLY=1 skips the idle part.
# Needs: docker, tmux, oxker on PATH (`cargo install --locked oxker`), the offline base images
# (assets/base-images.sh is run). KYOZO_BIN overrides the binary (default: a release build).
# Every container, image and network it creates is removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
command -v oxker >/dev/null || { echo "oxker not found: cargo install --locked oxker" >&2; exit 1; }
command -v tmux >/dev/null || { echo "tmux not found: apt-get install tmux" >&2; exit 1; }
bin=${KYOZO_BIN:-}
if [ -z "$bin" ]; then
  (cd "$here" && cargo build --release --locked --quiet)
  bin=${CARGO_TARGET_DIR:-$here/target}/release/kyozo
fi
bash "$here/assets/base-images.sh" >/dev/null 2>&1

tmp=$(mktemp -d /tmp/kzcockpit.XXXXXX)
ws=$tmp/kzcb$$
export KYOZO_DB=$tmp/kyozo.redb KYOZO_CONFIG=$here/assets/offline-images.toml HOME=$tmp
sock=kyozo-cbench-$$
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  "$bin" down --path "$ws" >/dev/null 2>&1 || true
  for i in $(docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=kyozo/kzcb$$-*"); do
    docker rmi -f "$i" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$ws"
for i in $(seq -w 1 20); do
  mkdir -p "$ws/svc$i"
  printf 'ok\n' >"$ws/svc$i/health"
  cat >"$ws/svc$i/Dockerfile" <<'DOCKERFILE'
FROM kyozo-base/busybox:latest
COPY health /www/health
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
DOCKERFILE
done
echo "deploying 20 services..."
"$bin" up --path "$ws" >/dev/null 2>"$tmp/up.log" || { cat "$tmp/up.log" >&2; exit 1; }
echo "running containers: $(docker ps -q --filter "name=^kyozo-kzcb$$-" | wc -l)"

now_ms() { date +%s%3N; }
hz=$(getconf CLK_TCK)
screen() { tmux -L "$sock" capture-pane -p -t b 2>/dev/null || true; }
# wait_for PATTERN TIMEOUT_MS: polls the screen every 5 ms; fails after the timeout
wait_for() {
  local start; start=$(now_ms)
  until screen | grep -q -- "$1"; do
    [ $(( $(now_ms) - start )) -lt "$2" ] || return 1
    sleep 0.005
  done
}
wait_gone() {
  local start; start=$(now_ms)
  while screen | grep -q -- "$1"; do
    [ $(( $(now_ms) - start )) -lt "$2" ] || return 1
    sleep 0.005
  done
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
tool_pid() { # the tool's process under the tmux pane's shell
  local shell; shell=$(tmux -L "$sock" display-message -p -t b '#{pane_pid}')
  pgrep -P "$shell" | head -1
}
runs=0
start_tool() { # start_tool COMMAND FRAME_PATTERN: sets $first (ms to the first frame)
  # a fresh tmux server per run: a killed server may still hold its socket for a moment
  tmux -L "$sock" kill-server 2>/dev/null || true
  runs=$((runs + 1)); sock=kyozo-cbench-$$-$runs
  local t0; t0=$(now_ms)
  tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 48 -s b "$1; sleep 600"
  tmux -L "$sock" set-option -g escape-time 0 >/dev/null
  wait_for "$2" 20000 || { echo "no first frame of: $1" >&2; screen >&2; exit 1; }
  first=$(( $(now_ms) - t0 ))
}
cpu_over() { # cpu_over PID SECONDS: percent of one core
  local t0 w0 t1 w1
  t0=$(ticks "$1"); w0=$(now_ms); sleep "$2"; t1=$(ticks "$1"); w1=$(now_ms)
  awk -v d=$((t1 - t0)) -v hz="$hz" -v ms=$((w1 - w0)) 'BEGIN { printf "%.2f", 100 * d / hz / (ms / 1000) }'
}

kyozo_cmd="$bin $ws"
kyozo_frame="svc20"
oxker_cmd="oxker"
oxker_frame="kyozo-kzcb$$-svc"

if [ -z "${FLOOD_ONLY:-}" ]; then
echo
echo "== idle, 20 running containers, ${secs} s =="
printf '%-8s %14s %16s %10s\n' tool "first frame" "idle CPU" "RSS"
for tool in kyozo oxker; do
  cmd_var=${tool}_cmd; frame_var=${tool}_frame
  start_tool "${!cmd_var}" "${!frame_var}"
  pid=$(tool_pid)
  sleep 5
  cpu=$(cpu_over "$pid" "$secs")
  printf '%-8s %11s ms %12s %% %6s MiB\n' "$tool" "$first" "$cpu" "$(rss_mib "$pid")"
done
tmux -L "$sock" kill-server 2>/dev/null || true
fi

echo
echo "== log flood =="
"$bin" down --path "$ws" >/dev/null 2>&1
rm -rf "$ws"/svc*
mkdir -p "$ws/flood"
cat >"$ws/flood/Dockerfile" <<'DOCKERFILE'
FROM kyozo-base/busybox:latest
CMD ["sh", "-c", "yes 'flood line: the quick brown fox jumps over the lazy dog 0123456789'"]
DOCKERFILE
"$bin" up --path "$ws" >/dev/null 2>"$tmp/up.log" || { cat "$tmp/up.log" >&2; exit 1; }
cid=$(docker ps -q --filter "name=^kyozo-kzcb$$-flood-1")
sleep 2
# the flood's rate: bytes written by the container's processes (init and its child), per line
line_bytes=67
flood_bytes() {
  local top; top=$(docker inspect -f '{{.State.Pid}}' "$cid")
  cat "/proc/$top/io" $(pgrep -P "$top" | sed 's#.*#/proc/&/io#') 2>/dev/null \
    | awk '/^wchar/ {s += $2} END {print s + 0}'
}
r0=$(flood_bytes); sleep 5; r1=$(flood_bytes)
echo "flood rate: $(( (r1 - r0) / line_bytes / 5 )) lines/s written by the container (no viewer)"

# key latency: help overlay on, then off
kyozo_help_on='?'; kyozo_help_pat='one replica more'; kyozo_help_off='Escape'
oxker_help_on='h'; oxker_help_pat='toggle this panel'; oxker_help_off='h'
kyozo_frame='flood'; oxker_frame="kyozo-kzcb$$-flood-1"
printf '%-8s %12s %12s %10s %12s %12s %14s\n' tool "key median" "key worst" "CPU" "RSS first" "RSS max" "flood lines/s"
for tool in kyozo oxker; do
  cmd_var=${tool}_cmd; frame_var=${tool}_frame
  on_var=${tool}_help_on; pat_var=${tool}_help_pat; off_var=${tool}_help_off
  start_tool "${!cmd_var}" "${!frame_var}"
  pid=$(tool_pid)
  sleep 3
  # memory sampled every second for 30 s in the background, CPU over the same window
  (for _ in $(seq 30); do rss_mib "$pid"; echo; sleep 1; done) >"$tmp/rss-$tool" &
  sampler=$!
  t0=$(ticks "$pid"); w0=$(now_ms); b0=$(flood_bytes)
  lat=()
  for _ in $(seq 10); do
    s=$(now_ms); tmux -L "$sock" send-keys -t b "${!on_var}"
    wait_for "${!pat_var}" 5000 || { echo "$tool: no help overlay" >&2; lat+=(5000); continue; }
    lat+=($(( $(now_ms) - s )))
    s=$(now_ms); tmux -L "$sock" send-keys -t b "${!off_var}"
    wait_gone "${!pat_var}" 5000 || true
    lat+=($(( $(now_ms) - s )))
    sleep 1
  done
  wait "$sampler"
  t1=$(ticks "$pid"); w1=$(now_ms); b1=$(flood_bytes)
  lps=$(( (b1 - b0) / line_bytes * 1000 / (w1 - w0) ))
  cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v ms=$((w1 - w0)) 'BEGIN { printf "%.1f", 100 * d / hz / (ms / 1000) }')
  sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
  median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  worst=$(echo "$sorted" | tail -1)
  first_rss=$(grep -v '^$' "$tmp/rss-$tool" | head -1)
  max_rss=$(grep -v '^$' "$tmp/rss-$tool" | sort -n | tail -1)
  printf '%-8s %9s ms %9s ms %8s %% %8s MiB %8s MiB %14s\n' "$tool" "$median" "$worst" "$cpu" "$first_rss" "$max_rss" "$lps"
done
