#!/usr/bin/env bash
# Profiling overhead on a CPU-bound target, in one run: the target (tests/targets/profile_hotcold,
# one busy thread) reports its own throughput (work units per second) for SECONDS with
#   none      no profiler
#   dbgcoord  our sampler at 99 Hz (dbg-worker profile: the coordinator's jobs run the same code)
#   gdb       a poor man's profiler: `gdb -p PID -batch -ex "thread apply all bt"` once a second
#   perf      `perf record -F 99 --call-graph dwarf` (when perf can record on this machine)
# and prints a markdown table: median throughput, loss against "none", the spread of the runs,
# samples, and the CPU time other processes used meanwhile. Against a busy machine (other jobs
# compiling) the configurations run interleaved, ROUNDS times each, and the target runs at
# nice -15 in every configuration when allowed, so that it keeps one CPU to itself; the spread
# of "none" is the noise floor.
# usage: bench/run_profile_bench.sh [SECONDS] [ROUNDS]   (defaults 5 and 3; needs a build)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_RUN=${1:-5}
ROUNDS=${2:-3}
NICE=(nice -n -15)
nice -n -15 true 2>/dev/null || NICE=()
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
  "${NICE[@]}" "$TARGET" 1 0 "$SECONDS_PER_RUN" >"$out" &
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

configs=(none dbgcoord gdb $( ((perf_ok)) && echo perf ))
declare -A runs
for ((r = 1; r <= ROUNDS; r++)); do
  for name in "${configs[@]}"; do
    line=$(run "$name")
    runs[$name]+="$line"$'\n'
    echo "  round $r $name: $line" >&2
  done
done
# median, min, max of the throughputs; the last run's samples; others' CPU summed.
stats() {
  printf '%s' "${runs[$1]}" | python3 -c '
import sys, statistics
rows = [l.split("|") for l in sys.stdin.read().splitlines() if l]
thr = [float(r[0]) for r in rows]
print("%.1f|%.1f|%.1f|%s|%d" % (statistics.median(thr), min(thr), max(thr), rows[-1][1], sum(int(r[2]) for r in rows)))'
}
base=$(stats none | cut -d'|' -f1)
echo
echo "CPU-bound target (profile_hotcold, 1 busy thread${NICE:+, nice -15}), $ROUNDS interleaved rounds of ${SECONDS_PER_RUN} s, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| profiler | throughput, median (units/s) | loss vs none | min..max | samples (last run) | other processes' CPU meanwhile (ms) |"
echo "| --- | ---: | ---: | --- | --- | ---: |"
for name in "${configs[@]}"; do
  IFS='|' read -r med lo hi samples others <<<"$(stats "$name")"
  loss=$(python3 -c "print('%.2f %%' % (100 * (1 - $med / $base)))")
  label=$name
  case $name in dbgcoord) label="dbgcoord, 99 Hz";; gdb) label="gdb bt loop, 1 Hz";; perf) label="perf record -F 99 --call-graph dwarf";; esac
  echo "| $label | $med | $loss | $lo..$hi | $samples | $others |"
done
((perf_ok)) || echo "(perf could not record on this machine: skipped)"
