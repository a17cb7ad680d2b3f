#!/usr/bin/env bash
# run_archive_bench.sh — archiving of old error events: compression ratio on a realistic event
# mix, archiving throughput, and the coordinator's memory while it archives.
#
# usage: bench/run_archive_bench.sh [--events N] [--groups N] [--hours N] [--wait-quiet SECONDS] [--no-write]
#
#   --events N        old error events to archive; default 100000
#   --groups N        error groups they fall into; default 300
#   --hours N         hours of history they span (1 h windows); default 12
#   --wait-quiet S    before measuring, wait up to S seconds for the machine to be idle (other
#                     processes using < 15% of the CPUs over 2 s); default 0 = don't wait
#   --no-write        print the section; leave BENCHMARKS.md alone
#
# One dbgcoord on a fresh data directory (scheduled archiving off: --archive-interval 86400);
# bench/archive_bench.py POSTs the events, runs POST /api/v1/archives/run once, checks that every
# event was folded and nothing is left, and records ratio, events/s and VmRSS. Raw data goes to
# build/bench/archive-run-<date>/; the "Archive benchmark" section of BENCHMARKS.md (between the
# archive-bench markers) is rewritten.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVENTS=100000
NGROUPS=300
HOURS=12
WAIT_QUIET=0
WRITE=1

die() { echo "run_archive_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --events) EVENTS=${2:?}; shift 2 ;;
    --groups) NGROUPS=${2:?}; shift 2 ;;
    --hours) HOURS=${2:?}; shift 2 ;;
    --wait-quiet) WAIT_QUIET=${2:?}; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in EVENTS NGROUPS HOURS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WAIT_QUIET =~ ^[0-9]+$ ]] || die "--wait-quiet must be an integer >= 0"

command -v python3 >/dev/null || die "python3 not found"
[[ -f $REPO/build/CMakeCache.txt ]] || die "no configured build in $REPO/build (run cmake -S . -B build first)"
log "building dbgcoord and dbg-worker"
nice cmake --build "$REPO/build" -j2 --target dbgcoord dbg-worker >/dev/null || die "cmake --build failed"

RUN_DIR=$REPO/build/bench/archive-run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
DATA=$RUN_DIR/data
COORD_PID=
cleanup() {
  if [[ -n $COORD_PID ]] && kill -0 "$COORD_PID" 2>/dev/null; then
    kill -TERM "$COORD_PID" 2>/dev/null || true
    wait "$COORD_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"   # hundreds of MB of events; the numbers are in result.json
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$REPO/bench/cpu_accounting.sh"
QUIET_NOTE="not checked (--wait-quiet 0)"
((WAIT_QUIET > 0)) && wait_quiet

log "starting dbgcoord (data dir $DATA)"
"$REPO/build/bin/dbgcoord" --listen 127.0.0.1:0 --data-dir "$DATA" --archive-interval 86400 \
  >"$RUN_DIR/coord.out" 2>"$RUN_DIR/coord.err" &
COORD_PID=$!
URL=
for ((k = 0; k < 200; k++)); do
  URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$RUN_DIR/coord.out" 2>/dev/null || true)
  [[ -n $URL ]] && break
  kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord exited: $(cat "$RUN_DIR/coord.err")"
  sleep 0.05
done
[[ -n $URL ]] || die "dbgcoord printed no listening line"

{
  printf 'date=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'command=%s\n' "$(echo "bench/run_archive_bench.sh ${ARGS[*]+"${ARGS[*]}"}" | sed 's/ *$//')"
  printf 'run_dir=%s\n' "${RUN_DIR#"$REPO"/}"
  printf 'nproc=%s\n' "$(nproc)"
  printf 'cpu=%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'load_start=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'quiet=%s\n' "$QUIET_NOTE"
} >"$RUN_DIR/meta.env"

log "posting $EVENTS old events in $NGROUPS groups, then archiving them"
cpu_mark M0
python3 "$REPO/bench/archive_bench.py" run --url "$URL" --token-file "$DATA/token" --pid "$COORD_PID" \
  --db "$DATA/dbgcoord.db" --out "$RUN_DIR/result.json" --events "$EVENTS" --groups "$NGROUPS" --hours "$HOURS" \
  >"$RUN_DIR/result.out" || die "archive_bench.py failed: $(tail -5 "$RUN_DIR/result.out")"
cpu_mark M1
cpu_phase post_and_archive "$M0" "$M1"
read -r -a a <<<"$M0"; read -r -a b <<<"$M1"
printf 'cpu_note=while posting and archiving (%s s), other processes used %s ms of CPU and ours (client + server) %s ms, of %s ms available\n' \
  "$(( (b[0] - a[0]) / 1000000 ))" "$(( b[1] - a[1] ))" "$(( b[2] - a[2] ))" \
  "$(( (b[0] - a[0]) / 1000 * $(nproc) ))" >>"$RUN_DIR/meta.env"

SECTION=$(python3 "$REPO/bench/archive_bench.py" section "$RUN_DIR/result.json" "$RUN_DIR/meta.env")
echo "$SECTION"
if ((WRITE)); then
  python3 "$REPO/bench/bench_common.py" write-section "$REPO/BENCHMARKS.md" archive "$SECTION"
  log "BENCHMARKS.md updated"
fi
