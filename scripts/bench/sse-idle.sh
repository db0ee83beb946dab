#!/usr/bin/env bash
# Idle SSE streams: opens 10,000 streams against Portcullis, holds them, and
# reports the server's RSS and thread count while they are open, and whether
# a normal tools/call still succeeds. Target: under 100 MB RSS.
#
# Usage: scripts/bench/sse-idle.sh [--streams N] [--modes "session listen"]
#                                  [--hold SECONDS] [--no-build] [--out FILE]
#   session: 2025-11-25 sessions, each with its GET stream
#   listen:  2026-07-28 subscriptions/listen streams
# Each mode runs against a fresh Portcullis. Exit status 0 when every mode
# passes, 1 when one fails, 2 on error.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD="$BENCH_BUILD"
LIMIT_MB=100

streams=10000
modes="session listen"
hold=20
build=1
out_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --streams) streams="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --hold) hold="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sse-idle.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

pc_ensure_packages "${PC_BUILD_PACKAGES[@]}" curl
bench_ensure_node_tools
NODE="$PC_NODE"
if [ "$build" = 1 ]; then bench_build; fi
[ -x "$BUILD/portcullis" ] || { echo "sse-idle.sh: $BUILD/portcullis is missing" >&2; exit 2; }

# Each stream is a descriptor on both sides; this shell's children inherit.
need=$((streams + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
  ulimit -Hn "$need" 2>/dev/null || { echo "sse-idle.sh: the open-files hard limit is $hard, $need needed" >&2; exit 2; }
fi
ulimit -n "$need"

WORK="$(mktemp -d -t portcullis-sse.XXXXXX)"
PC_PID=""
stop_server() {
  [ -n "$PC_PID" ] || return 0
  kill "$PC_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PC_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$PC_PID" 2>/dev/null || true
  PC_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT
trap 'exit 2' INT TERM

# config/examples/open.yaml with room for the streams and sessions.
max=$((streams * 2))
cat >"$WORK/sse.yaml" <<EOF
# config/examples/open.yaml, with room for $streams idle streams.
server:
  listen: 127.0.0.1:0
  mcp_path: /mcp
  threads: 128
data_dir: $WORK/var
logging:
  level: warning
streams:
  max_streams: $max
sessions:
  max: $max
plugins:
  - name: demo
    kind: primitives
    library: demo
  - name: conformance
    kind: primitives
    library: conformance
EOF

status=0
rows=()
for mode in $modes; do
  pc_log "mode $mode: $streams idle streams"
  "$BUILD/portcullis" serve --config "$WORK/sse.yaml" >"$WORK/server.log" 2>&1 &
  PC_PID=$!
  url=""
  for _ in $(seq 300); do
    url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/mcp' "$WORK/server.log" | head -1 || true)
    [ -n "$url" ] && break
    kill -0 "$PC_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "sse-idle.sh: Portcullis did not start:" >&2; cat "$WORK/server.log" >&2; exit 2; }
  json=$("$NODE" "$BENCH_DIR/sse-idle.mjs" --url "$url" --pid "$PC_PID" --streams "$streams" --mode "$mode" --hold "$hold")
  echo "$json" >&2
  row=$(printf '%s' "$json" | "$NODE" -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const mb = (kb) => (kb / 1024).toFixed(1);
    const limit = Number(process.argv[1]);
    const ok = r.held.rssKb / 1024 < limit && r.opened === r.streams && r.stillOpen === r.streams && r.echo.ok;
    const what = r.mode === "session" ? "2025-11-25 sessions + GET stream" : "2026-07-28 subscriptions/listen";
    console.log(`| ${what} | ${r.opened} / ${r.streams} | ${r.stillOpen} | ${mb(r.before.rssKb)} | ${mb(r.held.rssKb)} | ` +
      `${((r.held.rssKb - r.before.rssKb) / r.streams).toFixed(2)} KB | ${r.before.threads} → ${r.held.threads} | ${r.held.fds} | ` +
      `${r.openSeconds.toFixed(1)} s | ${r.echo.ok ? "200, " + r.echo.ms.toFixed(1) + " ms" : "FAILED (" + r.echo.status + ")"} | ` +
      `${ok ? "PASS" : "FAIL"} |`);
    process.exit(ok ? 0 : 1);' "$LIMIT_MB") || status=1
  rows+=("$row")
  stop_server
done

{
  echo "Command: \`scripts/bench/sse-idle.sh --streams $streams --modes \"$modes\" --hold $hold\`"
  echo
  echo "| streams | opened | still open after ${hold} s | RSS before MB | RSS with streams MB | per stream | threads | fds | time to open | tools/call meanwhile | < $LIMIT_MB MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for row in "${rows[@]}"; do echo "$row"; done
} | tee "$WORK/report.md"
[ -n "$out_file" ] && cp "$WORK/report.md" "$out_file"
exit "$status"
