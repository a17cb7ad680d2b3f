#!/usr/bin/env bash
# run_scale_bench.sh — the coordinator on a big host (issue #23): GET /api/v1/processes latency
# (sequential and 32 wrk clients), idle CPU, a snapshot session over every sleeper and the
# dashboard's first rows, at 100, 1,000 and 10,000 processes, beside another build's dbgcoord.
#
# usage: bench/run_scale_bench.sh [--sizes 100,1000,10000] [--compare DBGCOORD] [--no-write]
#
#   --sizes LIST        process counts (sleepers started); default 100,1000,10000
#   --compare DBGCOORD  also measure this dbgcoord (with its dbg-worker beside it), e.g. main's
#                       built in a second build dir: side by side, the same processes
#   --no-write          print the summary only; leave BENCHMARKS.md alone
#
# Needs root, wrk (scripts/setup.sh --bench), node and chromium (scripts/setup.sh) and a build
# in build/ (dbgcoord, dbg-worker, tests/targets/sleepers). pid_max bounds the threads: every
# thread takes a pid, and the threads per size are capped to stay below it (the summary says what
# the machine allowed). Raw results: build/bench/scale-run-DATE/results.json; the summary
# replaces the "Scale benchmark" section of BENCHMARKS.md. Every process started is stopped on
# any exit (the sleepers' children die with their parent, PR_SET_PDEATHSIG).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=100,1000,10000
COMPARE=
WRITE=()
die() { echo "run_scale_bench: $*" >&2; exit 1; }
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --sizes) SIZES=${2:?}; shift 2 ;;
    --compare) COMPARE=${2:?}; shift 2 ;;
    --no-write) WRITE=(--no-write); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ $SIZES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--sizes must be a comma-separated list of positive integers"
[[ $EUID -eq 0 ]] || die "must run as root"
for cmd in python3 wrk node; do command -v "$cmd" >/dev/null || die "'$cmd' not found (scripts/setup.sh --bench)"; done
for f in build/bin/dbgcoord build/bin/dbg-worker build/tests/targets/sleepers; do
  [[ -x $REPO/$f ]] || die "$f missing: build first (cmake --build build)"
done
[[ -z $COMPARE || -x $COMPARE ]] || die "--compare $COMPARE is not an executable"
[[ -d $REPO/tests/browser/node_modules/playwright-core ]] || die "run npm ci in tests/browser (scripts/setup.sh does)"

RUN_DIR=$REPO/build/bench/scale-run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
echo "pid_max $(cat /proc/sys/kernel/pid_max), threads-max $(cat /proc/sys/kernel/threads-max), ulimit -u $(ulimit -u)" >&2
# The driver runs in its own process group: whatever way this script ends, the group goes.
trap 'kill -TERM -- -$DRIVER 2>/dev/null || true; sleep 1; kill -KILL -- -$DRIVER 2>/dev/null || true' EXIT
set -m
python3 "$REPO/bench/scale_bench.py" --sizes "$SIZES" --coordinator "$REPO/build/bin/dbgcoord" \
  ${COMPARE:+--compare "$COMPARE"} --sleepers "$REPO/build/tests/targets/sleepers" --run-dir "$RUN_DIR" \
  --command "bench/run_scale_bench.sh ${ARGS[*]}" "${WRITE[@]}" &
DRIVER=$!
set +m
wait $DRIVER
