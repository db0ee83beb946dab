#!/usr/bin/env bash
# The SDK journey of a third party, end to end:
#   1. `cmake --install` the built project into a fresh prefix;
#   2. configure and build tests/fixtures/out_of_tree_plugin against that
#      prefix alone (find_package(PortcullisSDK) + portcullis_add_plugin());
#   3. start the installed `portcullis serve` with YAML naming the built
#      library, read the "serving MCP at <url>" line, call the plugin's tool
#      over HTTP and check the answer;
#   4. stop the server with SIGTERM and expect exit 0.
#
# Usage: out_of_tree_sdk.sh CMAKE BUILD_DIR SOURCE_DIR WORK_DIR [CXX_COMPILER]
# WORK_DIR is emptied first and kept afterwards for inspection. Every wait is
# bounded; the server is killed on any failure.
set -euo pipefail

CMAKE=${1:?cmake executable}
BUILD_DIR=${2:?project build directory}
SOURCE_DIR=${3:?project source directory}
WORK=${4:?work directory}
CXX_COMPILER=${5:-}
BOUND=120 # seconds: the longest any single wait may take

PREFIX=$WORK/prefix
SERVER_PID=
DRAIN_PID=

say() { echo "== $*"; }
fail() {
  echo "out_of_tree_sdk: FAIL: $*" >&2
  if [[ -f $WORK/server.stderr ]]; then
    echo "--- server stderr ---" >&2
    cat "$WORK/server.stderr" >&2
  fi
  exit 1
}

# Waits at most $2 seconds for process $1 to end; returns 1 if it has not.
wait_gone() {
  local pid=$1 bound=$2
  kill -0 "$pid" 2>/dev/null || return 0
  timeout "$bound" tail --pid="$pid" -f /dev/null || true
  ! kill -0 "$pid" 2>/dev/null
}

cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait_gone "$SERVER_PID" 10 || kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n $DRAIN_PID ]]; then
    wait_gone "$DRAIN_PID" 10 || kill -KILL "$DRAIN_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK"

# --- 1. install -----------------------------------------------------------
say "installing $BUILD_DIR into $PREFIX"
if ! "$CMAKE" --install "$BUILD_DIR" --prefix "$PREFIX" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  fail "cmake --install failed"
fi
for header in portcullis/plugin_abi.h portcullis/sdk.hpp portcullis/sdk/entry.hpp portcullis/sdk/provider.hpp; do
  [[ -f $PREFIX/include/$header ]] || fail "the install lacks include/$header"
done
package_config=$(find "$PREFIX" -name PortcullisSDKConfig.cmake -print -quit)
[[ -n $package_config ]] || fail "the install lacks PortcullisSDKConfig.cmake"
package_dir=$(dirname "$package_config")
for file in PortcullisSDKConfigVersion.cmake PortcullisSDKTargets.cmake PortcullisPlugin.cmake; do
  [[ -f $package_dir/$file ]] || fail "the install lacks $package_dir/$file"
done
[[ -x $PREFIX/bin/portcullis ]] || fail "the install lacks bin/portcullis"

