#!/usr/bin/env bash
# What the mcp_upstream connector adds to a tools/call, against the upstream
# measured directly in the same run. The upstream is a Portcullis on
# config/examples/open.yaml (C++, demo_echo); the gateway is a Portcullis
# with one mcp_upstream entry pointing at it (no prefix, no sign-in,
# pool --pool). Both are the Release build in build-bench.
#
# Two parts, each in interleaved rounds (direct, proxied, direct, ...):
#   latency  wrk -t1 -c1: one request at a time, so p50 is the time a call
#            takes, not a queue. Target: proxied p50 at most 0.3 ms above
#            direct.
#   cpu      wrk -t2 -c16: the gateway's CPU per proxied request (utime +
#            stime from /proc, divided by the requests wrk completed). Target:
#            at most 150 µs. Meanwhile the established connections from the
#            gateway to the upstream are counted (ss) every second; target:
#            never more than the pool size plus one, the upstream's
#            subscriptions/listen stream, which has a connection of its own
#            outside the pool (docs/connectors.md, `pool`).
#
# Usage: scripts/bench/connector.sh [options]
#   --duration SECONDS   length of each wrk run (default 10)
#   --rounds N           interleaved rounds per part (default 3)
#   --pool N             the connector's pool size (default 4)
#   --wait-quiet SECONDS wait up to SECONDS for a quiet machine first
#   --no-build           use build-bench as it is
#   --out FILE           also write the Markdown report to FILE
# Exit status: 0 when every verdict passes, 1 when one fails, 2 on error.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD="$BENCH_BUILD"

duration=10
rounds=3
pool=4
wait_quiet=0
build=1
out_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --pool) pool="$2"; shift 2 ;;
    --wait-quiet) wait_quiet="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "connector.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for n in "$duration" "$rounds" "$pool" "$wait_quiet"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "connector.sh: numbers only, not \"$n\"" >&2; exit 2; }
done

pc_ensure_packages wrk iproute2
[ "$build" = 0 ] || bench_build
[ -x "$BUILD/portcullis" ] && [ -f "$BUILD/plugins/mcp_upstream.so" ] ||
  { echo "connector.sh: no portcullis or mcp_upstream plugin in $BUILD" >&2; exit 2; }
bench_workdir connector

bench_start_portcullis direct "$PC_ROOT/config/examples/open.yaml"
cat >"$WORK/gateway.yaml" <<EOF
server:
  listen: 127.0.0.1:0
logging:
  level: warning
plugins:
  - name: upstream
    kind: connector
    library: mcp_upstream
    config:
      url: $URL_direct
      pool: $pool
EOF
bench_start_portcullis proxied "$WORK/gateway.yaml"

bench_wait_for_quiet "$wait_quiet"
TICK=$(getconf CLK_TCK)
RESULTS="$WORK/results.txt"
: >"$RESULTS"

# upstream_connections: established TCP connections from the gateway to the upstream.
upstream_connections() {
  ss -Htn state established "( dport = :$PORT_direct )" 2>/dev/null | wc -l
}

# measure PART ROUND NAME THREADS CONNECTIONS SECONDS: appends
# "part name rps p50_us cpu_us_per_request max_upstream_connections".
measure() {
  local part="$1" round="$2" name="$3" threads="$4" conns="$5" secs="$6" url pid before after out line \
    requests rps p50 max_conns=0 n wrk_pid
  url=$(eval "echo \$URL_$name"); pid=$(eval "echo \$PID_$name")
  before=$(bench_cpu_ticks "$pid")
  BENCH_PROTOCOL=modern wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$BENCH_DIR/mcp-call.lua" "$url" \
    >"$WORK/wrk.out" 2>&1 &
  wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    # The direct server's own keep-alive clients are wrk's; count only the gateway's.
    if [ "$name" = proxied ]; then
      n=$(upstream_connections)
      [ "$n" -gt "$max_conns" ] && max_conns=$n
    fi
    sleep 1
  done
  wait "$wrk_pid" || true
  after=$(bench_cpu_ticks "$pid")
  out=$(cat "$WORK/wrk.out")
  line=$(bench_wrk_result "$name" "$out") || exit 2
  requests=$(bench_field "$line" requests)
  rps=$(bench_field "$line" rps)
  p50=$(bench_field "$line" p50_us)
  [ "$round" = warmup ] && return 0
  awk -v part="$part" -v n="$name" -v r="$rps" -v p="$p50" -v t="$((after - before))" -v hz="$TICK" \
    -v q="$requests" -v c="$max_conns" 'BEGIN {printf "%s %s %s %s %.2f %d\n", part, n, r, p, t / hz * 1e6 / q, c}' \
    >>"$RESULTS"
  pc_log "$part round $round $name: $rps req/s, p50 ${p50} us"
}

