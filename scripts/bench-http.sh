#!/usr/bin/env bash
# Requests per second and latency of an authenticated GET (/api/v1/me with an
# API key) with the server pinned to one core and wrk on another; then the
# binary's size and the server's memory after start.
#
#   scripts/bench-http.sh [seconds] [connections]
#
# Needs wrk (Debian: apt-get install wrk) and taskset.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
conns="${2:-32}"
port="${FIREBREAK_BENCH_PORT:-18089}"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
cargo build --release --locked -q
bin=target/release/firebreak
data="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

FIREBREAK_ADMIN_PASSWORD='bench-password-1234' taskset -c 0 "$bin" serve \
    --data-dir "$data" --listen "127.0.0.1:$port" --log warn >/dev/null &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
rss_start_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

secret=$(curl -sf -u admin:bench-password-1234 -H 'content-type: application/json' \
    -d '{"name":"bench","role":"stakeholder"}' "http://127.0.0.1:$port/api/v1/api-keys" |
    sed -E 's/.*"secret":"([^"]+)".*/\1/')

cores=$(nproc)
wrk_cpu=$(( cores > 1 ? 1 : 0 ))
echo "machine: $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'); server pinned to core 0, wrk to core $wrk_cpu"
echo "GET /api/v1/me with Bearer key, $conns connections, ${secs}s:"
taskset -c "$wrk_cpu" wrk -t1 -c"$conns" -d"${secs}s" --latency \
    -H "Authorization: Bearer $secret" "http://127.0.0.1:$port/api/v1/me" |
    grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx'
rss_after_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "binary size: $(du -h "$bin" | cut -f1) ($(stat -c %s "$bin") bytes)"
echo "server memory (RSS): ${rss_start_kb} KiB after start, ${rss_after_kb} KiB after the run"
