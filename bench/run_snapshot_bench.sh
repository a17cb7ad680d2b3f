#!/usr/bin/env bash
# run_snapshot_bench.sh — how long does one stack snapshot stop the target's threads?
#
# usage: bench/run_snapshot_bench.sh [--host idle|saturated|both] [--rounds N] [--gdb-rounds N]
#                                    [--felt-seconds N] [--wait-quiet SECONDS] [--compare-worker PATH]
#                                    [--no-write]
#
#   --host H          idle (default): nothing else runs; saturated: bench/host_load runs for the
#                     whole measurement (2 spinning threads per CPU and 8 threads waking 10,000
#                     times a second each), target B gets 2 busy threads of its own (cpp_target
#                     18 2: 20 threads), the felt runs are skipped, and one more tool runs:
#                     worker_normal, our worker with its capture window left in the normal
#                     scheduling class (DBG_CAPTURE_PRIORITY=normal), to show what the real-time
#                     window buys; both: idle, then saturated (two sections of BENCHMARKS.md)
#   --rounds N        rounds per target for the fast tools (floor x2, dbg-worker x2, eu-stack); default 20
#   --gdb-rounds N    rounds per target for gdb (~0.3 s+ of stop each); default 3
#   --felt-seconds N  length of each extra hiccup run used for "what the target felt" per tool
#                     (no tool / dbg-worker only / eu-stack only); 0 skips them; default 10
#   --wait-quiet S    before measuring, wait up to S seconds for the machine to be idle (other
#                     processes using < 15% of the CPUs over 2 s); default 180; 0 = don't wait
#   --compare-worker PATH  also run another build's dbg-worker (`snapshot PID --source none`) as tool
#                     base_none, interleaved with the others, and add its row and a ratio to the
#                     summary: a before/after of a change measured in the same noise
#   --no-write        summarize to stdout only; leave BENCHMARKS.md alone
#
# env: SHARED_BENCH_DIR  where hiccup.c, ptrace_floor.c, ptrace_clock.c live (default ../shared/bench
#                        relative to the repo root)
#
# One run measures, side by side and interleaved round by round (so all tools share the same
# noise), on two targets:
#   A: hiccup 8 SECONDS 20   8 threads, 20 frames deep, each one measuring its own wake-up lateness
#   B: cpp_target 20         20 threads parked on a condition variable (C++ frames, inlining)
# the tools:
#   floor       ptrace_floor PID 20: SEIZE/INTERRUPT/wait/GETREGSET/64 KiB copy/DETACH, nothing else;
#               20 passes over all threads, so mostly warm (the reference of the goals)
#   floor1      ptrace_floor PID 1: one pass, cold like a snapshot (shown for comparison only)
#   worker_none dbg-worker snapshot PID --source none   (fresh process each round = cold caches)
#   worker_all  dbg-worker snapshot PID --source all    (same stops; pays for /usr/lib/debug)
#   eu_stack    eu-stack -p PID
#   gdb         gdb -p PID -batch -ex 'thread apply all bt'
# Every tool but the floors runs under LD_PRELOAD=ptrace_clock.so, which times each thread's stop
# from inside the tool. Raw data goes to build/bench/run-<date>/; bench/summarize.py aggregates it
# and (re)writes the "snapshot pause benchmark" section of BENCHMARKS.md.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED_BENCH_DIR=${SHARED_BENCH_DIR:-$REPO/../shared/bench}
ROUNDS=20
GDB_ROUNDS=3
FELT_SECONDS=10
WAIT_QUIET=180
WRITE=1
COMPARE_WORKER=
HOST=idle
ARGS=("$@")
HICCUP_THREADS=8
HICCUP_DEPTH=20
CPP_THREADS=20
FLOOR_ROUNDS=20          # ptrace_floor's own inner rounds per invocation
SETTLE=0.05              # seconds between two tool runs, so one tool's wake-ups don't hit the next
GDB_SETTLE=0.3           # after gdb, which stops every thread for a few hundred ms

