#!/usr/bin/env bash
# run_api_bench.sh — the coordinator's REST API end to end: snapshots of many processes, HTTP
# throughput and latency, memory after many stored snapshots.
#
# usage: bench/run_api_bench.sh [--runs N] [--eu-loops N] [--fill-snapshots N] [--wrk-seconds N]
#                               [--wait-quiet SECONDS] [--coordinator PATH] [--no-write]
#
#   --runs N             sessions with {"source":"none"} in part 1 (the first on cold workers); default 6
#   --eu-loops N         loops of `eu-stack -p PID` over all targets (gdb loops once); default 3
#   --fill-snapshots N   part 3 stores snapshots until the database holds N; default 10000
#   --wrk-seconds N      length of each wrk run; default 10
#   --wait-quiet S       before measuring, wait up to S seconds for the machine to be idle (other
#                        processes using < 15% of the CPUs over 2 s); default 300; 0 = don't wait
#   --coordinator PATH   measure another build's dbgcoord (with the dbg-worker beside it) instead
#                        of build/bin/dbgcoord: a before/after of a change, on the same targets and peers
#   --no-write           summarize to stdout only; leave BENCHMARKS.md alone
#
# Needs root (ptrace of the targets), eu-stack, gdb, wrk and nginx (scripts/setup.sh --bench
# installs the last two). One run, in this order, against the same 64 target processes
# (`chain 4`: 4 threads each, parked in pause(), started under a unique name) and one dbgcoord
# (fresh data directory, default workers):
#   1. e2e    RUNS sessions {"targets":{"match":"^NAME$"},"options":{"source":"none"}} then one with
#             "source":"all", each timed from POST /api/v1/sessions to its session_done event on
#             the WebSocket /api/v1/events; every target must be done with a stored snapshot.
#             Next to it: `eu-stack -p PID` over the same pids one after the other (EU_LOOPS
#             loops) and `gdb -p PID -batch ... 'thread apply all bt'` the same way (once).
#   2. wrk    `wrk -t2 -c32 -d10s --latency` against nginx (own instance, return 200), dbgcoord's
#             GET /healthz and GET /api/v1/processes.
#   3. fill   sessions over the same targets until the database holds FILL snapshots; then the
#             coordinator's VmRSS / VmHWM, the database size and the snapshots/s.
# Raw data goes to build/bench/api-run-<date>/; bench/api_bench.py aggregates it and (re)writes the
# "REST API benchmark" section of BENCHMARKS.md (between the api-bench markers).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=6
EU_LOOPS=3
FILL=10000
WRK_SECONDS=10
WAIT_QUIET=300
WRITE=1
OTHER_COORD=
NTARGETS=64
NTHREADS=4

die() { echo "run_api_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=${2:?}; shift 2 ;;
    --eu-loops) EU_LOOPS=${2:?}; shift 2 ;;
    --fill-snapshots) FILL=${2:?}; shift 2 ;;
    --wrk-seconds) WRK_SECONDS=${2:?}; shift 2 ;;
    --wait-quiet) WAIT_QUIET=${2:?}; shift 2 ;;
    --coordinator) OTHER_COORD=${2:?}; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $EU_LOOPS =~ ^[1-9][0-9]*$ ]] || die "--eu-loops must be a positive integer"
[[ $FILL =~ ^[0-9]+$ ]] || die "--fill-snapshots must be an integer >= 0"
[[ $WRK_SECONDS =~ ^[1-9][0-9]*$ ]] || die "--wrk-seconds must be a positive integer"
[[ $WAIT_QUIET =~ ^[0-9]+$ ]] || die "--wait-quiet must be an integer >= 0"

# ---------------------------------------------------------------------------------------------
# 0. Preconditions and build.
# ---------------------------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || die "must run as root"
for cmd in cmake python3 eu-stack gdb; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found in PATH (scripts/setup.sh installs it)"
done
for cmd in wrk nginx; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found in PATH (run scripts/setup.sh --bench --no-build)"
done
[[ -f $REPO/build/CMakeCache.txt ]] || die "no configured build in $REPO/build (run cmake -S . -B build first)"
unset DEBUGINFOD_URLS   # no tool may fetch debug info over the network during a measurement

log "building dbgcoord, dbg-worker and chain"
nice cmake --build "$REPO/build" -j2 --target dbgcoord dbg-worker chain >/dev/null \
  || die "cmake --build failed (run: cmake --build build --target dbgcoord dbg-worker chain)"
