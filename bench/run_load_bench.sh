#!/usr/bin/env bash
# run_load_bench.sh — "load held" (issue #9): dbgcoord under read, write and event-stream load at
# the same time, for DURATION seconds on loopback.
#
# usage: bench/run_load_bench.sh [--duration S] [--ws-clients N] [--slow N] [--no-write]
#
#   --duration S     length of the loaded phase; default 60
#   --ws-clients N   WebSocket clients on /api/v1/events; default 500
#   --slow N         of which never read (the server must drop them); default 50
#   --no-write       summarize to stdout only; leave BENCHMARKS.md alone
#
# Needs root (ptrace of the targets), wrk (scripts/setup.sh --bench) and python3. One dbgcoord
# (fresh data directory, --max-connections 1024 so that 500 WebSocket clients fit next to the
# HTTP clients), 8 targets `chain 4` under a unique name. At the same time, for DURATION s:
#   - 4 x `wrk -t1 -c8 --latency`, one per read route: GET /api/v1/processes, /api/v1/sessions,
#     /api/v1/errors, /metrics (bench/load_get.lua adds the Authorization header);
#   - bench/load_mix.py: 2 clients creating snapshot sessions of the 8 targets back to back,
#     4 clients POSTing batches of 20 error events, and the WebSocket clients;
#   - dbgcoord's VmRSS every second (and before, and 5 s after).
# Fails (exit 1) if dbgcoord dies, or does not answer /healthz afterwards. Raw data goes to
# build/bench/load-run-<date>/; bench/load_bench.py writes the "Load benchmark" section of
# BENCHMARKS.md (between the load-bench markers).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=60
WS_CLIENTS=500
SLOW=50
WRITE=1
NTARGETS=8

die() { echo "run_load_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) DURATION=${2:?}; shift 2 ;;
    --ws-clients) WS_CLIENTS=${2:?}; shift 2 ;;
    --slow) SLOW=${2:?}; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer"
[[ $WS_CLIENTS =~ ^[0-9]+$ ]] || die "--ws-clients must be an integer >= 0"
[[ $SLOW =~ ^[0-9]+$ ]] && ((SLOW <= WS_CLIENTS)) || die "--slow must be an integer from 0 to --ws-clients"

[[ $EUID -eq 0 ]] || die "must run as root"
for cmd in cmake python3 curl wrk; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found in PATH (scripts/setup.sh --bench installs wrk)"
done
[[ -f $REPO/build/CMakeCache.txt ]] || die "no configured build in $REPO/build (run cmake -S . -B build first)"

log "building dbgcoord, dbg-worker and chain"
nice cmake --build "$REPO/build" -j2 --target dbgcoord dbg-worker chain >/dev/null \
  || die "cmake --build failed (run: cmake --build build --target dbgcoord dbg-worker chain)"
COORD=$REPO/build/bin/dbgcoord
CHAIN=$REPO/build/tests/targets/chain

RUN_DIR=$REPO/build/bench/load-run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN_DIR"
TMP=$(mktemp -d /tmp/loadbench.XXXXXX)