die() { echo "run_snapshot_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --gdb-rounds) GDB_ROUNDS=${2:?}; shift 2 ;;
    --felt-seconds) FELT_SECONDS=${2:?}; shift 2 ;;
    --wait-quiet) WAIT_QUIET=${2:?}; shift 2 ;;
    --compare-worker) COMPARE_WORKER=${2:?}; shift 2 ;;
    --host) HOST=${2:?}; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ $GDB_ROUNDS =~ ^[0-9]+$ ]] || die "--gdb-rounds must be an integer >= 0"
[[ $FELT_SECONDS =~ ^[0-9]+$ ]] || die "--felt-seconds must be an integer >= 0"
[[ $WAIT_QUIET =~ ^[0-9]+$ ]] || die "--wait-quiet must be an integer >= 0"
(( GDB_ROUNDS <= ROUNDS )) || die "--gdb-rounds must not exceed --rounds"
[[ -z $COMPARE_WORKER || -x $COMPARE_WORKER ]] || die "--compare-worker: '$COMPARE_WORKER' is not an executable"
[[ $HOST == idle || $HOST == saturated || $HOST == both ]] || die "--host is idle, saturated or both, not '$HOST'"
if [[ $HOST == both ]]; then
  # Two runs, each its own section: the idle one first, so the load of the second cannot linger.
  "$0" "${ARGS[@]}" --host idle && "$0" "${ARGS[@]}" --host saturated
  exit
fi
CPP_BUSY=0
if [[ $HOST == saturated ]]; then
  FELT_SECONDS=0   # hiccup's own lateness says nothing on a host busy by design
  CPP_THREADS=18   # + 2 busy threads: 20 threads, as in issue #19's measurement
  CPP_BUSY=2
fi

# ---------------------------------------------------------------------------------------------
# 0. Preconditions: root (ptrace of any process, /proc access), the shared tools, the peers.
# ---------------------------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || die "must run as root"
for f in hiccup.c ptrace_floor.c ptrace_clock.c; do
  [[ -f $SHARED_BENCH_DIR/$f ]] || die "missing $SHARED_BENCH_DIR/$f (set SHARED_BENCH_DIR to the directory holding hiccup.c, ptrace_floor.c and ptrace_clock.c)"
done
for cmd in gcc cmake python3 eu-stack gdb; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found in PATH"
done
[[ -f $REPO/build/CMakeCache.txt ]] || die "no configured build in $REPO/build (run cmake -S . -B build first)"
unset DEBUGINFOD_URLS   # no tool may fetch debug info over the network during a measurement

# ---------------------------------------------------------------------------------------------
# 1. Build: the three measuring tools (gcc -O2, as their README says) and our worker + targets.
# ---------------------------------------------------------------------------------------------
BENCH_BIN=$REPO/build/bench
mkdir -p "$BENCH_BIN"
log "compiling measuring tools from $SHARED_BENCH_DIR into $BENCH_BIN"
nice gcc -O2 -g -pthread -o "$BENCH_BIN/hiccup" "$SHARED_BENCH_DIR/hiccup.c"
nice gcc -O2 -o "$BENCH_BIN/ptrace_floor" "$SHARED_BENCH_DIR/ptrace_floor.c"
nice gcc -O2 -shared -fPIC -o "$BENCH_BIN/ptrace_clock.so" "$SHARED_BENCH_DIR/ptrace_clock.c" -ldl
nice gcc -O2 -pthread -o "$BENCH_BIN/host_load" "$REPO/bench/host_load.c"
log "building dbg-worker and cpp_target"
nice cmake --build "$REPO/build" -j2 --target dbg-worker cpp_target >/dev/null \
  || die "cmake --build failed (run: cmake --build build --target dbg-worker cpp_target)"

WORKER=$REPO/build/bin/dbg-worker
CPP_TARGET=$REPO/build/tests/targets/cpp_target
HICCUP=$BENCH_BIN/hiccup
FLOOR=$BENCH_BIN/ptrace_floor
CLOCK=$BENCH_BIN/ptrace_clock.so
for f in "$WORKER" "$CPP_TARGET" "$HICCUP" "$FLOOR" "$CLOCK"; do [[ -e $f ]] || die "missing $f after build"; done

