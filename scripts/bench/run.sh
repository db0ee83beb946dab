#!/usr/bin/env bash
# Throughput benchmark: MCP tools/call of demo_echo over keep-alive, wrk -c64,
# Portcullis side by side with two references measured in the same run:
#   nginx      returning a canned 80-byte JSON reply (the ceiling here)
#   peer       the official MCP TypeScript SDK with the same echo tool
#              (scripts/bench/peer-server.mjs)
# Runs are interleaved (nginx, portcullis..., peer, nginx, ...) and the median
# of the rounds is reported, with server CPU microseconds per request taken
# from /proc/<pid>/stat and completed requests per connection.
#
# Usage: scripts/bench/run.sh [options]
#   --duration SECONDS   length of each wrk run (default 10)
#   --rounds N           interleaved rounds (default 3)
#   --connections N      wrk -c (default 64); --threads N  wrk -t (default 2)
#   --modes "A B"        Portcullis protocol modes: modern (2026-07-28,
#                        stateless) and/or session (2025-11-25 session);
#                        default "modern session"
#   --nginx-workers "1 auto"  nginx worker_processes values, one nginx each
#                        (default both: the first is "nginx", the other
#                        nginx-wauto; the verdict uses the faster)
#   --peer-http "node express"  the peers' HTTP layers: node (node:http, the
#                        fastest) is "peer", the one the verdict uses;
#                        express (the SDK's createMcpExpressApp) is measured
#                        as peer-express for reference (default both)
#   --peer-mode session|stateless  (default session)
#   --no-plain           skip the runs with a plain wrk (no per-reply Lua
#                        hook, so the client costs less): nginx-plain and
#                        portcullis-2026-07-28-plain, shown for reference
#   --perf               after the rounds, profile Portcullis (modern) with
#                        perf record -g during one more run and print the top
#   --wait-quiet SECONDS before measuring and before each round, wait up to
#                        SECONDS for the machine to be quiet (under 10 % CPU
#                        busy over 5 s); a run during which other processes
#                        took over 10 % of the machine is repeated (twice at
#                        most)
#   --no-build           use build-bench as it is
#   --out FILE           also write the Markdown report to FILE
# Exit status: 0 when every verdict passes, 1 when one fails, 2 on error.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD="$BENCH_BUILD"

duration=10
rounds=3
connections=64
threads=2
modes="modern session"
nginx_workers="1 auto"
peer_http="node express"
peer_mode=session
perf=0
plain=1
wait_quiet=0
build=1
out_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --nginx-workers) nginx_workers="$2"; shift 2 ;;
    --peer-http) peer_http="$2"; shift 2 ;;
    --peer-mode) peer_mode="$2"; shift 2 ;;
    --perf) perf=1; shift ;;
    --no-plain) plain=0; shift ;;
    --wait-quiet) wait_quiet="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# --- what the benchmark needs ------------------------------------------------
pc_ensure_packages "${PC_BUILD_PACKAGES[@]}" wrk nginx-light curl
bench_ensure_node_tools
if [ "$perf" = 1 ] && ! command -v perf >/dev/null; then pc_ensure_packages linux-perf; fi
NODE="$PC_NODE"

if [ "$build" = 1 ]; then bench_build; fi
[ -x "$BUILD/portcullis" ] || { echo "run.sh: $BUILD/portcullis is missing" >&2; exit 2; }

# --- processes, stopped on exit ----------------------------------------------
WORK="$(mktemp -d -t portcullis-bench.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