COORD=${OTHER_COORD:-$REPO/build/bin/dbgcoord}
CHAIN=$REPO/build/tests/targets/chain
for f in "$COORD" "$(dirname "$COORD")/dbg-worker" "$CHAIN"; do [[ -x $f ]] || die "missing $f after build"; done

RUN_DIR=$REPO/build/bench/api-run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN_DIR/raw"
TMP=$(mktemp -d /tmp/apibench.XXXXXX)
printf 'tool\tloop\tpids\tok\twall_us\n' >"$RUN_DIR/loops.tsv"
printf 'phase\twall_ms\tnproc\tothers_ms\tours_ms\tsteal_ms\n' >"$RUN_DIR/cpu.tsv"

# ---------------------------------------------------------------------------------------------
# Everything started here is stopped whatever happens (error, Ctrl-C, normal end): by pid.
# ---------------------------------------------------------------------------------------------
TARGET_PIDS=()
COORD_PID=
NGINX_PID=
cleanup() {
  local p
  [[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null
  [[ -n $COORD_PID ]] && kill "$COORD_PID" 2>/dev/null   # it stops its own workers
  for p in "${TARGET_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n $NGINX_PID ]] && wait "$NGINX_PID" 2>/dev/null
  [[ -n $COORD_PID ]] && wait "$COORD_PID" 2>/dev/null
  for p in "${TARGET_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# CPU accounting and the quiet-machine wait (bench/cpu_accounting.sh).
# ---------------------------------------------------------------------------------------------
source "$REPO/bench/cpu_accounting.sh"

QUIET_NOTE="not checked (--wait-quiet 0)"

# free_port: a TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ---------------------------------------------------------------------------------------------
# 1. Targets: NTARGETS x `chain NTHREADS` under a name no other process has.
# ---------------------------------------------------------------------------------------------
((WAIT_QUIET > 0)) && wait_quiet
NAME=apibench$$
mkdir -p "$TMP/bin"
ln -s "$CHAIN" "$TMP/bin/$NAME"
log "starting $NTARGETS x '$NAME $NTHREADS'"
for ((i = 0; i < NTARGETS; i++)); do
  "$TMP/bin/$NAME" "$NTHREADS" >"$TMP/target.$i.out" 2>&1 &
  TARGET_PIDS+=("$!")
done
for ((i = 0; i < NTARGETS; i++)); do
  for ((k = 0; k < 200; k++)); do grep -q ready "$TMP/target.$i.out" 2>/dev/null && break; sleep 0.02; done
  grep -q ready "$TMP/target.$i.out" || die "target $i (pid ${TARGET_PIDS[$i]}) never printed ready"
done
[[ $(cat "/proc/${TARGET_PIDS[0]}/comm") == "$NAME" ]] || die "target comm is '$(cat "/proc/${TARGET_PIDS[0]}/comm")', not $NAME"

log "starting dbgcoord (data dir $TMP/data, default workers)"
# --budget-cpu-percent 100: this run measures how fast the coordinator works when asked to, and
# back-to-back sessions for minutes are far above the default 5 % CPU budget, which would make
# it refuse sessions (503) by design. The memory budget stays at its default.
"$COORD" --listen 127.0.0.1:0 --data-dir "$TMP/data" --budget-cpu-percent 100 >"$RUN_DIR/coord.out" 2>"$RUN_DIR/coord.err" &
COORD_PID=$!
URL=
for ((k = 0; k < 200; k++)); do
  URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$RUN_DIR/coord.out" 2>/dev/null || true)
  [[ -n $URL ]] && break
  kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord exited: $(cat "$RUN_DIR/coord.err")"
  sleep 0.05
done
[[ -n $URL ]] || die "dbgcoord printed no listening line"
TOKEN_FILE=$TMP/data/token
TOKEN=$(cat "$TOKEN_FILE")
curl -fsS "$URL/healthz" >/dev/null || die "GET $URL/healthz failed"
N=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/processes?limit=1000&match=%5E$NAME%24" \
      | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["processes"]))')
[[ $N == "$NTARGETS" ]] || die "GET /api/v1/processes?match=^$NAME\$ lists $N processes, not $NTARGETS"

START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
{
  printf 'command=%s\n' "bench/run_api_bench.sh${ARGS[*]:+ ${ARGS[*]}}"
  printf 'start=%s\nload_start=%s\n' "$START_DATE" "$LOAD_START"
  printf 'quiet=%s\n' "$QUIET_NOTE"
  printf 'nproc=%s\n' "$NPROC"
  printf 'cpu=%s\n' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'targets=%s\nthreads=%s\ntarget_name=%s\n' "$NTARGETS" "$NTHREADS" "$NAME"
  printf 'default_workers=%s\n' "min(32, 4 x cores) = $(( NPROC * 4 < 32 ? NPROC * 4 : 32 ))"
  printf 'rev=%s\n' "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
  printf 'build_type=%s\n' "$(grep -m1 '^CMAKE_BUILD_TYPE:' "$REPO/build/CMakeCache.txt" | cut -d= -f2)"
  printf 'eu_stack=%s\n' "$(eu-stack --version | head -1)"
  printf 'gdb=%s\n' "$(gdb --version | head -1)"
  printf 'wrk=%s\n' "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  printf 'nginx=%s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
  printf 'python=%s\n' "$(python3 -c 'import platform; print(platform.python_version())')"
  printf 'wrk_cmd=%s\n' "wrk -t2 -c32 -d${WRK_SECONDS}s --latency"
  printf 'wrk_lat_cmd=%s\n' "wrk -t1 -c4 -d${WRK_SECONDS}s --latency"
} >"$RUN_DIR/meta.env"
log "run directory: $RUN_DIR; dbgcoord pid $COORD_PID at $URL (load average at start: $LOAD_START)"

# ---------------------------------------------------------------------------------------------
# 1a. Ours: sessions through the API, timed to their session_done event.
# ---------------------------------------------------------------------------------------------
log "part 1: $RUNS sessions (source none) + 1 (source all) over $NTARGETS processes"
cpu_mark M0
python3 "$REPO/bench/api_bench.py" e2e --url "$URL" --token-file "$TOKEN_FILE" --match "^$NAME\$" \
  --expect "$NTARGETS" --runs "$RUNS" --out "$RUN_DIR/e2e.json"
cpu_mark M1; cpu_phase "1 e2e (ours)" "$M0" "$M1"

# ---------------------------------------------------------------------------------------------
# 1b. The same pids with eu-stack and gdb, one process after the other, total wall time.
# ---------------------------------------------------------------------------------------------
# tool_loop TOOL LOOP: every target once with TOOL; appends one line to loops.tsv.
tool_loop() {
  local tool=$1 loop=$2 p ok=0 t0 t1 out=$RUN_DIR/raw/$1.$2.out
  : >"$out"
  t0=${EPOCHREALTIME/[.,]/}
  for p in "${TARGET_PIDS[@]}"; do
    if [[ $tool == eu_stack ]]; then
      eu-stack -p "$p" >>"$out" 2>&1 && ok=$((ok + 1))
    else
      gdb -p "$p" -batch -nx -iex 'set debuginfod enabled off' -ex 'thread apply all bt' </dev/null >>"$out" 2>&1 \
        && ok=$((ok + 1))
    fi
  done
  t1=${EPOCHREALTIME/[.,]/}
  printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$loop" "${#TARGET_PIDS[@]}" "$ok" $((t1 - t0)) >>"$RUN_DIR/loops.tsv"
  log "  $tool loop $((loop + 1)): $(( (t1 - t0) / 1000 )) ms for ${#TARGET_PIDS[@]} pids, $ok exited 0"
}
log "part 1: eu-stack loop x $EU_LOOPS, gdb loop x 1"
cpu_mark M0
for ((l = 0; l < EU_LOOPS; l++)); do tool_loop eu_stack "$l"; sleep 0.5; done
cpu_mark M1; cpu_phase "1 eu-stack loops" "$M0" "$M1"
cpu_mark M0
tool_loop gdb 0
cpu_mark M1; cpu_phase "1 gdb loop" "$M0" "$M1"
for p in "${TARGET_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || die "target pid $p died during part 1"; done
sleep 1

# ---------------------------------------------------------------------------------------------
# 2. HTTP: nginx (own instance), then dbgcoord /healthz and /api/v1/processes.
# ---------------------------------------------------------------------------------------------
WRK=(wrk -t2 -c32 "-d${WRK_SECONDS}s" --latency)
# Latency under a light load: at 32 connections on 2 shared cores the p99 is mostly queueing
# (nginx's too), so p99 is also measured with 4 connections, for both servers.
WRK_LAT=(wrk -t1 -c4 "-d${WRK_SECONDS}s" --latency)
NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx/tmp"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/tmp/body;
  proxy_temp_path $TMP/nginx/tmp/proxy;
  fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { return 200 "ok\n"; }
  }
}
EOF
log "part 2: nginx on 127.0.0.1:$NGINX_PORT"
nginx -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
NGINX_PID=$!
for ((k = 0; k < 100; k++)); do curl -fsS "http://127.0.0.1:$NGINX_PORT/" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fsS "http://127.0.0.1:$NGINX_PORT/" >/dev/null || die "nginx did not answer: $(cat "$TMP/nginx/error.log")"
cpu_mark M0
"${WRK[@]}" "http://127.0.0.1:$NGINX_PORT/" >"$RUN_DIR/wrk_nginx.txt" 2>&1 || die "wrk against nginx failed"
cpu_mark M1; cpu_phase "2 wrk nginx" "$M0" "$M1"
"${WRK_LAT[@]}" "http://127.0.0.1:$NGINX_PORT/" >"$RUN_DIR/wrk_nginx_lat.txt" 2>&1 || die "wrk -c4 against nginx failed"
kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=
log "  nginx: $(grep Requests/sec "$RUN_DIR/wrk_nginx.txt"), p99 $(awk '$1 == "99%" {print $2}' "$RUN_DIR/wrk_nginx.txt")"
sleep 1
cpu_mark M0
"${WRK[@]}" "$URL/healthz" >"$RUN_DIR/wrk_healthz.txt" 2>&1 || die "wrk against /healthz failed"
cpu_mark M1; cpu_phase "2 wrk /healthz" "$M0" "$M1"
"${WRK_LAT[@]}" "$URL/healthz" >"$RUN_DIR/wrk_healthz_lat.txt" 2>&1 || die "wrk -c4 against /healthz failed"
log "  /healthz at 4 connections: p99 $(awk '$1 == "99%" {print $2}' "$RUN_DIR/wrk_healthz_lat.txt") (nginx $(awk '$1 == "99%" {print $2}' "$RUN_DIR/wrk_nginx_lat.txt"))"
log "  /healthz: $(grep Requests/sec "$RUN_DIR/wrk_healthz.txt"), p99 $(awk '$1 == "99%" {print $2}' "$RUN_DIR/wrk_healthz.txt")"
sleep 1
cpu_mark M0
"${WRK[@]}" -H "Authorization: Bearer $TOKEN" "$URL/api/v1/processes" >"$RUN_DIR/wrk_processes.txt" 2>&1 \
  || die "wrk against /api/v1/processes failed"
cpu_mark M1; cpu_phase "2 wrk /api/v1/processes" "$M0" "$M1"
log "  /api/v1/processes: $(grep Requests/sec "$RUN_DIR/wrk_processes.txt"), p99 $(awk '$1 == "99%" {print $2}' "$RUN_DIR/wrk_processes.txt")"
kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord died during part 2: $(tail -5 "$RUN_DIR/coord.err")"
sleep 1

# ---------------------------------------------------------------------------------------------
# 3. Memory after FILL stored snapshots.
# ---------------------------------------------------------------------------------------------
log "part 3: sessions until the database holds $FILL snapshots"
cpu_mark M0
python3 "$REPO/bench/api_bench.py" fill --url "$URL" --token-file "$TOKEN_FILE" --match "^$NAME\$" \
  --expect "$NTARGETS" --coord-pid "$COORD_PID" --db "$TMP/data/dbgcoord.db" --snapshots "$FILL" \
  --out "$RUN_DIR/fill.json"
cpu_mark M1; cpu_phase "3 fill" "$M0" "$M1"

{
  printf 'end=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'load_end=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$RUN_DIR/meta.env"

# ---------------------------------------------------------------------------------------------
# 4. Aggregate, judge the goals, write BENCHMARKS.md.
# ---------------------------------------------------------------------------------------------
SUMMARY_ARGS=(summarize "$RUN_DIR")
((WRITE)) && SUMMARY_ARGS+=(--benchmarks-md "$REPO/BENCHMARKS.md")
python3 "$REPO/bench/api_bench.py" "${SUMMARY_ARGS[@]}"
log "raw data: $RUN_DIR"
