#!/usr/bin/env bash
# Sign-in benchmark, two parts, both against the Release build in build-bench:
#
# cached   What a bearer token costs once it is cached: MCP tools/call of
#          demo_echo (2026-07-28, stateless) over keep-alive with wrk -c64,
#          interleaved rounds of
#            portcullis-open       config/examples/open.yaml, no sign-in
#            portcullis-jwt        a Portcullis with sign-in, called with an
#                                  ES256 JWT access token obtained through
#                                  the real flow (client registration, the
#                                  HTML sign-in and consent pages, PKCE code
#                                  exchange)
#            portcullis-api-token  the same server, called with an API token
#                                  (portcullis tokens create)
#          Median req/s and server CPU µs per request (from /proc), and the
#          extra CPU per request against portcullis-open, taken round by
#          round. Target: a cached JWT costs at most 5 µs more server CPU
#          per request.
# refresh  Refresh-token rotation on SQLite: --chains concurrent chains on
#          --connections keep-alive connections (wrk), each chain sending
#          its newest refresh token to /oauth/token and keeping the one it
#          gets back, for --refresh-duration seconds a round. Each round has
#          fresh chains, obtained beforehand through the real flow (after the
#          first sign-in with a remembered consent, each further
#          authorization in the same browser session goes straight to a
#          code). Rotations per second, errors (any reply but 200 with a new
#          refresh token), server CPU, p50/p99 latency. Target: at least
#          1,500 rotations per second, no errors.
#
# The sign-in server runs on a temporary configuration (open.yaml's server,
# logging and plugins plus sign-in with the built-in identity provider,
# auth.access_token_ttl 24h so no token expires during the run) and a
# temporary data directory; storage keeps its defaults (storage.synchronous
# FULL, WAL) unless --synchronous says otherwise.
#
# Usage: scripts/bench/auth.sh [options]
#   --parts "cached refresh"  which parts to run (default both)
#   --duration SECONDS   length of each cached-token wrk run (default 10)
#   --rounds N           interleaved cached-token rounds (default 3)
#   --refresh-duration SECONDS  length of each refresh run (default 10)
#   --refresh-rounds N   refresh rounds, fresh chains each (default 3)
#   --connections N      wrk -c for both parts (default 64)
#   --threads N          wrk -t (default 2)
#   --chains N           refresh chains per round, at least --connections
#                        (default: --connections)
#   --audit on|off       the sign-in server's audit log (default on, as in a
#                        real configuration: every tools/call is recorded);
#                        off measures the token check alone
#   --synchronous FULL|NORMAL  set storage.synchronous on the sign-in server
#                        (default: not set, so the server's default, FULL)
#   --perf               after the rounds, profile the sign-in server with
#                        perf record -g during one more run of each part and
#                        print the top symbols (and, for refresh, the fsync
#                        calls counted by perf stat)
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

parts="cached refresh"
duration=10
rounds=3
refresh_duration=10
refresh_rounds=3
connections=64
threads=2
chains=""
synchronous=""
audit=on
perf=0
wait_quiet=0
build=1
out_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --parts) parts="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --refresh-duration) refresh_duration="$2"; shift 2 ;;
    --refresh-rounds) refresh_rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --chains) chains="$2"; shift 2 ;;
    --synchronous) synchronous="$2"; shift 2 ;;
    --audit) audit="$2"; shift 2 ;;
    --perf) perf=1; shift ;;
    --wait-quiet) wait_quiet="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "auth.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$chains" ] || chains="$connections"
do_cached=0; do_refresh=0
for p in $parts; do
  case "$p" in
    cached) do_cached=1 ;;
    refresh) do_refresh=1 ;;
    *) echo "auth.sh: unknown part $p" >&2; exit 2 ;;
  esac
done
case "$synchronous" in ""|FULL|NORMAL) ;; *) echo "auth.sh: --synchronous is FULL or NORMAL" >&2; exit 2 ;; esac
case "$audit" in on|off) ;; *) echo "auth.sh: --audit is on or off" >&2; exit 2 ;; esac
if [ "$chains" -lt "$connections" ]; then
  echo "auth.sh: --chains ($chains) must be at least --connections ($connections)" >&2; exit 2
