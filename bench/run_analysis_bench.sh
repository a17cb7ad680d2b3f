#!/usr/bin/env bash
# run_analysis_bench.sh — error analysis: pattern-cache hit rate over a replay, and the
# latency of classification and similar groups per error.
#
# usage: bench/run_analysis_bench.sh [--events N] [--groups N] [--batch N] [--churn PERCENT] [--no-write]
#
#   --events N       events replayed; default 100000
#   --groups N       groups they fall into (at most 1000: the reads list them in one page); default 1000
#   --batch N        events per POST (at most 1000); default 1000
#   --churn P        percent of events whose message has other words (invalidates the cache); default 1
#   --no-write       print the section; leave BENCHMARKS.md alone
#
# Phase 0: the same replay into a fresh dbgcoord with --analysis-background off: the ingest rate
# without any analysis work, measured next to phase 1's on the same (noisy) machine.
# Phase 1: a fresh dbgcoord; bench/analysis_bench.py replays the events and records the cache
# counters and the analysis histograms (/api/v1/stats), then reads every group's analysis once
# (cache hits). Phase 2: dbgcoord restarted on the same data with --analysis-cache 1; every read
# is a miss (features, model, similarity scan), timed by the answer's own response_us.
# Raw data: build/bench/analysis-run-<date>/; the "Error analysis benchmark" section of
# BENCHMARKS.md (between the analysis-bench markers) is rewritten.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVENTS=100000
NGROUPS=1000
BATCH=1000
CHURN=1
WRITE=1
WAIT_QUIET=0  # cpu_accounting.sh reads it; this bench does not wait for a quiet machine

die() { echo "run_analysis_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --events) EVENTS=${2:?}; shift 2 ;;
    --groups) NGROUPS=${2:?}; shift 2 ;;
    --batch) BATCH=${2:?}; shift 2 ;;
    --churn) CHURN=${2:?}; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in EVENTS NGROUPS BATCH; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $CHURN =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--churn must be a number"
((BATCH <= 1000)) || die "--batch must be at most 1000 (the API's limit)"
((NGROUPS <= 1000)) || die "--groups must be at most 1000"
((EVENTS % BATCH == 0)) || die "--events must be a multiple of --batch"

[[ -f $REPO/build/CMakeCache.txt ]] || die "no configured build in $REPO/build (run cmake -S . -B build first)"
log "building dbgcoord and dbg-worker"
nice cmake --build "$REPO/build" -j2 --target dbgcoord dbg-worker >/dev/null || die "cmake --build failed"

RUN_DIR=$REPO/build/bench/analysis-run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
DATA=$RUN_DIR/data
COORD_PID=
stop_coord() {
  if [[ -n $COORD_PID ]] && kill -0 "$COORD_PID" 2>/dev/null; then
    kill -TERM "$COORD_PID" 2>/dev/null || true
    wait "$COORD_PID" 2>/dev/null || true
  fi
  COORD_PID=
}
cleanup() { stop_coord; rm -rf "$DATA"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

URL=
start_coord() {
  "$REPO/build/bin/dbgcoord" --listen 127.0.0.1:0 --data-dir "$DATA" "$@" >"$RUN_DIR/coord.out" 2>>"$RUN_DIR/coord.err" &
  COORD_PID=$!
  URL=
  for ((k = 0; k < 200; k++)); do
    URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$RUN_DIR/coord.out" 2>/dev/null || true)
    [[ -n $URL ]] && break
    kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord exited: $(cat "$RUN_DIR/coord.err")"
    sleep 0.05
  done
  [[ -n $URL ]] || die "dbgcoord printed no listening line"
}

source "$REPO/bench/cpu_accounting.sh"
{
  printf 'date=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'command=%s\n' "$(echo "bench/run_analysis_bench.sh ${ARGS[*]+"${ARGS[*]}"}" | sed 's/ *$//')"
  printf 'run_dir=%s\n' "${RUN_DIR#"$REPO"/}"
  printf 'nproc=%s\n' "$(nproc)"
  printf 'cpu=%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'load_start=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RUN_DIR/meta.env"

BENCH=(python3 "$REPO/bench/analysis_bench.py")
log "phase 0: the same replay into a dbgcoord with --analysis-background off (the ingest baseline)"
DATA_ON=$DATA
DATA=$RUN_DIR/data-off
start_coord --analysis-background off
"${BENCH[@]}" replay --url "$URL" --token-file "$DATA/token" --out "$RUN_DIR/replay_off.json" \
  --events "$EVENTS" --groups "$NGROUPS" --batch "$BATCH" --churn "$CHURN" >"$RUN_DIR/replay_off.out" \
  || die "replay failed: $(tail -5 "$RUN_DIR/replay_off.out")"
stop_coord
rm -rf "$DATA"
DATA=$DATA_ON

log "phase 1: replay of $EVENTS events into $NGROUPS groups, then $NGROUPS cached reads"
start_coord
cpu_mark M0
"${BENCH[@]}" replay --url "$URL" --token-file "$DATA/token" --out "$RUN_DIR/replay.json" \
  --events "$EVENTS" --groups "$NGROUPS" --batch "$BATCH" --churn "$CHURN" >"$RUN_DIR/replay.out" \
  || die "replay failed: $(tail -5 "$RUN_DIR/replay.out")"
cpu_mark M1
read -r -a a <<<"$M0"; read -r -a b <<<"$M1"
printf 'cpu_note=during the replay other processes used %s ms of CPU of %s ms available\n' \
  "$(( b[1] - a[1] ))" "$(( (b[0] - a[0]) / 1000 * $(nproc) ))" >>"$RUN_DIR/meta.env"
"${BENCH[@]}" reads --url "$URL" --token-file "$DATA/token" --out "$RUN_DIR/reads_cached.json" --label cached \
  >"$RUN_DIR/reads_cached.out" || die "reads failed: $(tail -5 "$RUN_DIR/reads_cached.out")"
stop_coord

log "phase 2: restarted with --analysis-cache 1, $NGROUPS uncached reads"
start_coord --analysis-cache 1
sleep 1  # the similarity index is loaded from SQLite at start
"${BENCH[@]}" reads --url "$URL" --token-file "$DATA/token" --out "$RUN_DIR/reads_uncached.json" --label uncached \
  >"$RUN_DIR/reads_uncached.out" || die "reads failed: $(tail -5 "$RUN_DIR/reads_uncached.out")"
stop_coord

SECTION=$("${BENCH[@]}" section "$RUN_DIR" "$RUN_DIR/meta.env")
echo "$SECTION"
if ((WRITE)); then
  python3 "$REPO/bench/bench_common.py" write-section "$REPO/BENCHMARKS.md" analysis "$SECTION"
  log "BENCHMARKS.md updated"
fi