# Everything started here is stopped whatever happens, by pid (never by name: the machine is
# shared).
TARGET_PIDS=()
LOAD_PIDS=()
COORD_PID=
cleanup() {
  local p
  for p in "${LOAD_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n $COORD_PID ]] && kill "$COORD_PID" 2>/dev/null   # SIGTERM: it stops its own workers
  for p in "${TARGET_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${LOAD_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n $COORD_PID ]] && wait "$COORD_PID" 2>/dev/null
  for p in "${TARGET_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

NAME=loadbench$$
mkdir -p "$TMP/bin"
ln -s "$CHAIN" "$TMP/bin/$NAME"
log "starting $NTARGETS x '$NAME 4'"
for ((i = 0; i < NTARGETS; i++)); do
  "$TMP/bin/$NAME" 4 >"$TMP/target.$i.out" 2>&1 &
  TARGET_PIDS+=("$!")
done
for ((i = 0; i < NTARGETS; i++)); do
  for ((k = 0; k < 200; k++)); do grep -q ready "$TMP/target.$i.out" 2>/dev/null && break; sleep 0.02; done
  grep -q ready "$TMP/target.$i.out" || die "target $i never printed ready"
done
TARGETS_CSV=$(IFS=,; echo "${TARGET_PIDS[*]}")

log "starting dbgcoord"
"$COORD" --listen 127.0.0.1:0 --data-dir "$TMP/data" --max-connections 1024 \
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
PORT=${URL##*:}
TOKEN=$(cat "$TMP/data/token")
auth=(-H "Authorization: Bearer $TOKEN")
curl -fsS "${auth[@]}" "$URL/metrics" >/dev/null || die "GET /metrics failed"

{
  printf 'command=%s\n' "bench/run_load_bench.sh${ARGS[*]:+ ${ARGS[*]}}"
  printf 'start=%s\nload_start=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'nproc=%s\n' "$(nproc)"
  printf 'cpu=%s\n' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'rev=%s\n' "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
  printf 'build_type=%s\n' "$(grep -m1 '^CMAKE_BUILD_TYPE:' "$REPO/build/CMakeCache.txt" | cut -d= -f2)"
  printf 'wrk=%s\n' "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  printf 'duration=%s\nws_clients=%s\nslow=%s\ntargets=%s\n' "$DURATION" "$WS_CLIENTS" "$SLOW" "$NTARGETS"
  printf 'io_threads_default=%s\n' "min(4, cores / 2)"
} >"$RUN_DIR/meta.env"

RSS_BEFORE=$(rss_kib "$COORD_PID")
log "dbgcoord pid $COORD_PID at $URL, VmRSS $RSS_BEFORE KiB; loading for ${DURATION}s"

python3 "$REPO/bench/load_mix.py" --port "$PORT" --token "$TOKEN" --pid "$COORD_PID" --targets "$TARGETS_CSV" \
  --duration "$DURATION" --ws-clients "$WS_CLIENTS" --slow "$SLOW" --out "$RUN_DIR" \
  >"$RUN_DIR/mix.out" 2>&1 &
LOAD_PIDS+=("$!")
MIX_PID=$!
# The WebSocket clients connect first (a few seconds for 500); the read load starts with them.
sleep 2
i=0
for route in /api/v1/processes /api/v1/sessions /api/v1/errors /metrics; do
  DBG_TOKEN=$TOKEN DBG_PATH=$route wrk -t1 -c8 -d"${DURATION}s" --latency -s "$REPO/bench/load_get.lua" "$URL" \
    >"$RUN_DIR/wrk.$i.txt" 2>&1 &
  LOAD_PIDS+=("$!")
  echo "$route" >"$RUN_DIR/wrk.$i.route"
  i=$((i + 1))
done
for p in "${LOAD_PIDS[@]}"; do
  wait "$p" || { [[ $p == "$MIX_PID" ]] && die "load_mix.py failed: $(tail -5 "$RUN_DIR/mix.out")"; }
done
LOAD_PIDS=()

kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord died under load (see $RUN_DIR/coord.err)"
sleep 5
RSS_AFTER=$(rss_kib "$COORD_PID")
curl -fsS --max-time 10 "$URL/healthz" >/dev/null || die "dbgcoord does not answer /healthz after the load"
curl -fsS "${auth[@]}" "$URL/metrics" >"$RUN_DIR/metrics.after.txt"
grep -m1 '^VmHWM:' "/proc/$COORD_PID/status" | awk '{print $2}' >"$RUN_DIR/hwm.kib"
printf 'rss_before_kib=%s\nrss_after_kib=%s\n' "$RSS_BEFORE" "$RSS_AFTER" >>"$RUN_DIR/meta.env"
printf 'end=%s\nload_end=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN_DIR/meta.env"

# A clean stop is part of holding the load: exit 0 within the bound.
kill -TERM "$COORD_PID"
for ((k = 0; k < 200; k++)); do kill -0 "$COORD_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$COORD_PID" 2>/dev/null && die "dbgcoord still running 20 s after SIGTERM"
STOP_RC=0
wait "$COORD_PID" || STOP_RC=$?
COORD_PID=
printf 'stop_exit=%s\n' "$STOP_RC" >>"$RUN_DIR/meta.env"

WRITE_FLAG=()
((WRITE)) && WRITE_FLAG=(--write "$REPO/BENCHMARKS.md")
python3 "$REPO/bench/load_bench.py" "$RUN_DIR" "${WRITE_FLAG[@]}"
log "raw data in $RUN_DIR"