free_port() {
  "$NODE" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits (bounded) until FILE has a line matching REGEX; prints the match.
wait_for_line() {
  local file="$1" regex="$2" pid="$3" line
  for _ in $(seq 300); do
    line=$(grep -Eo "$regex" "$file" 2>/dev/null | head -1 || true)
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: gave up waiting for /$regex/ in $file:" >&2
  cat "$file" >&2
  return 1
}

wait_for_port() {
  local port="$1"
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: nothing answers on port $port" >&2
  return 1
}

# nginx: one server block returning the canned reply. The JSON-RPC id is the
# X-Bench-Token request header (three digits), so the reply is always 80
# bytes and mcp-call.lua can count it per connection like the others. One
# nginx per worker_processes value named; the first is "nginx", others are
# nginx-w<value>.
TEXT=hello
NGINX_NAMES=(); NGINX_URLS=(); NGINX_PIDS=()
for workers in $nginx_workers; do
  port=$(free_port)
  dir="$WORK/nginx-$workers"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$port;
    location / {
      default_type application/json;
      return 200 '{"jsonrpc":"2.0","id":\$http_x_bench_token,"result":{"content":[{"type":"text","text":"$TEXT"}]}}';
    }
  }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
  pid=$!
  PIDS+=("$pid")
  wait_for_port "$port"
  canned=$(curl -s -H 'X-Bench-Token: 101' -d '{}' "http://127.0.0.1:$port/mcp")
  [ "${#canned}" = 80 ] || { echo "run.sh: the nginx reply is ${#canned} bytes, not 80: $canned" >&2; exit 2; }
  if [ ${#NGINX_NAMES[@]} = 0 ]; then NGINX_NAMES+=(nginx); else NGINX_NAMES+=("nginx-w$workers"); fi
  NGINX_URLS+=("http://127.0.0.1:$port/mcp")
  NGINX_PIDS+=("$pid")
done

# Portcullis on config/examples/open.yaml (logging: warning), port chosen by
# the kernel, data in the temp dir.
mkdir -p "$WORK/portcullis"
(cd "$WORK/portcullis" && exec "$BUILD/portcullis" serve --config "$PC_ROOT/config/examples/open.yaml" \
  --listen 127.0.0.1:0 >"$WORK/portcullis/out.log" 2>&1) &
PC_PID=$!
PIDS+=("$PC_PID")
PC_URL=$(wait_for_line "$WORK/portcullis/out.log" 'http://127\.0\.0\.1:[0-9]+/mcp' "$PC_PID")

# The TypeScript SDK peers: the first HTTP layer named is "peer", the one
# the verdict uses; any other is measured too, as peer-<layer>.
PEER_NAMES=(); PEER_URLS=(); PEER_PIDS=()
for layer in $peer_http; do
  "$NODE" "$BENCH_DIR/peer-server.mjs" --port 0 --mode "$peer_mode" --http "$layer" >"$WORK/peer-$layer.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  port=$(wait_for_line "$WORK/peer-$layer.log" 'listening on [0-9]+' "$pid" | awk '{print $3}')
  if [ ${#PEER_NAMES[@]} = 0 ]; then PEER_NAMES+=(peer); else PEER_NAMES+=("peer-$layer"); fi
  PEER_URLS+=("http://127.0.0.1:$port/mcp")
  PEER_PIDS+=("$pid")
done

# A 2025-11-25 session: initialize once, then notifications/initialized.
# Prints the Mcp-Session-Id.
open_session() {
  local url="$1" headers sid
  headers=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' "$url" \
    -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1.0.0"}}}')
  sid=$(printf '%s' "$headers" | tr -d '\r' | awk 'tolower($1)=="mcp-session-id:" {print $2}')
  [ -n "$sid" ] || { echo "run.sh: no Mcp-Session-Id from $url" >&2; return 1; }
  curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' "$url" \
    -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
  echo "$sid"
}

close_session() {
  curl -s -o /dev/null -X DELETE -H "Mcp-Session-Id: $2" -H 'MCP-Protocol-Version: 2025-11-25' "$1" || true
}

# Targets, in the order each round runs them: name|url|protocol|pid|track.
# A session target gets a fresh session for each run, closed afterwards:
# one session per run, and the SDK peer's per-request leak in JSON-response
# mode (typescript-sdk issue #2559) does not build up across runs.
TARGETS=()
for i in "${!NGINX_NAMES[@]}"; do
  TARGETS+=("${NGINX_NAMES[$i]}|${NGINX_URLS[$i]}|modern|${NGINX_PIDS[$i]}|1")
done
for m in $modes; do
  case "$m" in
    modern) TARGETS+=("portcullis-2026-07-28|$PC_URL|modern|$PC_PID|1") ;;
    session) TARGETS+=("portcullis-2025-11-25|$PC_URL|session|$PC_PID|1") ;;
    *) echo "run.sh: unknown mode $m" >&2; exit 2 ;;
  esac
