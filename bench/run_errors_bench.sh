#!/usr/bin/env bash
# run_errors_bench.sh — error-event ingest through the REST API, and the coordinator's memory
# after it.
#
# usage: bench/run_errors_bench.sh [--events N] [--batch N] [--groups N] [--connections N]
#                                  [--wait-quiet SECONDS] [--compare DBGCOORD [--compare-runs N]]
#                                  [--no-write]
#
#   --events N        events POSTed in all; default 1000000
#   --batch N         events per POST /api/v1/errors/events (the API takes at most 1000); default 1000
#   --groups N        distinct error groups the events fall into; default 1000
#   --connections N   concurrent keep-alive connections; default 4
#   --wait-quiet S    before measuring, wait up to S seconds for the machine to be idle (other
#                     processes using < 15% of the CPUs over 2 s); default 0 = don't wait
#   --compare BIN     after the measured run, also alternate runs of another build's dbgcoord
#                     (e.g. one built from the commit before a change; its dbg-worker next to
#                     it) with this build's, the other first, and add a table of medians and
#                     ratios to the section: the same machine and minute for both, which the
#                     rates of separate runs on this shared VM never are
#   --compare-runs N  runs of each build for --compare; default 2
#   --no-write        print the section; leave BENCHMARKS.md alone
#
# One dbgcoord on a fresh data directory; bench/errors_bench.py sends the events (bodies built
# before the clock starts), checks that the API and the SQLite file hold exactly what was sent,
# and records the rate, the coordinator's CPU time and its VmRSS/VmHWM. Raw data goes to
# build/bench/errors-run-<date>/; the "Error ingest benchmark" section of BENCHMARKS.md (between
# the errors-bench markers) is rewritten.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVENTS=1000000
BATCH=1000
NGROUPS=1000
CONNECTIONS=4
WAIT_QUIET=0
WRITE=1
COMPARE=
COMPARE_RUNS=2

die() { echo "run_errors_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --events) EVENTS=${2:?}; shift 2 ;;
    --batch) BATCH=${2:?}; shift 2 ;;
    --groups) NGROUPS=${2:?}; shift 2 ;;
    --connections) CONNECTIONS=${2:?}; shift 2 ;;
    --wait-quiet) WAIT_QUIET=${2:?}; shift 2 ;;
    --compare) COMPARE=${2:?}; shift 2 ;;
    --compare-runs) COMPARE_RUNS=${2:?}; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in EVENTS BATCH NGROUPS CONNECTIONS COMPARE_RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WAIT_QUIET =~ ^[0-9]+$ ]] || die "--wait-quiet must be an integer >= 0"
((BATCH <= 1000)) || die "--batch must be at most 1000 (the API's limit)"
((EVENTS % BATCH == 0)) || die "--events must be a multiple of --batch"
if [[ -n $COMPARE ]]; then
  [[ -x $COMPARE ]] || die "--compare: $COMPARE is not an executable dbgcoord"
  [[ -x $(dirname "$COMPARE")/dbg-worker ]] || die "--compare: no dbg-worker next to $COMPARE (dbgcoord needs it to start)"
fi

command -v python3 >/dev/null || die "python3 not found"
[[ -f $REPO/build/CMakeCache.txt ]] || die "no configured build in $REPO/build (run cmake -S . -B build first)"
log "building dbgcoord and dbg-worker"
nice cmake --build "$REPO/build" -j2 --target dbgcoord dbg-worker >/dev/null || die "cmake --build failed"