measure latency warmup direct 1 1 2
measure latency warmup proxied 1 1 2
for round in $(seq "$rounds"); do
  measure latency "$round" direct 1 1 "$duration"
  measure latency "$round" proxied 1 1 "$duration"
done
for round in $(seq "$rounds"); do
  measure cpu "$round" direct 2 16 "$duration"
  measure cpu "$round" proxied 2 16 "$duration"
done

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
col() { awk -v part="$1" -v n="$2" -v c="$3" '$1 == part && $2 == n {print $c}' "$RESULTS" | median; }
lat_direct=$(col latency direct 4); lat_proxied=$(col latency proxied 4)
rps_lat_direct=$(col latency direct 3); rps_lat_proxied=$(col latency proxied 3)
rps_direct=$(col cpu direct 3); rps_proxied=$(col cpu proxied 3)
cpu_direct=$(col cpu direct 5); cpu_proxied=$(col cpu proxied 5)
max_conns=$(awk '$2 == "proxied" {print $6}' "$RESULTS" | sort -n | tail -1)
added_p50=$(awk -v a="$lat_direct" -v b="$lat_proxied" 'BEGIN {printf "%d", b - a}')
status=0
verdict() { if [ "$1" = 1 ]; then echo PASS; else status=1; echo FAIL; fi; }
v_p50=$(verdict "$(awk -v x="$added_p50" 'BEGIN {print (x <= 300) ? 1 : 0}')")
v_cpu=$(verdict "$(awk -v x="$cpu_proxied" 'BEGIN {print (x <= 150) ? 1 : 0}')")
# The subscriptions/listen stream holds one connection outside the pool.
conn_limit=$((pool + 1))
v_conns=$(verdict "$([ "$max_conns" -le "$conn_limit" ] && echo 1 || echo 0)")

REPORT="$WORK/report.md"
{
  echo "Command: \`scripts/bench/connector.sh --duration $duration --rounds $rounds --pool $pool\`"
  echo
  echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Upstream: Portcullis on config/examples/open.yaml; gateway:"
  echo "Portcullis with one mcp_upstream (pool $pool) pointing at it. tools/call of demo_echo, protocol"
  echo "2026-07-28 (stateless) from wrk to either; medians of $rounds interleaved rounds of ${duration} s."
  echo
  echo "| part | target | req/s | p50 µs | server CPU µs/request | gateway→upstream connections (max) |"
  echo "|---|---|---:|---:|---:|---:|"
  echo "| latency (wrk -t1 -c1) | direct | $rps_lat_direct | $lat_direct | – | – |"
  echo "| latency (wrk -t1 -c1) | proxied | $rps_lat_proxied | $lat_proxied | – | – |"
  echo "| cpu (wrk -t2 -c16) | direct | $rps_direct | – | $cpu_direct | – |"
  echo "| cpu (wrk -t2 -c16) | proxied | $rps_proxied | – | $cpu_proxied (gateway only) | $max_conns |"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  echo "| proxied p50 at most 0.3 ms above direct | +$added_p50 µs | $v_p50 |"
  echo "| gateway CPU per proxied call at most 150 µs | $cpu_proxied µs | $v_cpu |"
  echo "| upstream connections at most the pool ($pool) + the listen stream | $max_conns | $v_conns |"
} >"$REPORT"
cat "$REPORT"
if [ -n "$out_file" ]; then cp "$REPORT" "$out_file"; fi
exit "$status"