done
for i in "${!PEER_NAMES[@]}"; do
  if [ "$peer_mode" = session ]; then
    TARGETS+=("${PEER_NAMES[$i]}|${PEER_URLS[$i]}|session|${PEER_PIDS[$i]}|1")
  else
    # The SDK ignores the 2026-07-28 headers and _meta.
    TARGETS+=("${PEER_NAMES[$i]}|${PEER_URLS[$i]}|modern|${PEER_PIDS[$i]}|1")
  fi
done
if [ "$plain" = 1 ]; then
  TARGETS+=("nginx-plain|${NGINX_URLS[0]}|modern|${NGINX_PIDS[0]}|0")
  TARGETS+=("portcullis-2026-07-28-plain|$PC_URL|modern|$PC_PID|0")
fi

# CPU and memory of a server and its worker processes (nginx): bench_cpu_ticks
# and bench_rss_kb in common.sh.
TICK=$(getconf CLK_TCK)
RESULTS="$WORK/results.txt"
: >"$RESULTS"

# Busy and all clock ticks of the whole machine, from /proc/stat.
machine_ticks() {
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat
}

# measure ROUND NAME URL PROTOCOL PID TRACK SECONDS
# Appends one line to $RESULTS: wrk's figures, the server's CPU ticks, wrk's
# own CPU, and the CPU every other process on the machine took meanwhile.
measure() {
  local round="$1" name="$2" url="$3" protocol="$4" pid="$5" track="$6" secs="$7"
  local before after out line ticks m0 m1 wrk_cpu others session=""
  if [ "$protocol" = session ]; then session=$(open_session "$url"); fi
  before=$(bench_cpu_ticks "$pid")
  m0=($(machine_ticks))
  out=$( { TIMEFORMAT='%3U %3S'; time BENCH_PROTOCOL="$protocol" BENCH_SESSION="$session" BENCH_TEXT="$TEXT" \
    BENCH_TRACK="$track" wrk -t"$threads" -c"$connections" -d"${secs}s" -s "$BENCH_DIR/mcp-call.lua" "$url"; } \
    2>"$WORK/time.txt")
  m1=($(machine_ticks))
  after=$(bench_cpu_ticks "$pid")
  if [ -n "$session" ]; then close_session "$url" "$session"; fi
  line=$(printf '%s\n' "$out" | grep '^@result ' | sed 's/^@result //')
  [ -n "$line" ] || { echo "run.sh: wrk printed no result for $name:" >&2; echo "$out" >&2; return 1; }
  ticks=$((after - before))
  wrk_cpu=$(awk -v hz="$TICK" 'END {printf "%d", ($1 + $2) * hz}' "$WORK/time.txt")
  # Percent of all cores used by everything but this server and wrk.
  others=$(awk -v b="$(( m1[0] - m0[0] ))" -v a="$(( m1[1] - m0[1] ))" -v s="$ticks" -v w="$wrk_cpu" \
    'BEGIN {x = (b - s - w) / a * 100; if (x < 0) x = 0; printf "%.1f", x}')
  echo "round=$round target=$name $line cpu_ticks=$ticks tick_hz=$TICK wrk_ticks=$wrk_cpu others_pct=$others rss_kb=$(bench_rss_kb "$pid")" >>"$RESULTS"
  printf '  %-28s %s others=%s%%\n' "$name" "$(printf '%s' "$line" | awk '{print $3, $4, $5, $9, $10, $11, $12}')" "$others" >&2
}