fi

# --- what the benchmark needs ------------------------------------------------
pc_ensure_packages "${PC_BUILD_PACKAGES[@]}" wrk curl
bench_ensure_node_tools
if [ "$perf" = 1 ] && ! command -v perf >/dev/null; then pc_ensure_packages linux-perf; fi
NODE="$PC_NODE"

if [ "$build" = 1 ]; then bench_build; fi
[ -x "$BUILD/portcullis" ] || { echo "auth.sh: $BUILD/portcullis is missing" >&2; exit 2; }

# --- processes and files, removed on exit ------------------------------------
WORK="$(mktemp -d -t portcullis-bench-auth.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# Waits (bounded) until FILE has a line matching REGEX; prints the match.
wait_for_line() {
  local file="$1" regex="$2" pid="$3" line
  for _ in $(seq 300); do
    line=$(grep -Eo "$regex" "$file" 2>/dev/null | head -1 || true)
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "auth.sh: gave up waiting for /$regex/ in $file:" >&2
  cat "$file" >&2
  return 1
}

# Portcullis on config/examples/open.yaml, as scripts/bench/run.sh runs it.
OPEN_PID=""
if [ "$do_cached" = 1 ]; then
  mkdir -p "$WORK/open"
  (cd "$WORK/open" && exec "$BUILD/portcullis" serve --config "$PC_ROOT/config/examples/open.yaml" \
    --listen 127.0.0.1:0 >"$WORK/open/out.log" 2>&1) &
  OPEN_PID=$!
  PIDS+=("$OPEN_PID")
  OPEN_URL=$(wait_for_line "$WORK/open/out.log" 'http://127\.0\.0\.1:[0-9]+/mcp' "$OPEN_PID")
fi

# Portcullis with sign-in: temporary configuration and data directory, one
# user (the one tests/e2e/support/oauth.mjs signs in as).
mkdir -p "$WORK/signin/data" "$WORK/tokens"
export PORTCULLIS_DATA_DIR="$WORK/signin/data"
CONFIG="$WORK/signin/portcullis.yaml"
"$NODE" "$BENCH_DIR/auth-setup.mjs" config --out "$CONFIG" --access-token-ttl 24h --audit "$audit" \
  ${synchronous:+--synchronous "$synchronous"}
PASSWORD=$("$NODE" --input-type=module -e \
  "import {PASSWORD} from '$PC_ROOT/tests/e2e/support/oauth.mjs'; console.log(PASSWORD)")
USERNAME=$("$NODE" --input-type=module -e \
  "import {USERNAME} from '$PC_ROOT/tests/e2e/support/oauth.mjs'; console.log(USERNAME)")
printf '%s\n' "$PASSWORD" | "$BUILD/portcullis" users add "$USERNAME" --role admin --password-stdin \
  --config "$CONFIG" >"$WORK/signin/users.log" 2>&1 || { cat "$WORK/signin/users.log" >&2; exit 2; }
(cd "$WORK/signin" && exec "$BUILD/portcullis" serve --config "$CONFIG" --listen 127.0.0.1:0 \
  >"$WORK/signin/out.log" 2>&1) &
AUTH_PID=$!
PIDS+=("$AUTH_PID")
AUTH_URL=$(wait_for_line "$WORK/signin/out.log" 'http://127\.0\.0\.1:[0-9]+/mcp' "$AUTH_PID")
AUTH_BASE="${AUTH_URL%/mcp}"

# Tokens through the real flow: the JWT for the cached part, and one set of
# chains for the refresh warm-up plus one per refresh round.
sets=0
[ "$do_refresh" = 1 ] && sets=$((refresh_rounds + 1 + 2 * perf))
pc_log "signing in through the pages: 1 + $chains x $sets authorizations"
SETUP=$("$NODE" "$BENCH_DIR/auth-setup.mjs" tokens --base "$AUTH_BASE" --out "$WORK/tokens" \
  --chains "$chains" --sets "$sets")
