#!/usr/bin/env bash
# run_scale_bench.sh — the coordinator on a big host (issue #23): GET /api/v1/processes latency
# (sequential and 32 wrk clients), idle CPU, a snapshot session over every sleeper and the
# dashboard's first rows, at 100, 1,000 and 10,000 processes, beside another build's dbgcoord.
#
# usage: bench/run_scale_bench.sh [--sizes 100,1000,10000] [--compare DBGCOORD] [--pid-max N] [--no-write]
#
#   --sizes LIST        process counts (sleepers started); default 100,1000,10000
#   --compare DBGCOORD  also measure this dbgcoord (with its dbg-worker beside it), e.g. main's
#                       built in a second build dir: side by side, the same processes
#   --pid-max N         raise /proc/sys/kernel/pid_max to N for the run (default 131072; 0 leaves it):
#                       the 50,000 threads at 10,000 processes take a pid each, more than Linux's
#                       default 32768 leaves. The original value is written back on every exit
#                       (done, failed, interrupted); never lowered by this script.
#   --no-write          print the summary only; leave BENCHMARKS.md alone
#
# Needs root, wrk (scripts/setup.sh --bench), node and chromium (scripts/setup.sh) and a build
# in build/ (dbgcoord, dbg-worker, tests/targets/sleepers). pid_max bounds the threads: every
# thread takes a pid, and the threads per size are capped to stay below it even once raised (the
# summary says what the machine allowed). Raw results: build/bench/scale-run-DATE/results.json; the summary
# replaces the "Scale benchmark" section of BENCHMARKS.md. Every process started is stopped on
# any exit (the sleepers' children die with their parent, PR_SET_PDEATHSIG).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=100,1000,10000
COMPARE=
PID_MAX=131072
WRITE=()
die() { echo "run_scale_bench: $*" >&2; exit 1; }
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) SIZES=${2:?}; shift 2 ;;
    --compare) COMPARE=${2:?}; shift 2 ;;
    --pid-max) PID_MAX=${2:?}; shift 2 ;;
    --no-write) WRITE=(--no-write); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ $SIZES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--sizes must be a comma-separated list of positive integers"
[[ $PID_MAX =~ ^[0-9]+$ ]] || die "--pid-max must be a number (0: leave pid_max alone)"
[[ $EUID -eq 0 ]] || die "must run as root"
for cmd in python3 wrk node; do command -v "$cmd" >/dev/null || die "'$cmd' not found (scripts/setup.sh --bench)"; done
for f in build/bin/dbgcoord build/bin/dbg-worker build/tests/targets/sleepers; do
  [[ -x $REPO/$f ]] || die "$f missing: build first (cmake --build build)"
done
[[ -z $COMPARE || -x $COMPARE ]] || die "--compare $COMPARE is not an executable"
[[ -d $REPO/tests/browser/node_modules/playwright-core ]] || die "run npm ci in tests/browser (scripts/setup.sh does)"

RUN_DIR=$REPO/build/bench/scale-run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
PID_MAX_FILE=/proc/sys/kernel/pid_max
PID_MAX_ORIGINAL=$(cat $PID_MAX_FILE)
DRIVER=
# Whatever way this script ends: the driver's process group goes (it runs in one of its own),
# then pid_max gets its original value back. INT/TERM/HUP exit through the EXIT trap.
cleanup() {
  if [[ -n $DRIVER ]]; then
    kill -TERM -- -"$DRIVER" 2>/dev/null || true
    sleep 1
    kill -KILL -- -"$DRIVER" 2>/dev/null || true
  fi
  if [[ $(cat $PID_MAX_FILE) != "$PID_MAX_ORIGINAL" ]]; then
    if echo "$PID_MAX_ORIGINAL" >$PID_MAX_FILE; then
      echo "run_scale_bench: pid_max restored to $PID_MAX_ORIGINAL" >&2
    else
      echo "run_scale_bench: could not restore pid_max to $PID_MAX_ORIGINAL: do it by hand" >&2
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
if ((PID_MAX > PID_MAX_ORIGINAL)); then
  echo "$PID_MAX" >$PID_MAX_FILE || die "could not raise pid_max to $PID_MAX (is /proc/sys writable here?)"
  echo "run_scale_bench: pid_max raised from $PID_MAX_ORIGINAL to $PID_MAX for the run" >&2
fi
echo "pid_max $(cat $PID_MAX_FILE), threads-max $(cat /proc/sys/kernel/threads-max), ulimit -u $(ulimit -u)" >&2
set -m
python3 "$REPO/bench/scale_bench.py" --sizes "$SIZES" --coordinator "$REPO/build/bin/dbgcoord" \
  ${COMPARE:+--compare "$COMPARE"} --sleepers "$REPO/build/tests/targets/sleepers" --run-dir "$RUN_DIR" \
  --command "bench/run_scale_bench.sh ${ARGS[*]}" --pid-max-original "$PID_MAX_ORIGINAL" "${WRITE[@]}" &
DRIVER=$!
set +m
wait $DRIVER