RUN_DIR=$BENCH_BIN/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN_DIR/raw"
RUNS=$RUN_DIR/runs.tsv          # one line per tool invocation, read by summarize.py
printf 'target\ttool\tround\twall_us\trc\tclock_file\tout_file\n' >"$RUNS"
printf 'phase\twall_ms\tnproc\tothers_ms\tours_ms\tsteal_ms\n' >"$RUN_DIR/cpu.tsv"

# ---------------------------------------------------------------------------------------------
# Targets are killed whatever happens (error, Ctrl-C, normal end).
# ---------------------------------------------------------------------------------------------
TARGET_PIDS=()
cleanup() {
  local p
  for p in "${TARGET_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${TARGET_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Microseconds since the epoch, from bash's own clock. run_tool reads ${EPOCHREALTIME} inline
# (no $(...) subshell, whose fork would be counted in a wall time).
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

# CPU accounting and the quiet-machine wait (bench/cpu_accounting.sh).
source "$REPO/bench/cpu_accounting.sh"

# run_tool TARGET TOOL ROUND PID: one invocation of one tool against PID, timed end to end.
run_tool() {
  local target=$1 tool=$2 round=$3 pid=$4
  local base=$RUN_DIR/raw/$target.$tool.$round
  local out=$base.out clockf=$base.clock.jsonl rc=0 t0 t1
  local -a cmd
  case $tool in
    floor)       cmd=("$FLOOR" "$pid" "$FLOOR_ROUNDS") ;;
    floor1)      cmd=("$FLOOR" "$pid" 1) ;;
    worker_none) cmd=("$WORKER" snapshot "$pid" --source none) ;;
    worker_all)  cmd=("$WORKER" snapshot "$pid" --source all) ;;
    worker_normal) cmd=("$WORKER" snapshot "$pid" --source none --capture-priority normal) ;;
    base_none)   cmd=("$COMPARE_WORKER" snapshot "$pid" --source none) ;;
    eu_stack)    cmd=(eu-stack -p "$pid") ;;
    gdb)         cmd=(gdb -nx -iex 'set debuginfod enabled off' -p "$pid" -batch -ex 'thread apply all bt') ;;
    *) die "unknown tool $tool" ;;
  esac
  if [[ $tool == floor* ]]; then
    # The floor is the reference: no preload, it times itself.
    clockf=-
    t0=${EPOCHREALTIME/[.,]/}; "${cmd[@]}" >"$out" 2>"$base.err" || rc=$?; t1=${EPOCHREALTIME/[.,]/}
  else
    : >"$clockf"   # one file per invocation: gdb's helper children append their own (empty) lines
    t0=${EPOCHREALTIME/[.,]/}
    LD_PRELOAD=$CLOCK PTRACE_CLOCK_OUT=$clockf "${cmd[@]}" >"$out" 2>"$base.err" || rc=$?
    t1=${EPOCHREALTIME/[.,]/}
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$tool" "$round" $((t1 - t0)) "$rc" "$clockf" "$out" >>"$RUNS"
  ((rc == 0)) || log "  warning: $tool on $target round $round exited with $rc (see $base.err)"
}