# Waits, at most $wait_quiet seconds, until the machine is under 10 % busy
# over 5 s (the servers here are idle). Called before the warm-up and
# before every round.
wait_for_quiet() {
  [ "$wait_quiet" -gt 0 ] || return 0
  local deadline=$((SECONDS + wait_quiet)) busy m0 m1
  while :; do
    m0=($(machine_ticks)); sleep 5; m1=($(machine_ticks))
    busy=$(( (m1[0] - m0[0]) * 100 / (m1[1] - m0[1] + 1) ))
    if [ "$busy" -lt 10 ]; then pc_log "the machine is quiet (${busy} % busy)"; return 0; fi
    if [ "$SECONDS" -ge "$deadline" ]; then pc_log "still ${busy} % busy after ${wait_quiet} s; measuring anyway"; return 0; fi
    pc_log "waiting for a quiet machine (${busy} % busy)"
    sleep 10
  done
}
wait_for_quiet

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
pc_log "load average: $LOAD_START; warming up (5 s each, not counted)"
for t in "${TARGETS[@]}"; do
  IFS='|' read -r name url protocol pid track <<<"$t"
  measure 0 "$name" "$url" "$protocol" "$pid" "$track" 5
done
: >"$RESULTS"

# A run during which other processes took more than 10 % of the machine is
# measured again (at most twice more, when --wait-quiet is given); the last
# attempt counts, and the report says how many were repeated.
REPEATED=0
for r in $(seq "$rounds"); do
  [ "$r" = 1 ] || wait_for_quiet
  pc_log "round $r of $rounds (${duration} s per target)"
  for t in "${TARGETS[@]}"; do
    IFS='|' read -r name url protocol pid track <<<"$t"
    for attempt in 1 2 3; do
      measure "$r" "$name" "$url" "$protocol" "$pid" "$track" "$duration"
      [ "$wait_quiet" -gt 0 ] && [ "$attempt" -lt 3 ] || break
      noisy=$(tail -1 "$RESULTS" | grep -o 'others_pct=[0-9.]*' | cut -d= -f2)
      awk -v x="$noisy" 'BEGIN {exit !(x > 10)}' || break
      pc_log "other processes took ${noisy} % of the machine: measuring $name again"
      sed -i '$d' "$RESULTS"
      REPEATED=$((REPEATED + 1))
      sleep 5
    done
  done
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
command_line="scripts/bench/run.sh --duration $duration --rounds $rounds --connections $connections --threads $threads --modes \"$modes\" --nginx-workers \"$nginx_workers\" --peer-http \"$peer_http\" --peer-mode $peer_mode"
[ "$plain" = 1 ] || command_line+=" --no-plain"
status=0
"$NODE" "$BENCH_DIR/report.mjs" "$RESULTS" \
  --command "$command_line" --connections "$connections" --threads "$threads" --duration "$duration" \
  --nginx-workers "$nginx_workers" --load "$LOAD_START / $LOAD_END" --repeated "$REPEATED" --peer "TypeScript SDK 1.32.2, $peer_mode mode, enableJsonResponse; peer = ${peer_http%% *}" \
  >"$WORK/report.md" || status=$?
cat "$WORK/report.md"
[ -n "$out_file" ] && cp "$WORK/report.md" "$out_file"

if [ "$perf" = 1 ]; then
  pc_log "profiling Portcullis (2026-07-28) with perf during a ${duration} s run"
  perf record -F 499 --call-graph dwarf,16384 -o "$WORK/perf.data" -p "$PC_PID" -- sleep "$duration" \
    >"$WORK/perf.log" 2>&1 &
  perf_pid=$!
  BENCH_PROTOCOL=modern BENCH_TEXT="$TEXT" wrk -t"$threads" -c"$connections" -d"${duration}s" \
    -s "$BENCH_DIR/mcp-call.lua" "$PC_URL" | grep '^@result' >&2
  if ! wait "$perf_pid"; then echo "perf record failed:" >&2; cat "$WORK/perf.log" >&2; fi
  # Columns squeezed; head may close the pipe early.
  report() { perf report -i "$WORK/perf.data" --stdio "$@" 2>/dev/null | grep -E '^ +[0-9]' | sed 's/  */ /g' | cut -c1-160 | head -40 || true; }
  echo
  echo "### perf: Portcullis, self time by symbol (top 40)"
  echo '```'
  report --no-children --sort dso,symbol -g none
  echo '```'
  echo "### perf: Portcullis, time including callees (top 40)"
  echo '```'
  report --children --sort symbol -g none
  echo '```'
fi
exit "$status"
