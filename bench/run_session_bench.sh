#!/usr/bin/env bash
# run_session_bench.sh — a 32-process snapshot session through the API against an eu-stack loop,
# on an idle host and on a saturated host, side by side in the same run (issue #19, item 4).
#
# usage: bench/run_session_bench.sh [--sessions N] [--eu-loops N] [--hosts idle,saturated]
#                                   [--wait-quiet SECONDS] [--no-write]
#
#   --sessions N      sessions {"source":"none"} per host phase (the first on cold workers); default 5
#   --eu-loops N      loops of `eu-stack -p PID` over the 32 targets per host phase; default 3
#   --hosts LIST      the phases to run, in this order: idle, saturated or idle,saturated (default)
#   --wait-quiet S    before the first phase, wait up to S seconds for the machine to be idle (other
#                     processes using < 15% of the CPUs over 2 s); default 120; 0 = don't wait
#   --no-write        summarize to stdout only; leave BENCHMARKS.md alone
#
# env: BUILD_DIR         the build holding bin/dbgcoord and bin/dbg-worker (default REPO/build);
#                        this script does not build them: `cmake --build build --target dbgcoord dbg-worker`
#      SHARED_BENCH_DIR  where hiccup.c lives (default ../shared/bench relative to the repo root)
#
# Needs root (ptrace of the targets, /proc of every process), eu-stack, gcc, python3, curl.
# Targets: 32 processes `hiccup 4 SECONDS 20` (4 threads each, 20 frames deep, every thread sleeping
# 100 us in a loop: 128 threads waking ~10,000 times a second each), started once for the whole run
# from a symlink with a unique name, so that {"targets":{"match":"^NAME$"}} selects exactly them.
# Each host phase:
#   idle       nothing else of ours runs;
#   saturated  bench/host_load --spin-per-cpu 2 --wakers 8 runs for the phase (2 spinning threads per
#              CPU, 8 wake-up-heavy threads), stopped at the phase's end (and by the exit trap);
# starts its own dbgcoord (fresh data directory, so the phase's first session runs on cold workers),
# then runs SESSIONS sessions and EU_LOOPS eu-stack loops interleaved (session, loop, session,
# loop, ..., the remaining sessions or loops at the end). A session is timed by
# bench/session_bench.py (which uses bench/api_bench.py's client) from POST /api/v1/sessions to its
# session_done event; every target must be done with a snapshot, and every snapshot is read back
# for its threads' pause_us and capture_sched. An eu-stack loop is `eu-stack -p PID` over the same
# 32 pids one after the other, each exit code checked.
# Raw data goes to build/bench/session-run-<date>/ (of this repo); bench/session_bench.py
# aggregates it and (re)writes the "Busy-host session benchmark" section of BENCHMARKS.md.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
SHARED_BENCH_DIR=${SHARED_BENCH_DIR:-$REPO/../shared/bench}
SESSIONS=5
EU_LOOPS=3
HOSTS=idle,saturated
WAIT_QUIET=120
WRITE=1
NTARGETS=32
NTHREADS=4
DEPTH=20

die() { echo "run_session_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --sessions|--eu-loops|--hosts|--wait-quiet)
      [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (try --help)"
      case $1 in
        --sessions) SESSIONS=$2 ;;
        --eu-loops) EU_LOOPS=$2 ;;
        --hosts) HOSTS=$2 ;;
        --wait-quiet) WAIT_QUIET=$2 ;;
      esac
      shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ $SESSIONS =~ ^[1-9][0-9]*$ ]] || die "--sessions must be a positive integer, got '$SESSIONS'"