# measure_target TARGET PID: ROUNDS rounds of every fast tool, plus GDB_ROUNDS spread-out gdb runs.
# The order of the fast tools rotates each round, so no tool always runs right after another.
measure_target() {
  local target=$1 pid=$2 r i k tool gdb_done=0 every
  local -a tools=(floor floor1 worker_none worker_all eu_stack)
  [[ -n $COMPARE_WORKER ]] && tools+=(base_none)
  [[ $HOST == saturated ]] && tools+=(worker_normal)
  every=$(( GDB_ROUNDS > 0 ? ROUNDS / GDB_ROUNDS : ROUNDS + 1 ))
  for ((r = 0; r < ROUNDS; r++)); do
    kill -0 "$pid" 2>/dev/null || die "target $target (pid $pid) died during round $r"
    for ((i = 0; i < ${#tools[@]}; i++)); do
      k=$(( (i + r) % ${#tools[@]} ))
      tool=${tools[$k]}
      run_tool "$target" "$tool" "$r" "$pid"
      sleep "$SETTLE"
    done
    if (( GDB_ROUNDS > 0 && gdb_done < GDB_ROUNDS && r % every == every / 2 )); then
      run_tool "$target" gdb "$r" "$pid"
      gdb_done=$((gdb_done + 1))
      sleep "$GDB_SETTLE"
    fi
    (( (r + 1) % 5 == 0 )) && log "  $target: round $((r + 1))/$ROUNDS"
  done
  return 0
}

# felt_run LABEL TOOL: an extra hiccup run of FELT_SECONDS with only TOOL (or none) snapshotting it
# every 250 ms, so hiccup's own max_gap_us says what that tool alone made the target feel.
felt_run() {
  local label=$1 tool=$2 pid n=0 t_end m0 m1
  cpu_mark m0
  "$HICCUP" "$HICCUP_THREADS" "$FELT_SECONDS" "$HICCUP_DEPTH" >"$RUN_DIR/felt.$label.json" &
  pid=$!; TARGET_PIDS+=("$pid")
  sleep 0.3   # let every thread reach its measuring loop
  t_end=$(( $(now_us) + (FELT_SECONDS * 1000000) - 800000 ))
  while (( $(now_us) < t_end )); do
    if [[ $tool != none ]]; then
      run_tool "felt_$label" "$tool" "$n" "$pid"
      n=$((n + 1))
    fi
    sleep 0.25
  done
  wait "$pid" || die "hiccup ($label) failed"
  cpu_mark m1; cpu_phase "felt_$label" "$m0" "$m1"
  log "  felt[$label]: $(cat "$RUN_DIR/felt.$label.json") after $n snapshots"
}

# ---------------------------------------------------------------------------------------------
# Run metadata (machine, versions, command) for the summary.
# ---------------------------------------------------------------------------------------------
((WAIT_QUIET > 0)) && wait_quiet
LOAD_PID=
if [[ $HOST == saturated ]]; then
  "$BENCH_BIN/host_load" --spin-per-cpu 2 --wakers 8 >"$RUN_DIR/host_load.out" &
  LOAD_PID=$!; TARGET_PIDS+=("$LOAD_PID")
  for ((i = 0; i < 100; i++)); do grep -q ready "$RUN_DIR/host_load.out" 2>/dev/null && break; sleep 0.05; done
  grep -q ready "$RUN_DIR/host_load.out" || die "host_load never printed ready"
  log "host load: $(head -1 "$RUN_DIR/host_load.out") (spinning threads, waking threads)"
fi
START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
{
  printf 'command=%s\n' "bench/run_snapshot_bench.sh --host $HOST --rounds $ROUNDS --gdb-rounds $GDB_ROUNDS --felt-seconds $FELT_SECONDS --wait-quiet $WAIT_QUIET"
  printf 'host=%s\ncpp_busy=%s\n' "$HOST" "$CPP_BUSY"
  printf 'rounds=%s\ngdb_rounds=%s\nfloor_rounds=%s\nfelt_seconds=%s\n' "$ROUNDS" "$GDB_ROUNDS" "$FLOOR_ROUNDS" "$FELT_SECONDS"
  printf 'hiccup_threads=%s\nhiccup_depth=%s\ncpp_threads=%s\n' "$HICCUP_THREADS" "$HICCUP_DEPTH" "$CPP_THREADS"
  printf 'start=%s\nload_start=%s\n' "$START_DATE" "$LOAD_START"
  printf 'nproc=%s\n' "$(nproc)"
  printf 'cpu=%s\n' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'gdb=%s\n' "$(gdb --version | head -1)"
  printf 'eu_stack=%s\n' "$(eu-stack --version | head -1)"
  printf 'gcc=%s\n' "$(gcc --version | head -1)"
  printf 'worker_rev=%s\n' "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)"
  printf 'build_type=%s\n' "$(grep -m1 '^CMAKE_BUILD_TYPE:' "$REPO/build/CMakeCache.txt" | cut -d= -f2)"
} >"$RUN_DIR/meta.env"
log "run directory: $RUN_DIR (load average at start: $LOAD_START)"

# ---------------------------------------------------------------------------------------------
# 2+3a. Target A: hiccup. Its lifetime must cover every round; it is sized from the rounds
# (about 0.45 s per fast round and 0.9 s per gdb run on a 2-core machine; 0.6 s and 1 s are
# allowed, plus 5 s). The script then waits for it to exit to read what it felt.
# ---------------------------------------------------------------------------------------------
HICCUP_SECONDS=$(( 5 + (ROUNDS * 6 + 9) / 10 + GDB_ROUNDS ))
# On a saturated host every tool run takes longer, and there is one more tool: the target must
# outlive the rounds (it is killed when they end anyway).
[[ $HOST == saturated ]] && HICCUP_SECONDS=$(( HICCUP_SECONDS * 4 ))
log "target A: hiccup $HICCUP_THREADS $HICCUP_SECONDS $HICCUP_DEPTH"
cpu_mark MA0
"$HICCUP" "$HICCUP_THREADS" "$HICCUP_SECONDS" "$HICCUP_DEPTH" >"$RUN_DIR/hiccup.json" &
HPID=$!; TARGET_PIDS+=("$HPID")
sleep 0.5
A_T0=$(now_us)
measure_target hiccup "$HPID"
log "  hiccup rounds took $(( ($(now_us) - A_T0) / 1000 )) ms; waiting for hiccup to exit"
if [[ $HOST == saturated ]]; then
  kill "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null || true   # its own lateness means nothing here
else
  wait "$HPID" || die "hiccup failed"
fi
cpu_mark MA1; cpu_phase hiccup "$MA0" "$MA1"
log "  hiccup felt: $(cat "$RUN_DIR/hiccup.json")"

# ---------------------------------------------------------------------------------------------
# 3b. Target B: cpp_target 20 (waits for its "ready": all threads parked).
# ---------------------------------------------------------------------------------------------
log "target B: cpp_target $CPP_THREADS $CPP_BUSY"
cpu_mark MB0
"$CPP_TARGET" "$CPP_THREADS" "$CPP_BUSY" >"$RUN_DIR/cpp_target.out" &
CPID=$!; TARGET_PIDS+=("$CPID")
for ((i = 0; i < 100; i++)); do grep -q ready "$RUN_DIR/cpp_target.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$RUN_DIR/cpp_target.out" || die "cpp_target never printed ready"
measure_target cpp_target "$CPID"
kill "$CPID"; wait "$CPID" 2>/dev/null || true
cpu_mark MB1; cpu_phase cpp_target "$MB0" "$MB1"

# ---------------------------------------------------------------------------------------------
# 3c. What hiccup felt with no tool (the machine's noise), dbg-worker alone, eu-stack alone.
# ---------------------------------------------------------------------------------------------
if (( FELT_SECONDS > 0 )); then
  log "felt runs: hiccup $HICCUP_THREADS $FELT_SECONDS $HICCUP_DEPTH x3 (none, dbg-worker, eu-stack)"
  felt_run none none
  felt_run worker worker_none
  felt_run eu_stack eu_stack
fi

{
  printf 'end=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'load_end=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$RUN_DIR/meta.env"

# ---------------------------------------------------------------------------------------------
# 4+5. Aggregate, judge the goals, write BENCHMARKS.md.
# ---------------------------------------------------------------------------------------------
if [[ -n $LOAD_PID ]]; then
  kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null || true
  log "host load: $(tail -1 "$RUN_DIR/host_load.out") (wake-ups the waking threads managed)"
fi
SUMMARY_ARGS=("$RUN_DIR" --host "$HOST")
((WRITE)) && SUMMARY_ARGS+=(--benchmarks-md "$REPO/BENCHMARKS.md")
python3 "$REPO/bench/summarize.py" "${SUMMARY_ARGS[@]}"
log "raw data: $RUN_DIR"
