# Shared by the scripts of scripts/bench (run.sh, sse-idle.sh, auth.sh,
# policy.sh, connector.sh), on top of
# scripts/lib/common.sh: the Node tools in tests/e2e and the Release build in
# build-bench.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
BENCH_DIR="$PC_ROOT/scripts/bench"
# PORTCULLIS_BENCH_BUILD: another build directory (with its plugins/) to measure.
BENCH_BUILD="${PORTCULLIS_BENCH_BUILD:-$PC_ROOT/build-bench}"

# Node 22 and the TypeScript SDK from tests/e2e/node_modules (npm ci there
# when they are missing). npm comes with whatever nodejs is installed; only
# when there is none are Debian's packages installed.
bench_ensure_node_tools() {
  if [ -x "$PC_NODE" ] && [ -f "$PC_E2E/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
    return 0
  fi
  command -v npm >/dev/null || pc_ensure_packages nodejs npm
  pc_log "npm ci in tests/e2e"
  (cd "$PC_E2E" && npm ci --no-audit --no-fund --loglevel=error)
}

bench_build() {
  pc_log "building Portcullis (Release) in build-bench (-j$PC_JOBS)"
  cmake -S "$PC_ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DPORTCULLIS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BENCH_BUILD" -j"$PC_JOBS"
}

# utime+stime in clock ticks of a process and of its children that are still
# running, from /proc.
bench_cpu_ticks() {
  local pid="$1" total=0 p
  for p in "$pid" $(cat "/proc/$pid/task/"*/children 2>/dev/null); do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat")))
  done
  echo "$total"
}

# VmRSS in kB of a process and its running children.
bench_rss_kb() {
  local pid="$1" total=0 p
  for p in "$pid" $(cat "/proc/$pid/task/"*/children 2>/dev/null); do
    [ -r "/proc/$p/status" ] || continue
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
  done
  echo "$total"
}

# Busy and all clock ticks of the whole machine, from /proc/stat.
bench_machine_ticks() {
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat
}

# bench_wait_for_quiet SECONDS: waits, at most SECONDS, until the machine is
# under 10 % busy over 5 s. Returns at once for 0.
bench_wait_for_quiet() {
  local limit="$1"
  [ "$limit" -gt 0 ] || return 0
  local deadline=$((SECONDS + limit)) busy m0 m1
  while :; do
    m0=($(bench_machine_ticks)); sleep 5; m1=($(bench_machine_ticks))
    busy=$(( (m1[0] - m0[0]) * 100 / (m1[1] - m0[1] + 1) ))
    if [ "$busy" -lt 10 ]; then pc_log "the machine is quiet (${busy} % busy)"; return 0; fi
    if [ "$SECONDS" -ge "$deadline" ]; then pc_log "still ${busy} % busy after ${limit} s; measuring anyway"; return 0; fi
    pc_log "waiting for a quiet machine (${busy} % busy)"
    sleep 10
  done
}

# bench_workdir NAME: a temporary directory in $WORK and an empty $PIDS; on
# exit every process in $PIDS is stopped (SIGTERM, SIGKILL after 15 s) and
# $WORK removed. Interrupts exit with 2.
bench_workdir() {
  WORK="$(mktemp -d -t "portcullis-$1.XXXXXX")"
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 2' INT TERM
}

bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}

# bench_start_portcullis NAME CONFIG: `portcullis serve` of $BENCH_BUILD on
# CONFIG and a free loopback port, run in $WORK/NAME with its output in
# out.log; the process joins $PIDS. Sets URL_<NAME>, PORT_<NAME> and PID_<NAME>.
bench_start_portcullis() {
  local name="$1" config="$2" line=""
  mkdir -p "$WORK/$name"
  (cd "$WORK/$name" && exec "$BENCH_BUILD/portcullis" serve --config "$config" --listen 127.0.0.1:0 \
    >"$WORK/$name/out.log" 2>&1) &
  PIDS+=("$!")
  eval "PID_$name=$!"
  for _ in $(seq 300); do
    line=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/mcp' "$WORK/$name/out.log" 2>/dev/null | head -1 || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  [ -n "$line" ] || { echo "$(basename "$0"): the $name server did not start:" >&2; cat "$WORK/$name/out.log" >&2; exit 2; }
  eval "URL_$name=$line"
  eval "PORT_$name=$(echo "$line" | sed -E 's|.*:([0-9]+)/mcp|\1|')"
}

# bench_wrk_result NAME OUTPUT: the "@result ..." line mcp-call.lua printed
# in wrk's OUTPUT for the target NAME. Exits 2 when there is none or when it
# counts bad replies.
bench_wrk_result() {
  local name="$1" out="$2" line bad
  line=$(printf '%s\n' "$out" | grep '^@result ' || true)
  [ -n "$line" ] || { echo "$(basename "$0"): wrk printed no result for $name:" >&2; echo "$out" >&2; exit 2; }
  for bad in bad_status bad_body err_status; do
    if printf '%s' "$line" | grep -Eq "(^| )${bad}=[1-9]"; then
      echo "$(basename "$0"): bad replies from $name: $line" >&2; exit 2
    fi
  done
  printf '%s\n' "$line"
}

# bench_field LINE KEY: the value of KEY=... in an @result line.
bench_field() { printf '%s' "$1" | grep -Eo "(^| )$2=[0-9.]+" | head -1 | cut -d= -f2; }