[[ $EU_LOOPS =~ ^[1-9][0-9]*$ ]] || die "--eu-loops must be a positive integer, got '$EU_LOOPS'"
[[ $WAIT_QUIET =~ ^[0-9]+$ ]] || die "--wait-quiet must be an integer >= 0, got '$WAIT_QUIET'"
IFS=, read -r -a HOST_LIST <<<"$HOSTS"
((${#HOST_LIST[@]} >= 1 && ${#HOST_LIST[@]} <= 2)) || die "--hosts wants idle, saturated or idle,saturated, got '$HOSTS'"
for h in "${HOST_LIST[@]}"; do
  [[ $h == idle || $h == saturated ]] || die "--hosts: unknown host '$h' (idle, saturated)"
done
[[ ${#HOST_LIST[@]} -eq 1 || ${HOST_LIST[0]} != "${HOST_LIST[1]}" ]] || die "--hosts names '${HOST_LIST[0]}' twice"

# ---------------------------------------------------------------------------------------------
# 0. Preconditions and the small C tools (gcc only: the C++ build is BUILD_DIR's, not ours).
# ---------------------------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || die "must run as root (ptrace of the targets)"
command -v eu-stack >/dev/null || die "'eu-stack' not found in PATH (Debian: apt-get install elfutils); the benchmark compares against it"
for cmd in gcc python3 curl git; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found in PATH"
done
[[ -f $SHARED_BENCH_DIR/hiccup.c ]] || die "missing $SHARED_BENCH_DIR/hiccup.c (set SHARED_BENCH_DIR to the directory holding hiccup.c)"
COORD=$BUILD_DIR/bin/dbgcoord
for f in "$COORD" "$BUILD_DIR/bin/dbg-worker"; do
  [[ -x $f ]] || die "missing $f (build it: cmake --build ${BUILD_DIR} --target dbgcoord dbg-worker, or set BUILD_DIR)"
done
unset DEBUGINFOD_URLS   # no tool may fetch debug info over the network during a measurement

# The tools and the raw data go to this repo's build/bench; when that cannot be created (a
# read-only checkout), to BUILD_DIR/bench.
BENCH_BIN=$REPO/build/bench
mkdir -p "$BENCH_BIN" 2>/dev/null && [[ -w $BENCH_BIN ]] || BENCH_BIN=$BUILD_DIR/bench
mkdir -p "$BENCH_BIN" || die "cannot create $BENCH_BIN"
log "compiling hiccup and host_load into $BENCH_BIN"
nice gcc -O2 -g -pthread -o "$BENCH_BIN/hiccup" "$SHARED_BENCH_DIR/hiccup.c" || die "gcc hiccup.c failed"
nice gcc -O2 -pthread -o "$BENCH_BIN/host_load" "$REPO/bench/host_load.c" || die "gcc host_load.c failed"
HICCUP=$BENCH_BIN/hiccup
HOST_LOAD=$BENCH_BIN/host_load

# 128 threads waking 10,000 times a second each keep both CPUs' run queues full, and this script's
# own steps (cpumark.py reading /proc, starting the Python client) would then take tens of seconds
# each, stretching the run and smearing the CPU accounting. So the drivers run 10 nice levels
# above: this script (which forks each eu-stack) and the session client (which posts each
# session and reads its end); the tools and the load they drive (dbgcoord and its workers,
# eu-stack, the targets, host_load) are started back at the caller's nice level with AT_NORMAL.
NICE0=$(nice)
HARNESS_NICE=$(( NICE0 - 10 < -20 ? -20 : NICE0 - 10 ))
renice --priority "$HARNESS_NICE" -p $$ >/dev/null || die "renice --priority $HARNESS_NICE -p $$ failed"
AT_NORMAL=(nice -n $(( NICE0 - HARNESS_NICE )))

RUN_DIR=$BENCH_BIN/session-run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN_DIR/raw" "$RUN_DIR/sessions"
TMP=$(mktemp -d /tmp/sessbench.XXXXXX)
printf 'host\tloop\tpids\tok\twall_us\tfailed\n' >"$RUN_DIR/loops.tsv"
printf 'phase\twall_ms\tnproc\tothers_ms\tours_ms\tsteal_ms\n' >"$RUN_DIR/cpu.tsv"
printf 'host\twall_ms\tcpu_ms\tspinners\twakers\twakeups\n' >"$RUN_DIR/host_load.tsv"
printf 'phase\ttargets_ms\thost_load_ms\n' >"$RUN_DIR/loads.tsv"

# ---------------------------------------------------------------------------------------------
# Everything started here is stopped whatever happens (error, Ctrl-C, normal end): by pid.
# ---------------------------------------------------------------------------------------------
TARGET_PIDS=()
COORD_PID=
LOAD_PID=
WATCHDOG_PID=
stop_pid() {  # stop_pid PID: SIGTERM it and reap it
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local p
  [[ -n $WATCHDOG_PID ]] && stop_pid "$WATCHDOG_PID"
  [[ -n $LOAD_PID ]] && stop_pid "$LOAD_PID"
  [[ -n $COORD_PID ]] && stop_pid "$COORD_PID"   # it stops its own workers
  for p in "${TARGET_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${TARGET_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$REPO/bench/cpu_accounting.sh"
QUIET_NOTE="not checked (--wait-quiet 0)"

CLK_TCK=$(getconf CLK_TCK)
# cpu_ms PID: utime + stime of PID (all its threads) so far, in ms (0 when it is gone).
cpu_ms() {
  local s f
  read -r s <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
  read -r -a f <<<"${s##*\) }"
  echo $(( (f[11] + f[12]) * 1000 / CLK_TCK ))
}
# load_mark VAR: VAR="targets_ms host_load_ms", the CPU the 32 targets and host_load used so far,
# so that the summary can tell them apart from the tools inside "ours".
load_mark() {
  local -n _lm=$1
  local p t=0 s f
  for p in "${TARGET_PIDS[@]}"; do
    read -r s <"/proc/$p/stat" 2>/dev/null || continue
    read -r -a f <<<"${s##*\) }"
    t=$(( t + f[11] + f[12] ))
  done
  _lm="$(( t * 1000 / CLK_TCK )) $( [[ -n $LOAD_PID ]] && cpu_ms "$LOAD_PID" || echo 0)"
}
# step_begin / step_end NAME: cpu.tsv (cpu_accounting.sh) plus loads.tsv for one step.
step_begin() { cpu_mark S0; load_mark X0; }
step_end() {
  local a b
  cpu_mark S1; load_mark X1
  cpu_phase "$1" "$S0" "$S1"
  read -r -a a <<<"$X0"; read -r -a b <<<"$X1"
  printf '%s\t%s\t%s\n' "$1" $(( b[0] - a[0] )) $(( b[1] - a[1] )) >>"$RUN_DIR/loads.tsv"
}

# ---------------------------------------------------------------------------------------------
# 1. Targets: 32 x `hiccup 4 SECONDS 20` under a name no other process has, for the whole run.
# ---------------------------------------------------------------------------------------------
((WAIT_QUIET > 0)) && wait_quiet
# hiccup and host_load exit on their own after SECONDS: bounds far above what a run takes (a
# session or an eu-stack loop takes seconds to a minute on a saturated host), so that a run killed
# with SIGKILL (no trap) leaves nothing running for long even if the watchdog below is killed too.
PHASE_SECONDS=$(( (SESSIONS + EU_LOOPS) * 300 + 600 ))
TARGET_SECONDS=$(( ${#HOST_LIST[@]} * PHASE_SECONDS + 600 ))
NAME=sessbench$$
mkdir -p "$TMP/bin"
ln -s "$HICCUP" "$TMP/bin/$NAME"
log "starting $NTARGETS x '$NAME $NTHREADS $TARGET_SECONDS $DEPTH'"
for ((i = 0; i < NTARGETS; i++)); do
  "${AT_NORMAL[@]}" "$TMP/bin/$NAME" "$NTHREADS" "$TARGET_SECONDS" "$DEPTH" >"$TMP/target.$i.out" 2>&1 &
  TARGET_PIDS+=("$!")
  echo "$! $NAME" >>"$TMP/pids"
done
# The watchdog: when this script dies without its trap (SIGKILL), it stops what the script
# started, the pids listed in TMP/pids whose comm still matches. The trap stops it first.
(
  trap '' INT TERM
  while kill -0 $$ 2>/dev/null; do sleep 2; done
  while read -r p comm; do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$comm" ]] && kill "$p"
  done <"$TMP/pids" 2>/dev/null
) >/dev/null 2>&1 &
WATCHDOG_PID=$!
# hiccup prints nothing until it exits: ready = all its threads exist.
for ((i = 0; i < NTARGETS; i++)); do
  p=${TARGET_PIDS[$i]}
  for ((k = 0; k < 250; k++)); do
    n=$(ls "/proc/$p/task" 2>/dev/null | wc -l)
    ((n >= NTHREADS)) && break
    sleep 0.02
  done
  ((n >= NTHREADS)) || die "target $i (pid $p) has $n threads, not $NTHREADS"
  [[ $(cat "/proc/$p/comm") == "$NAME" ]] || die "target pid $p has comm '$(cat "/proc/$p/comm")', not $NAME"
done
check_targets() {
  local p
  for p in "${TARGET_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || die "target pid $p died ($1)"; done
}

START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
SRC_DIR=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
{
  printf 'command=%s\n' "bench/run_session_bench.sh${ARGS[*]:+ ${ARGS[*]}}"
  printf 'start=%s\nload_start=%s\n' "$START_DATE" "$LOAD_START"
  printf 'quiet=%s\n' "$QUIET_NOTE"
  printf 'nproc=%s\n' "$NPROC"
  printf 'cpu=%s\n' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'targets=%s\nthreads=%s\ndepth=%s\ntarget_seconds=%s\ntarget_name=%s\n' \
    "$NTARGETS" "$NTHREADS" "$DEPTH" "$TARGET_SECONDS" "$NAME"
  printf 'sessions=%s\neu_loops=%s\nhosts=%s\n' "$SESSIONS" "$EU_LOOPS" "$HOSTS"
  printf 'default_workers=%s\n' "min(32, 4 x cores) = $(( NPROC * 4 < 32 ? NPROC * 4 : 32 ))"
  printf 'rev=%s\n' "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
  printf 'build_dir=%s\n' "$BUILD_DIR"
  # The binaries may come from another checkout than this script's (BUILD_DIR): say which.
  if [[ -n $SRC_DIR && $(cd "$SRC_DIR" 2>/dev/null && pwd -P) != $(cd "$REPO" && pwd -P) ]]; then
    printf 'build_rev=%s\nbuild_src=%s\n' "$(git -C "$SRC_DIR" describe --always --dirty 2>/dev/null || echo unknown)" "$SRC_DIR"
  fi
  printf 'build_type=%s\n' "$(grep -m1 '^CMAKE_BUILD_TYPE:' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | cut -d= -f2)"
  printf 'binary_date=%s\n' "$(date -u -r "$COORD" +%Y-%m-%dT%H:%M:%SZ)"
  printf 'eu_stack=%s\n' "$(eu-stack --version | head -1)"
  printf 'gcc=%s\n' "$(gcc --version | head -1)"
  printf 'python=%s\n' "$(python3 -c 'import platform; print(platform.python_version())')"
  printf 'host_load_cmd=%s\n' "host_load --spin-per-cpu 2 --wakers 8"
  printf 'nice=%s\nharness_nice=%s\n' "$NICE0" "$HARNESS_NICE"
} >"$RUN_DIR/meta.env"
log "run directory: $RUN_DIR (load average at start: $LOAD_START)"

# ---------------------------------------------------------------------------------------------
# 2. One phase per host.
# ---------------------------------------------------------------------------------------------
start_coordinator() {  # start_coordinator HOST: sets COORD_PID, URL, TOKEN_FILE
  local host=$1 k n
  # --budget-cpu-percent 100: the run measures how fast a session is when asked for; back-to-back
  # sessions are far above the default 5 % CPU budget, which would refuse them (503) by design.
  "${AT_NORMAL[@]}" "$COORD" --listen 127.0.0.1:0 --data-dir "$TMP/data.$host" --budget-cpu-percent 100 \
    >"$RUN_DIR/coord.$host.out" 2>"$RUN_DIR/coord.$host.err" &
  COORD_PID=$!
  echo "$COORD_PID dbgcoord" >>"$TMP/pids"
  URL=
  for ((k = 0; k < 400; k++)); do
    URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$RUN_DIR/coord.$host.out" 2>/dev/null || true)
    [[ -n $URL ]] && break
    kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord exited: $(cat "$RUN_DIR/coord.$host.err")"
    sleep 0.05
  done
  [[ -n $URL ]] || die "dbgcoord printed no listening line (see $RUN_DIR/coord.$host.out)"
  TOKEN_FILE=$TMP/data.$host/token
  curl -fsS "$URL/healthz" >/dev/null || die "GET $URL/healthz failed"
  n=$(curl -fsS -H "Authorization: Bearer $(cat "$TOKEN_FILE")" "$URL/api/v1/processes?limit=1000&match=%5E$NAME%24" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["processes"]))')
  [[ $n == "$NTARGETS" ]] || die "GET /api/v1/processes?match=^$NAME\$ lists $n processes, not $NTARGETS"
  log "  dbgcoord pid $COORD_PID at $URL (data dir $TMP/data.$host)"
}

start_host_load() {  # sets LOAD_PID
  # --seconds: a bound on what a run killed with SIGKILL (no trap) leaves spinning.
  "${AT_NORMAL[@]}" "$HOST_LOAD" --spin-per-cpu 2 --wakers 8 --seconds "$PHASE_SECONDS" >"$RUN_DIR/host_load.out" 2>&1 &
  LOAD_PID=$!
  echo "$LOAD_PID host_load" >>"$TMP/pids"
  local k
  for ((k = 0; k < 250; k++)); do grep -q '^ready' "$RUN_DIR/host_load.out" 2>/dev/null && break; sleep 0.02; done
  grep -q '^ready' "$RUN_DIR/host_load.out" || die "host_load never printed ready: $(cat "$RUN_DIR/host_load.out")"
  log "  host_load pid $LOAD_PID: $(head -1 "$RUN_DIR/host_load.out") (spinners, wakers)"
}

# eu_loop HOST LOOP: every target once with `eu-stack -p PID`; one line in loops.tsv.
eu_loop() {
  local host=$1 loop=$2 p rc ok=0 failed= t0 t1 out=$RUN_DIR/raw/eu_stack.$1.$2.out
  : >"$out"
  t0=${EPOCHREALTIME/[.,]/}
  for p in "${TARGET_PIDS[@]}"; do
    rc=0
    "${AT_NORMAL[@]}" eu-stack -p "$p" >>"$out" 2>&1 || rc=$?
    if ((rc == 0)); then ok=$((ok + 1)); else failed+="${failed:+,}$p:$rc"; fi
  done
  t1=${EPOCHREALTIME/[.,]/}
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$host" "$loop" "${#TARGET_PIDS[@]}" "$ok" $((t1 - t0)) "${failed:--}" >>"$RUN_DIR/loops.tsv"
  log "  $host: eu-stack loop $((loop + 1))/$EU_LOOPS: $(( (t1 - t0) / 1000 )) ms for ${#TARGET_PIDS[@]} pids, $ok exited 0${failed:+ (failed pid:exit $failed)}"
}

run_phase() {
  local host=$1 s=0 l=0 l0 l1 lc0 lc1 wk label sp wa
  log "phase $host: $SESSIONS sessions and $EU_LOOPS eu-stack loops, interleaved"
  if [[ $host == saturated ]]; then start_host_load; fi
  start_coordinator "$host"
  local P0 P1 Y0 Y1 a b
  cpu_mark P0; load_mark Y0
  l0=${EPOCHREALTIME/[.,]/}; lc0=0
  [[ -n $LOAD_PID ]] && lc0=$(cpu_ms "$LOAD_PID")
  while ((s < SESSIONS || l < EU_LOOPS)); do
    if ((s < SESSIONS)); then
      step_begin
      python3 "$REPO/bench/session_bench.py" session --url "$URL" --token-file "$TOKEN_FILE" \
        --match "^$NAME\$" --expect "$NTARGETS" --host "$host" --index "$s" \
        --out "$RUN_DIR/sessions/$host.$s.json" || die "session $((s + 1)) on the $host host failed"
      label="$host: session $((s + 1))"; ((s > 0)) || label+=" (cold workers)"
      step_end "$label"
      s=$((s + 1)); sleep 0.5
    fi
    if ((l < EU_LOOPS)); then
      check_targets "before eu-stack loop $((l + 1)) on the $host host"
      step_begin
      eu_loop "$host" "$l"
      step_end "$host: eu-stack loop $((l + 1))"
      l=$((l + 1)); sleep 0.5
    fi
    check_targets "during the $host phase"
  done
  cpu_mark P1; load_mark Y1
  cpu_phase "$host: whole phase" "$P0" "$P1"
  read -r -a a <<<"$Y0"; read -r -a b <<<"$Y1"
  printf '%s\t%s\t%s\n' "$host: whole phase" $(( b[0] - a[0] )) $(( b[1] - a[1] )) >>"$RUN_DIR/loads.tsv"
  stop_pid "$COORD_PID"; COORD_PID=
  if [[ -n $LOAD_PID ]]; then
    l1=${EPOCHREALTIME/[.,]/}; lc1=$(cpu_ms "$LOAD_PID")
    stop_pid "$LOAD_PID"; LOAD_PID=
    wk=$(sed -n 's/^wakeups //p' "$RUN_DIR/host_load.out")
    read -r _ sp wa < <(grep -m1 '^ready' "$RUN_DIR/host_load.out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$host" $(( (l1 - l0) / 1000 )) $((lc1 - lc0)) "$sp" "$wa" "${wk:-?}" >>"$RUN_DIR/host_load.tsv"
    log "  host_load stopped: $((lc1 - lc0)) ms CPU in $(( (l1 - l0) / 1000 )) ms, ${wk:-?} wake-ups"
  fi
  sleep 1
}

for h in "${HOST_LIST[@]}"; do run_phase "$h"; done

{
  printf 'end=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'load_end=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$RUN_DIR/meta.env"

# ---------------------------------------------------------------------------------------------
# 3. Aggregate, judge the goals, write BENCHMARKS.md.
# ---------------------------------------------------------------------------------------------
SUMMARY_ARGS=(summarize "$RUN_DIR")
((WRITE)) && SUMMARY_ARGS+=(--benchmarks-md "$REPO/BENCHMARKS.md")
python3 "$REPO/bench/session_bench.py" "${SUMMARY_ARGS[@]}"
log "raw data: $RUN_DIR"