pc_log "tokens obtained: $SETUP"
JWT=$(cat "$WORK/tokens/access-token")
API_TOKEN=$("$BUILD/portcullis" tokens create --user "$USERNAME" --name bench --config "$CONFIG" 2>"$WORK/signin/tokens.log") \
  || { cat "$WORK/signin/tokens.log" >&2; exit 2; }

# Every target answers the benchmark's request before anything is measured.
check_call() {
  local url="$1" auth="$2" reply
  reply=$(curl -s -w '\n%{http_code}' "$url" ${auth:+-H "Authorization: $auth"} \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: demo_echo' \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"demo_echo","arguments":{"text":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}')
  case "$reply" in
    *hello*200) ;;
    *) echo "auth.sh: tools/call on $url failed: $reply" >&2; exit 2 ;;
  esac
}
if [ "$do_cached" = 1 ]; then
  check_call "$OPEN_URL" ""
  check_call "$AUTH_URL" "Bearer $JWT"
  check_call "$AUTH_URL" "Bearer $API_TOKEN"
  unauth=$(curl -s -o /dev/null -w '%{http_code}' "$AUTH_URL" -H 'Content-Type: application/json' -d '{}')
  [ "$unauth" = 401 ] || { echo "auth.sh: the sign-in server answered $unauth without a token, not 401" >&2; exit 2; }
fi

TICK=$(getconf CLK_TCK)
RESULTS="$WORK/results.txt"
: >"$RESULTS"
TEXT=hello

# run_wrk PART ROUND NAME PID SECONDS -- ENV... : one wrk run (its URL and
# script in the environment given), the server's CPU ticks, wrk's own CPU and
# the CPU every other process took meanwhile; appends one line to $RESULTS.
run_wrk() {
  local part="$1" round="$2" name="$3" pid="$4" secs="$5" url="$6" script="$7"
  shift 7
  local before after out line ticks m0 m1 wrk_cpu others
  before=$(bench_cpu_ticks "$pid")
  m0=($(bench_machine_ticks))
  out=$( { TIMEFORMAT='%3U %3S'; time env "$@" wrk -t"$threads" -c"$connections" -d"${secs}s" \
    -s "$script" "$url"; } 2>"$WORK/time.txt")
  m1=($(bench_machine_ticks))
  after=$(bench_cpu_ticks "$pid")
  line=$(printf '%s\n' "$out" | grep '^@result ' | sed 's/^@result //')
  [ -n "$line" ] || { echo "auth.sh: wrk printed no result for $name:" >&2; echo "$out" >&2; return 1; }
  if printf '%s\n' "$out" | grep -q '^@first_error '; then
    pc_log "$name: first error: $(printf '%s\n' "$out" | grep '^@first_error ' | cut -c14-)"
  fi
  ticks=$((after - before))
  wrk_cpu=$(awk -v hz="$TICK" 'END {printf "%d", ($1 + $2) * hz}' "$WORK/time.txt")
  others=$(awk -v b="$(( m1[0] - m0[0] ))" -v a="$(( m1[1] - m0[1] ))" -v s="$ticks" -v w="$wrk_cpu" \
    'BEGIN {x = (b - s - w) / a * 100; if (x < 0) x = 0; printf "%.1f", x}')
  echo "part=$part round=$round target=$name $line cpu_ticks=$ticks tick_hz=$TICK wrk_ticks=$wrk_cpu others_pct=$others rss_kb=$(bench_rss_kb "$pid")" >>"$RESULTS"
  printf '  %-22s %s others=%s%%\n' "$name" \
    "$(printf '%s' "$line" | tr ' ' '\n' | grep -E '^(rps|ok_rps|p50_us|p99_us|errors|bad_status|bad_body|conn_zero)=' | tr '\n' ' ')" "$others" >&2
}

