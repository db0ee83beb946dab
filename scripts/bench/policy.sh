#!/usr/bin/env bash
# Authorization policy benchmark, two parts, against a Release build with
# -DPORTCULLIS_BUILD_BENCH=ON (build-bench unless PORTCULLIS_BENCH_BUILD says
# otherwise):
#
# micro    scripts/bench/policy_bench.cpp with a policy of --rules rules of
#          realistic shape (roles, groups, users and clients; exact names,
#          globs and plugin selectors; one in ten a deny rule; the rules
#          that let the caller in come last) over a catalog of 200 tools:
#          policy::Policy::decide uncached, and the dispatcher's cached path
#          (mcp::AccessGate::catalogFor + PrincipalCatalog::decision) against
#          the same lookup without a policy. ns per call, min and median over
#          the rounds, and the cost of building one principal's decisions
#          (paid once per principal and catalog generation). Target: the
#          policy adds at most 2 µs per call.
# wrk      (with --wrk) tools/call of demo_echo (2026-07-28, stateless) over
#          keep-alive with wrk, interleaved rounds of two servers on
#          config/examples/open.yaml: without a policy, and with a policy of
#          --rules rules whose last one lets everyone call the demo tools.
#          Median req/s and server CPU µs per request, and the difference.
#
# Usage: scripts/bench/policy.sh [options]
#   --rules N            rules in the policy (default 200)
#   --rounds N           micro rounds (default 15)
#   --calls N            calls per micro round (default 200000)
#   --threads N          micro threads calling at once (default 1)
#   --wrk                also run the wrk comparison
#   --duration SECONDS   length of each wrk run (default 10)
#   --wrk-rounds N       interleaved wrk rounds (default 3)
#   --connections N      wrk -c (default 64); --wrk-threads N  wrk -t (default 2)
#   --no-build           use the build directory as it is
#   --out FILE           also write the Markdown report to FILE
# Exit status: 0 when the micro verdict passes, 1 when it fails, 2 on error.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUILD="$BENCH_BUILD"

rules=200
rounds=15
calls=200000
threads=1
wrk=0
duration=10
wrk_rounds=3
connections=64
wrk_threads=2
build=1
out_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rules) rules="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --calls) calls="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --wrk) wrk=1; shift ;;
    --duration) duration="$2"; shift 2 ;;
    --wrk-rounds) wrk_rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --wrk-threads) wrk_threads="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "policy.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

pc_ensure_packages "${PC_BUILD_PACKAGES[@]}"
if [ "$wrk" = 1 ]; then
  pc_ensure_packages wrk curl
  bench_ensure_node_tools
fi
if [ "$build" = 1 ]; then
  pc_log "building the policy benchmark (Release) in $BUILD (-j$PC_JOBS)"
  cmake -S "$PC_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPORTCULLIS_BUILD_TESTS=OFF \
    -DPORTCULLIS_BUILD_BENCH=ON >/dev/null
  cmake --build "$BUILD" -j"$PC_JOBS" --target policy_bench portcullis demo conformance
fi
[ -x "$BUILD/policy_bench" ] || {
  echo "policy.sh: $BUILD/policy_bench is missing (configure with -DPORTCULLIS_BUILD_BENCH=ON)" >&2
  exit 2
}

bench_workdir policy-bench

REPORT="$WORK/report.md"
{
  echo "## Authorization policy: micro benchmark"
  echo
  echo "$(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d)."
  echo
} >"$REPORT"
pc_log "policy_bench --rules $rules --rounds $rounds --calls $calls --threads $threads"
status=0
"$BUILD/policy_bench" --rules "$rules" --rounds "$rounds" --calls "$calls" --threads "$threads" \
  >>"$REPORT" || status=$?
[ "$status" -le 1 ] || { cat "$REPORT" >&2; exit 2; }

