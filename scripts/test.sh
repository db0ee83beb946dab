#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite:
#   1. C++ unit, plugin-ABI and integration tests (ctest)
#   2. end-to-end tests with real clients (node --test tests/e2e)
#   3. the official MCP conformance suite, three protocol revisions, and
#      two of them again through the mcp_upstream connector
# Usage: scripts/test.sh [unit|e2e|conformance]...   (default: all)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(unit e2e conformance)
want() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

pc_ensure_packages "${PC_BUILD_PACKAGES[@]}"
pc_build
cd "$PC_ROOT"

failed=()
run_stage() {
  local name=$1; shift
  local start=$SECONDS
  pc_log "$name"
  if "$@"; then
    pc_log "$name: passed ($((SECONDS - start))s)"
  else
    pc_log "$name: FAILED ($((SECONDS - start))s)"
    failed+=("$name")
  fi
}

if want unit; then
  run_stage "unit, plugin ABI and integration tests" \
    ctest --test-dir "$PC_BUILD" --output-on-failure -j"$PC_JOBS"
fi

if want e2e || want conformance; then
  pc_ensure_node_tools
  export PORTCULLIS_BIN="$PC_BUILD/portcullis"
  export PORTCULLIS_BUILD_DIR="$PC_BUILD"
fi

if want e2e; then
  mapfile -t e2e_tests < <(find tests/e2e -maxdepth 1 -name '*.test.mjs' ! -name 'conformance.test.mjs' | sort)
  if [ ${#e2e_tests[@]} -gt 0 ]; then
    run_stage "end-to-end tests with real clients" \
      "$PC_NODE" --test --test-concurrency=1 --test-reporter=spec "${e2e_tests[@]}"
  fi
fi

if want conformance; then
  run_stage "official MCP conformance suite (2026-07-28, 2025-11-25, 2025-06-18; pass-through)" \
    "$PC_NODE" --test --test-reporter=spec tests/e2e/conformance.test.mjs
fi

if [ ${#failed[@]} -gt 0 ]; then
  pc_log "failed: ${failed[*]}"
  exit 1
fi
pc_log "all test suites passed"
