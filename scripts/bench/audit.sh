#!/usr/bin/env bash
# Audit writer benchmark: process CPU per recorded access decision while
# the audit log writes to a fresh SQLite database with the server's storage
# defaults (scripts/bench/audit_writer_bench.cpp). The figure is the audit
# log's share of a signed-in tools/call (docs/adr/0008-bulk-inserts.md,
# docs/performance.md "Sign-in"). Release build in build-bench (or
# PORTCULLIS_BENCH_BUILD) with -DPORTCULLIS_BUILD_BENCH=ON.
#
# Usage: scripts/bench/audit.sh [--decisions N] [--rounds N] [--no-build]
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD="$BENCH_BUILD"

args=()
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --decisions|--rounds) args+=("$1" "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "audit.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

pc_ensure_packages "${PC_BUILD_PACKAGES[@]}"
if [ "$build" = 1 ]; then
  pc_log "building the audit writer benchmark (Release) in $BUILD (-j$PC_JOBS)"
  cmake -S "$PC_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPORTCULLIS_BUILD_TESTS=OFF \
    -DPORTCULLIS_BUILD_BENCH=ON >/dev/null
  cmake --build "$BUILD" -j"$PC_JOBS" --target audit_writer_bench
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$BUILD/audit_writer_bench" "${args[@]}" --dir "$work/db"