if [ "$wrk" = 1 ]; then
  NODE="$PC_NODE"
  # open.yaml plus a policy file: rules-1 rules for roles, groups and users
  # (no match for an anonymous caller, each looked at) and a last rule that
  # lets everyone use the demo and conformance tools.
  "$NODE" -e '
    const n = Number(process.argv[1]);
    const rules = [];
    for (let i = 0; i < n - 1; i++) {
      const who = i % 3 === 0 ? { roles: ["admin"] } : i % 3 === 1 ? { groups: [`team-${i}`] } : { users: [`user${i}`] };
      rules.push({ name: `rule-${i}`, effect: i % 10 === 9 ? "deny" : "allow", ...who,
        tools: i % 2 ? [`tool_${i}`, `other_${i}`] : [`plugin${i % 8}_*`] });
    }
    rules.push({ name: "everyone-demo", effect: "allow", tools: ["demo_*", "test_*", "whoami"] });
    console.log(JSON.stringify({ rules }, null, 1));
  ' "$rules" >"$WORK/policy.yaml"
  { cat "$PC_ROOT/config/examples/open.yaml"; printf '\npolicy:\n  file: %s\n' "$WORK/policy.yaml"; } >"$WORK/policy-config.yaml"
  "$BUILD/portcullis" config check "$WORK/policy-config.yaml" >/dev/null

  bench_start_portcullis open "$PC_ROOT/config/examples/open.yaml"
  bench_start_portcullis policy "$WORK/policy-config.yaml"

  TICK=$(getconf CLK_TCK)
  RESULTS="$WORK/wrk.txt"
  : >"$RESULTS"
  # measure ROUND NAME SECONDS: appends "name rps cpu_us_per_request".
  measure() {
    local round="$1" name="$2" secs="$3" url pid before after out line rps requests
    url=$(eval "echo \$URL_$name"); pid=$(eval "echo \$PID_$name")
    before=$(bench_cpu_ticks "$pid")
    out=$(BENCH_PROTOCOL=modern wrk -t"$wrk_threads" -c"$connections" -d"${secs}s" -s "$BENCH_DIR/mcp-call.lua" "$url")
    after=$(bench_cpu_ticks "$pid")
    line=$(bench_wrk_result "$name" "$out") || exit 2
    requests=$(bench_field "$line" requests)
    rps=$(bench_field "$line" rps)
    [ "$round" = warmup ] && return 0
    awk -v n="$name" -v r="$rps" -v t="$((after - before))" -v hz="$TICK" -v q="$requests" \
      'BEGIN {printf "%s %s %.2f\n", n, r, t / hz * 1e6 / q}' >>"$RESULTS"
    pc_log "round $round $name: $rps req/s"
  }
  measure warmup open 2
  measure warmup policy 2
  for round in $(seq "$wrk_rounds"); do
    measure "$round" open "$duration"
    measure "$round" policy "$duration"
  done
  median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
  open_rps=$(awk '$1 == "open" {print $2}' "$RESULTS" | median)
  policy_rps=$(awk '$1 == "policy" {print $2}' "$RESULTS" | median)
  open_cpu=$(awk '$1 == "open" {print $3}' "$RESULTS" | median)
  policy_cpu=$(awk '$1 == "policy" {print $3}' "$RESULTS" | median)
  {
    echo
    echo "## Authorization policy: tools/call over HTTP"
    echo
    echo "wrk -t$wrk_threads -c$connections, ${duration} s runs, $wrk_rounds interleaved rounds, tools/call of"
    echo "demo_echo (2026-07-28, stateless) on config/examples/open.yaml; medians."
    echo
    echo "| server | req/s | server CPU µs/request |"
    echo "|---|---:|---:|"
    echo "| no policy | $open_rps | $open_cpu |"
    echo "| $rules-rule policy | $policy_rps | $policy_cpu |"
    awk -v a="$open_cpu" -v b="$policy_cpu" -v x="$open_rps" -v y="$policy_rps" \
      'BEGIN {printf "| difference | %+.1f %% | %+.2f |\n", (y - x) / x * 100, b - a}'
  } >>"$REPORT"
fi

cat "$REPORT"
if [ -n "$out_file" ]; then cp "$REPORT" "$out_file"; fi
exit "$status"