# Cached-token targets: name|url|pid|Authorization header.
TARGETS=()
if [ "$do_cached" = 1 ]; then
  TARGETS+=("portcullis-open|$OPEN_URL|$OPEN_PID|")
  TARGETS+=("portcullis-jwt|$AUTH_URL|$AUTH_PID|Bearer $JWT")
  TARGETS+=("portcullis-api-token|$AUTH_URL|$AUTH_PID|Bearer $API_TOKEN")
fi
measure_cached() {
  local round="$1" t="$2" secs="$3" name url pid auth
  IFS='|' read -r name url pid auth <<<"$t"
  run_wrk cached "$round" "$name" "$pid" "$secs" "$url" "$BENCH_DIR/mcp-call.lua" \
    BENCH_PROTOCOL=modern BENCH_TEXT="$TEXT" BENCH_TRACK=1 BENCH_AUTHORIZATION="$auth"
}
measure_refresh() {
  local round="$1" set="$2" secs="$3"
  run_wrk refresh "$round" portcullis-refresh "$AUTH_PID" "$secs" "$AUTH_BASE/oauth/token" "$BENCH_DIR/refresh.lua" \
    BENCH_CHAINS_FILE="$WORK/tokens/chains.$set" BENCH_THREADS="$threads"
}

# A run during which other processes took more than 10 % of the machine is
# measured again (at most twice more, when --wait-quiet is given); the last
# attempt counts. A refresh run cannot be repeated on the same chains (the
# tokens in flight when wrk stopped were used), so it is not repeated.
REPEATED=0
noisy_last() {
  local noisy
  noisy=$(tail -1 "$RESULTS" | grep -o 'others_pct=[0-9.]*' | cut -d= -f2)
  awk -v x="$noisy" 'BEGIN {exit !(x > 10)}' || return 1
  pc_log "other processes took ${noisy} % of the machine"
  return 0
}

bench_wait_for_quiet "$wait_quiet"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

if [ "$do_cached" = 1 ]; then
  pc_log "load average: $LOAD_START; cached tokens: warming up (5 s each, not counted)"
  for t in "${TARGETS[@]}"; do measure_cached 0 "$t" 5; done
  sed -i '/^part=cached round=0 /d' "$RESULTS"
  for r in $(seq "$rounds"); do
    [ "$r" = 1 ] || bench_wait_for_quiet "$wait_quiet"
    pc_log "cached tokens: round $r of $rounds (${duration} s per target)"
    for t in "${TARGETS[@]}"; do
      for attempt in 1 2 3; do
        measure_cached "$r" "$t" "$duration"
        [ "$wait_quiet" -gt 0 ] && [ "$attempt" -lt 3 ] || break
        noisy_last || break
        pc_log "measuring ${t%%|*} again"
        sed -i '$d' "$RESULTS"
        REPEATED=$((REPEATED + 1))
        sleep 5
      done
    done
  done
fi

if [ "$do_refresh" = 1 ]; then
  bench_wait_for_quiet "$wait_quiet"
  pc_log "refresh rotation: warming up (5 s, $chains chains, not counted)"
  measure_refresh 0 1 5
  sed -i '/^part=refresh round=0 /d' "$RESULTS"
  for r in $(seq "$refresh_rounds"); do
    [ "$r" = 1 ] || bench_wait_for_quiet "$wait_quiet"
    pc_log "refresh rotation: round $r of $refresh_rounds (${refresh_duration} s, $chains fresh chains)"
    measure_refresh "$r" "$((r + 1))" "$refresh_duration"
  done
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
db_kb=$(du -sk "$PORTCULLIS_DATA_DIR" | cut -f1)
command_line="scripts/bench/auth.sh --parts \"$parts\" --duration $duration --rounds $rounds --refresh-duration $refresh_duration --refresh-rounds $refresh_rounds --connections $connections --threads $threads --chains $chains"
[ -z "$synchronous" ] || command_line+=" --synchronous $synchronous"
[ "$audit" = on ] || command_line+=" --audit off"
[ "$wait_quiet" = 0 ] || command_line+=" --wait-quiet $wait_quiet"
status=0
"$NODE" "$BENCH_DIR/auth-report.mjs" "$RESULTS" \
  --command "$command_line" --date "$DATE" --connections "$connections" --threads "$threads" \
  --duration "$duration" --refresh-duration "$refresh_duration" --chains "$chains" \
  --synchronous "${synchronous:-FULL (the default; not set in the configuration)}" \
  --load "$LOAD_START / $LOAD_END" --repeated "$REPEATED" --setup "$SETUP" --data-kb "$db_kb" \
  >"$WORK/report.md" || status=$?
