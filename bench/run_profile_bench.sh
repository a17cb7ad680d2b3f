#!/usr/bin/env bash
# Profiling overhead on a CPU-bound target, in one run: the target (tests/targets/profile_hotcold,
# one busy thread) reports its own throughput (work units per second) for SECONDS with
#   none      no profiler
#   dbgcoord  our sampler at 99 Hz (dbg-worker profile: the coordinator's jobs run the same code)
#   gdb       a poor man's profiler: `gdb -p PID -batch -ex "thread apply all bt"` once a second
#   perf      `perf record -F 99 --call-graph dwarf` (when perf can record on this machine)
# and prints a markdown table: throughput, loss against "none", samples, and the CPU time other
# processes used meanwhile (a busy machine makes every number noisy: compare that column).
# "none" runs first and last; its spread is the noise floor.
# usage: bench/run_profile_bench.sh [SECONDS]   (default 10; needs a build: scripts/setup.sh)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_RUN=${1:-10}
BUILD=${BUILD_DIR:-$REPO/build}
TARGET=$BUILD/tests/targets/profile_hotcold
WORKER=$BUILD/bin/dbg-worker
[[ -x $TARGET && -x $WORKER ]] || { echo "build first (scripts/setup.sh): $TARGET, $WORKER" >&2; exit 2; }
RUN_DIR=$(mktemp -d /tmp/dbg-profile-bench.XXXXXX)
trap 'rm -rf "$RUN_DIR"' EXIT

others_ms() { python3 "$REPO/bench/cpumark.py" $$ | awk '{print $2}'; }

# run NAME: starts the target, runs the profiler NAME beside it, prints "throughput samples others_ms".
run() {
  local name=$1 out=$RUN_DIR/$1.out samples="-" before after
  before=$(others_ms)
  "$TARGET" 1 0 "$SECONDS_PER_RUN" >"$out" &
  local pid=$!
  until grep -q ready "$out" 2>/dev/null; do sleep 0.01; done
  case $name in
    none*) ;;
    dbgcoord)
      "$WORKER" profile "$pid" --hz 99 --duration "$SECONDS_PER_RUN" >"$RUN_DIR/profile.json"
      samples=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print("%d (%.1f Hz, overhead %.3f %%)" % (p["samples"], p["hz_effective"], p["overhead_pct"]))' "$RUN_DIR/profile.json")
      ;;
    gdb)
      local n=0
      while kill -0 "$pid" 2>/dev/null && ! grep -q throughput "$out"; do
        gdb -p "$pid" -batch -nx -ex "set pagination off" -ex "thread apply all bt" >/dev/null 2>&1 || true
        n=$((n + 1))
        sleep 1
      done
      samples="$n (1 Hz)"
      ;;
    perf)
      perf record -F 99 --call-graph dwarf -o "$RUN_DIR/perf.data" -p "$pid" -- sleep "$SECONDS_PER_RUN" >/dev/null 2>"$RUN_DIR/perf.err" || true
      samples=$(perf report -i "$RUN_DIR/perf.data" --stdio --no-children 2>/dev/null | awk '/^# Samples:/ {print $3; exit}')
      samples="${samples:-?} (99 Hz)"
      ;;
  esac
  wait "$pid"
  after=$(others_ms)
  echo "$(awk '/throughput/ {print $2}' "$out")|$samples|$((after - before))"
}

perf_ok=0
if command -v perf >/dev/null && perf record -F 99 -o "$RUN_DIR/probe.data" -- true >/dev/null 2>&1; then perf_ok=1; fi

declare -A result
for name in none dbgcoord gdb $( ((perf_ok)) && echo perf ) none_again; do
  result[$name]=$(run "$name")
  echo "  $name: ${result[$name]}" >&2
done
base=$(echo "${result[none]}" | cut -d'|' -f1)
echo
echo "CPU-bound target (profile_hotcold, 1 busy thread), ${SECONDS_PER_RUN} s per run, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| profiler | throughput (units/s) | loss vs none | samples | other processes' CPU meanwhile (ms) |"
echo "| --- | ---: | ---: | --- | ---: |"
for name in none dbgcoord gdb $( ((perf_ok)) && echo perf ) none_again; do
  IFS='|' read -r thr samples others <<<"${result[$name]}"
  loss=$(python3 -c "print('%.2f %%' % (100 * (1 - float('$thr') / float('$base'))))")
  label=$name
  case $name in dbgcoord) label="dbgcoord, 99 Hz";; gdb) label="gdb bt loop, 1 Hz";; perf) label="perf record -F 99 --call-graph dwarf";; none_again) label="none (again)";; esac
  echo "| $label | $thr | $loss | $samples | $others |"
done
((perf_ok)) || echo "(perf could not record on this machine: skipped)"
