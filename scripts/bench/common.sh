# Shared by scripts/bench/run.sh and scripts/bench/sse-idle.sh, on top of
# scripts/lib/common.sh: the Node tools in tests/e2e and the Release build in
# build-bench.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
BENCH_DIR="$PC_ROOT/scripts/bench"
BENCH_BUILD="$PC_ROOT/build-bench"

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