[ "$status" -le 1 ] || { echo "auth.sh: the report failed" >&2; exit 2; }
cat "$WORK/report.md"
[ -n "$out_file" ] && cp "$WORK/report.md" "$out_file"

if [ "$perf" = 1 ]; then
  # Columns squeezed; head may close the pipe early.
  perf_top() { perf report -i "$1" --stdio "${@:2}" 2>/dev/null | grep -E '^ +[0-9]' | sed 's/  */ /g' | cut -c1-160 | head -40 || true; }
  profile() {
    local title="$1" secs="$2"; shift 2
    pc_log "profiling the sign-in server with perf during a ${secs} s run: $title"
    perf record -F 499 --call-graph dwarf,16384 -o "$WORK/perf.data" -p "$AUTH_PID" -- sleep "$secs" \
      >"$WORK/perf.log" 2>&1 &
    local perf_pid=$!
    "$@"
    if ! wait "$perf_pid"; then echo "perf record failed:" >&2; cat "$WORK/perf.log" >&2; fi
    echo
    echo "### perf: $title, self time by symbol (top 40)"
    echo '```'
    perf_top "$WORK/perf.data" --no-children --sort dso,symbol -g none
    echo '```'
    echo "### perf: $title, time including callees (top 40)"
    echo '```'
    perf_top "$WORK/perf.data" --children --sort symbol -g none
    echo '```'
    echo "### perf: $title, Portcullis functions and the SQLite/OpenSSL steps under them, including callees (top 40)"
    echo '```'
    perf report -i "$WORK/perf.data" --stdio --children --sort symbol -g none 2>/dev/null | grep -E '^ +[0-9]' |
      grep -E 'portcullis::(oauth|storage|transport::OAuth|transport::Bearer|transport::Mcp)|sqlite3_prepare|sqlite3_step|fdatasync|EVP_DigestSign|EVP_DigestVerify|ECDSA' |
      sed 's/  */ /g' | cut -c1-160 | head -40 || true
    echo '```'
  }
  if [ "$do_cached" = 1 ]; then
    profile "tools/call with a cached JWT" "$duration" \
      measure_cached perf "${TARGETS[1]}" "$duration"
  fi
  if [ "$do_refresh" = 1 ]; then
    profile "refresh rotation" "$refresh_duration" measure_refresh perf "$((refresh_rounds + 2))" "$refresh_duration"
    # Off-CPU time: the synchronous writes behind each commit, counted on
    # one more run with fresh chains.
    echo
    echo "### perf stat: system calls of the sign-in server during one more ${refresh_duration} s refresh run"
    perf stat -e 'syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64,syscalls:sys_enter_futex' \
      -p "$AUTH_PID" -o "$WORK/perf-stat.txt" -- sleep "$refresh_duration" >/dev/null 2>&1 &
    stat_pid=$!
    measure_refresh perf "$((refresh_rounds + 3))" "$refresh_duration"
    wait "$stat_pid" || true
    echo '```'
    tail -1 "$RESULTS" | tr ' ' '\n' | grep -E '^(ok|ok_rps|errors)=' | tr '\n' ' '
    echo
    grep -E 'syscalls|elapsed' "$WORK/perf-stat.txt" | sed 's/  */ /g' || true
    echo '```'
  fi
fi
exit "$status"