# --- 2. build the plugin out of tree -------------------------------------
say "configuring tests/fixtures/out_of_tree_plugin against $PREFIX"
configure=(-S "$SOURCE_DIR/tests/fixtures/out_of_tree_plugin" -B "$WORK/build"
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH="$PREFIX"
  -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
if [[ -n $CXX_COMPILER ]]; then configure+=(-DCMAKE_CXX_COMPILER="$CXX_COMPILER"); fi
if ! "$CMAKE" "${configure[@]}" >"$WORK/configure.log" 2>&1; then
  cat "$WORK/configure.log" >&2
  fail "configuring the out-of-tree plugin failed"
fi
found_dir=$(sed -n 's/^PortcullisSDK_DIR:[A-Z]*=//p' "$WORK/build/CMakeCache.txt")
[[ $found_dir == "$PREFIX"/* ]] || fail "find_package(PortcullisSDK) used $found_dir, not the installed package"

say "building the out-of-tree plugin"
if ! "$CMAKE" --build "$WORK/build" -j2 >"$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2
  fail "building the out-of-tree plugin failed"
fi
PLUGIN=$WORK/build/greeter.so
[[ -f $PLUGIN ]] || fail "portcullis_add_plugin(greeter) did not produce $PLUGIN"
if command -v nm >/dev/null; then
  nm -D --defined-only "$PLUGIN" | grep -qw portcullis_plugin_entry || fail "$PLUGIN does not export portcullis_plugin_entry"
fi

cat >"$WORK/greeter.yaml" <<EOF
logging:
  level: warning
plugins:
  - name: greeter
    kind: primitives
    library: $PLUGIN
    config:
      greeting: Salutations
EOF

# The installed CLI accepts it before anything is served.
"$PREFIX/bin/portcullis" config check "$WORK/greeter.yaml" || fail "config check rejected the out-of-tree plugin"
list=$("$PREFIX/bin/portcullis" plugins list --config "$WORK/greeter.yaml") || fail "plugins list failed: $list"
echo "$list"
grep -Eq "^greeter +primitives +$PLUGIN +[0-9]+\.[0-9]+ +- +ok$" <<<"$list" || fail "plugins list does not show greeter as ok"

# --- 3. serve it and call its tool ---------------------------------------
say "starting the installed portcullis"
mkfifo "$WORK/server.stdout"
"$PREFIX/bin/portcullis" serve --config "$WORK/greeter.yaml" --listen 127.0.0.1:0 \
  >"$WORK/server.stdout" 2>"$WORK/server.stderr" </dev/null &
SERVER_PID=$!
exec 3<"$WORK/server.stdout"

url=
deadline=$((SECONDS + BOUND))
while ((SECONDS < deadline)); do
  IFS= read -r -t "$((deadline - SECONDS))" line <&3 || break
  echo "server: $line"
  if [[ $line == *"serving MCP at "* ]]; then
    url=${line##*serving MCP at }
    break
  fi
done
# Keep reading stdout so the server never blocks on a full pipe.
cat <&3 >"$WORK/server.stdout.rest" &
DRAIN_PID=$!
exec 3<&-
[[ $url == http://127.0.0.1:*/mcp ]] || fail "no \"serving MCP at <url>\" line within ${BOUND}s (got '$url')"

post() { # post OUTPUT_FILE HEADERS_FILE BODY [extra curl args...]
  local out=$1 headers=$2 body=$3
  shift 3
  curl -sS --max-time "$BOUND" -o "$out" -D "$headers" -w '%{http_code}' \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    "$@" --data "$body" "$url"
}

status=$(post "$WORK/initialize.json" "$WORK/initialize.headers" \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"out-of-tree-sdk-test","version":"1.0"}}}') ||
  fail "initialize: curl failed"
[[ $status == 200 ]] || fail "initialize answered HTTP $status: $(cat "$WORK/initialize.json")"
session=$(sed -n 's/^[Mm][Cc][Pp]-[Ss][Ee][Ss][Ss][Ii][Oo][Nn]-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' "$WORK/initialize.headers" | head -n 1)
[[ -n $session ]] || fail "initialize returned no Mcp-Session-Id"
session_headers=(-H "Mcp-Session-Id: $session" -H "MCP-Protocol-Version: 2025-11-25")

status=$(post "$WORK/initialized.json" "$WORK/initialized.headers" \
  '{"jsonrpc":"2.0","method":"notifications/initialized"}' "${session_headers[@]}") || fail "initialized: curl failed"
[[ $status == 202 || $status == 200 || $status == 204 ]] || fail "notifications/initialized answered HTTP $status"

status=$(post "$WORK/list.json" "$WORK/list.headers" \
  '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}' "${session_headers[@]}") || fail "tools/list: curl failed"
[[ $status == 200 ]] || fail "tools/list answered HTTP $status"
grep -q '"greeter_greet"' "$WORK/list.json" || fail "tools/list lacks greeter_greet: $(cat "$WORK/list.json")"

status=$(post "$WORK/call.json" "$WORK/call.headers" \
  '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"greeter_greet","arguments":{"name":"Ada"}}}' \
  "${session_headers[@]}") || fail "tools/call: curl failed"
[[ $status == 200 ]] || fail "tools/call answered HTTP $status: $(cat "$WORK/call.json")"
echo "tools/call: $(cat "$WORK/call.json")"
grep -Eq '"text"[[:space:]]*:[[:space:]]*"Salutations, Ada!"' "$WORK/call.json" ||
  fail "the tool did not answer \"Salutations, Ada!\""
if grep -Eq '"isError"[[:space:]]*:[[:space:]]*true' "$WORK/call.json"; then fail "the tool reported an error"; fi

# --- 4. stop ---------------------------------------------------------------
say "stopping the server"
kill -TERM "$SERVER_PID"
wait_gone "$SERVER_PID" "$BOUND" || fail "the server did not stop within ${BOUND}s of SIGTERM"
code=0
wait "$SERVER_PID" || code=$?
SERVER_PID=
[[ $code == 0 ]] || fail "the server exited with $code after SIGTERM"
say "PASS: out-of-tree plugin built against the installed SDK and served"