RUN_DIR=$REPO/build/bench/errors-run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
DATA=$RUN_DIR/data
COORD_PID=
URL=
stop_coord() {
  if [[ -n $COORD_PID ]] && kill -0 "$COORD_PID" 2>/dev/null; then
    kill -TERM "$COORD_PID" 2>/dev/null || true
    wait "$COORD_PID" 2>/dev/null || true
  fi
  COORD_PID=
}
cleanup() {
  stop_coord
  rm -rf "$DATA"   # 1M events are a few hundred MB; the numbers are in result.json
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_coord BIN NAME: BIN on a fresh data dir ($DATA); sets COORD_PID and URL.
start_coord() {
  rm -rf "$DATA"
  "$1" --listen 127.0.0.1:0 --data-dir "$DATA" >"$RUN_DIR/$2.out" 2>"$RUN_DIR/$2.err" &
  COORD_PID=$!
  URL=
  for ((k = 0; k < 200; k++)); do
    URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$RUN_DIR/$2.out" 2>/dev/null || true)
    [[ -n $URL ]] && break
    kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord ($1) exited: $(cat "$RUN_DIR/$2.err")"
    sleep 0.05
  done
  [[ -n $URL ]] || die "dbgcoord ($1) printed no listening line"
}

# send_events OUT_JSON: the workload against the running coordinator.
send_events() {
  python3 "$REPO/bench/errors_bench.py" run --url "$URL" --token-file "$DATA/token" --pid "$COORD_PID" \
    --db "$DATA/dbgcoord.db" --out "$1" --events "$EVENTS" --batch "$BATCH" \
    --groups "$NGROUPS" --connections "$CONNECTIONS" >"${1%.json}.out" \
    || die "errors_bench.py failed: $(tail -5 "${1%.json}.out")"
}

source "$REPO/bench/cpu_accounting.sh"
QUIET_NOTE="not checked (--wait-quiet 0)"
((WAIT_QUIET > 0)) && wait_quiet

log "starting dbgcoord (data dir $DATA)"
start_coord "$REPO/build/bin/dbgcoord" coord

{
  printf 'date=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'command=%s\n' "$(echo "bench/run_errors_bench.sh ${ARGS[*]+"${ARGS[*]}"}" | sed 's/ *$//')"
  printf 'run_dir=%s\n' "${RUN_DIR#"$REPO"/}"
  printf 'nproc=%s\n' "$(nproc)"
  printf 'cpu=%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'load_start=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'quiet=%s\n' "$QUIET_NOTE"
} >"$RUN_DIR/meta.env"

log "sending $EVENTS events in batches of $BATCH into $NGROUPS groups over $CONNECTIONS connections"
cpu_mark M0
send_events "$RUN_DIR/result.json"
cpu_mark M1
stop_coord
cpu_phase ingest "$M0" "$M1"
read -r -a a <<<"$M0"; read -r -a b <<<"$M1"
printf 'cpu_note=in the measured %s s, other processes used %s ms of CPU and ours (client + server) %s ms, of %s ms available\n' \
  "$(( (b[0] - a[0]) / 1000000 ))" "$(( b[1] - a[1] ))" "$(( b[2] - a[2] ))" \
  "$(( (b[0] - a[0]) / 1000 * $(nproc) ))" >>"$RUN_DIR/meta.env"

SECTION=$(python3 "$REPO/bench/errors_bench.py" section "$RUN_DIR/result.json" "$RUN_DIR/meta.env")
if [[ -n $COMPARE ]]; then
  ours=() theirs=()
  for ((i = 1; i <= COMPARE_RUNS; i++)); do
    log "compare run $i of $COMPARE_RUNS: $COMPARE, then this build"
    start_coord "$COMPARE" "theirs-$i"; send_events "$RUN_DIR/theirs-$i.json"; stop_coord
    theirs+=("$RUN_DIR/theirs-$i.json")
    start_coord "$REPO/build/bin/dbgcoord" "ours-$i"; send_events "$RUN_DIR/ours-$i.json"; stop_coord
    ours+=("$RUN_DIR/ours-$i.json")
  done
  SECTION+=$'\n\n'$(python3 "$REPO/bench/errors_bench.py" compare --label "$COMPARE" --ours "${ours[@]}" --theirs "${theirs[@]}")
fi
echo "$SECTION"
if ((WRITE)); then
  python3 "$REPO/bench/bench_common.py" write-section "$REPO/BENCHMARKS.md" errors "$SECTION"
  log "BENCHMARKS.md updated"
fi
