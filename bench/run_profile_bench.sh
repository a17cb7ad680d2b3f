#!/usr/bin/env bash
# Profiling overhead benchmark (issue #19, items 3 and 4): what a profile costs a CPU-bound
# target's throughput, on an idle and on a saturated host, in one run, for
#   none            no profiler (the noise floor)
#   ours            dbg-worker profile PID --hz N --sampler perf|ptrace (each mode at 99 and 999 Hz;
#                   a dbg-worker without --sampler is run as it is, its ptrace sampler, labelled so)
#   perf record     perf record -F N --call-graph dwarf -p PID (99 and 999 Hz)
#   gdb-pmp         gdb -p PID -batch -nx -ex 'thread apply all bt' in a loop, at most once a
#                   second by default (the classic poor man's profiler; --gdb-hz 0: back to back)
# and, for ours, how the loss compares with the overhead_pct the profile reports.
#
# How the loss is measured, and why so: on a saturated host the target's throughput moves by
# tens of percent with the competing load, so separate runs per profiler cannot show a 1 % loss.
# Instead ONE target process per host (tests/targets/profile_hotcold with a 100 ms tick: it
# prints its unit count and CPU time itself) is measured in short windows, every profiler window
# between two baseline windows without a profiler (profilers shuffled per round). The loss of a
# window is 1 - its units/s / the mean of its two baselines' (a steady drift cancels); the table
# shows the median loss with its IQR and a distribution-free 95 % confidence interval, and the
# `none` row (a profiler window with no profiler) shows what a loss of zero looks like. A profiler
# window is measured from 0.1 s after the profiler is seen sampling (the target has a tracer, the
# worker holds a perf event fd, perf record (started with -D -1) acknowledged the enable sent to
# its --control FIFO) for --seconds, then the profiler gets SIGINT: start-up (perf record's can
# take seconds on a busy host) and shutdown are not measured.
#
# The target and the load run at normal priority and in this script's session (one autogroup,
# so they compete thread against thread): on a saturated host the target competes for the CPU as
# a user's process does, and a profiler that makes it lose its turn (a stopped
# thread forfeits its slice; the profiler's own CPU time comes out of the same two cores) is
# exactly what is measured. The saturated host is bench/host_load --spin-per-cpu 2 --wakers 8
# (2 spinning threads per CPU and 8 wake-up-heavy threads), running for the whole phase.
#
# Raw data stays in build/bench/run-profile-<date>/; the summary goes between the
# profile-bench markers of BENCHMARKS.md unless --no-write.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
COMMAND="bench/run_profile_bench.sh${*:+ $*}"

usage() {
  cat <<'EOF'
usage: bench/run_profile_bench.sh [options]   (as root, after a build; about 13 minutes by default)
  --seconds S        measured seconds per window (default 2)
  --skip S           when a profiler's start cannot be seen, measure from S s after its launch (0.5)
  --rounds N         windows per profiler on the saturated host (default 12)
  --idle-rounds N    windows per profiler on the idle host (default: half of --rounds, at least 2;
                     an idle host is far less noisy)
  --hosts LIST       idle, saturated or both, comma-separated (default idle,saturated)
  --rates LIST       sampling rates for ours and perf record (default 99,999)
  --profilers LIST   any of ours,perf,gdb, or none alone (default ours,perf,gdb; none always runs)
  --gdb-hz H         gdb-pmp invocations per second at most; 0 = back to back (default 1)
  --pin              pin the target to CPU 0 and host_load's threads round-robin to all CPUs (the
                     profilers stay free): the target's CPU share no longer moves with the load
                     balancer; off by default (hosts are not pinned)
  --quick            --seconds 1 --skip 0.4 --rounds 4 (about 3 minutes; too few windows for a
                     95 % interval: a check that it all runs, not a measurement)
  --no-write         leave BENCHMARKS.md alone (the summary is still printed and kept)
  -h, --help         this text
environment: BUILD_DIR (default build)
EOF
}
die() { echo "run_profile_bench.sh: $*" >&2; echo "try: bench/run_profile_bench.sh --help" >&2; exit 2; }
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }

SECONDS_PER_WINDOW=2 SKIP=0.5 ROUNDS=12 IDLE_ROUNDS= HOSTS=idle,saturated RATES=99,999 PROFILERS=ours,perf,gdb GDB_HZ=1 WRITE=1 PIN=0
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --quick) SECONDS_PER_WINDOW=1 SKIP=0.4 ROUNDS=4; shift; continue ;;
    --no-write) WRITE=0; shift; continue ;;
    --pin) PIN=1; shift; continue ;;
    --seconds|--skip|--rounds|--idle-rounds|--hosts|--rates|--profilers|--gdb-hz)
      (($# >= 2)) || die "$1 needs a value" ;;
    *) die "unknown option: $1" ;;
  esac
  case $1 in
    --seconds) is_number "$2" && [[ $2 != 0 && $2 != 0.0 ]] || die "--seconds wants a positive number, got '$2'"; SECONDS_PER_WINDOW=$2 ;;
    --skip) is_number "$2" || die "--skip wants a number of seconds, got '$2'"; SKIP=$2 ;;
    --rounds) [[ $2 =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive integer, got '$2'"; ROUNDS=$2 ;;
    --idle-rounds) [[ $2 =~ ^[1-9][0-9]*$ ]] || die "--idle-rounds wants a positive integer, got '$2'"; IDLE_ROUNDS=$2 ;;
    --hosts) [[ $2 =~ ^(idle|saturated)(,(idle|saturated))?$ ]] || die "--hosts is idle, saturated or idle,saturated, got '$2'"; HOSTS=$2 ;;
    --rates) [[ $2 =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--rates wants comma-separated integers (Hz), got '$2'"; RATES=$2
      for r in ${RATES//,/ }; do ((r <= 1000)) || die "--rates: $r Hz is above dbg-worker's 1000 Hz limit"; done ;;
    --profilers) [[ $2 =~ ^((ours|perf|gdb)(,(ours|perf|gdb))*|none)$ ]] || die "--profilers wants a comma-separated list of ours, perf, gdb (or none alone), got '$2'"; PROFILERS=$2 ;;
    --gdb-hz) is_number "$2" || die "--gdb-hz wants a number (0 = back to back), got '$2'"; GDB_HZ=$2 ;;
  esac
  shift 2
done

[[ -n $IDLE_ROUNDS ]] || IDLE_ROUNDS=$(( ROUNDS / 2 > 2 ? ROUNDS / 2 : 2 ))
((EUID == 0)) || die "run it as root (dbg-worker and perf record attach to the target)"
BUILD=${BUILD_DIR:-$REPO/build}
TARGET=$BUILD/tests/targets/profile_hotcold
WORKER=$BUILD/bin/dbg-worker
[[ -x $TARGET && -x $WORKER ]] || die "build first (cmake --build build --target dbg-worker profile_hotcold): $TARGET, $WORKER"
[[ $("$TARGET" 1 0 0.05 1) == *tick* ]] || die "$TARGET prints no ticks: rebuild it (profile_hotcold's TICK_MS argument is needed)"
HOST_LOAD=$BUILD/bench/host_load
if [[ $HOSTS == *saturated* && ( ! -x $HOST_LOAD || $REPO/bench/host_load.c -nt $HOST_LOAD ) ]]; then
  mkdir -p "$BUILD/bench"
  gcc -O2 -pthread -o "$HOST_LOAD" "$REPO/bench/host_load.c"
fi

RUN_DIR=$BUILD/bench/run-profile-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR/raw"

# The worker's samplers: a build with --sampler lists it in `profile --help`, and then both modes
# run; an older build runs as it is (its only sampler, ptrace). Captured first: a pipe into
# grep -q would fail under pipefail when the worker exits non-zero or gets SIGPIPE.
WORKER_PROFILE_USAGE=$("$WORKER" profile --help 2>&1 || true)
if [[ $WORKER_PROFILE_USAGE == *--sampler* ]]; then
  SAMPLERS=(perf ptrace) SAMPLER_NOTE="--sampler perf and --sampler ptrace"
else
  SAMPLERS=(default) SAMPLER_NOTE="this build has no --sampler: its ptrace sampler only"
  echo "note: $WORKER has no --sampler option: measuring its ptrace sampler only" >&2
fi
PERF_OK=0
if [[ ,$PROFILERS, == *,perf,* ]]; then
  if command -v perf >/dev/null && perf record -F 99 -o "$RUN_DIR/probe.data" -- true >/dev/null 2>&1; then PERF_OK=1
  else echo "note: perf cannot record here: perf record is left out" >&2; fi
  rm -f "$RUN_DIR/probe.data"
fi
if [[ ,$PROFILERS, == *,gdb,* ]] && ! command -v gdb >/dev/null; then
  echo "note: no gdb: gdb-pmp is left out" >&2; PROFILERS=${PROFILERS//gdb/}
fi

CONFIGS=none
for hz in ${RATES//,/ }; do
  if [[ ,$PROFILERS, == *,ours,* ]]; then for s in "${SAMPLERS[@]}"; do CONFIGS+=",ours-$s-$hz"; done; fi
  ((PERF_OK)) && CONFIGS+=",perf-$hz"
done
[[ ,$PROFILERS, == *,gdb,* ]] && CONFIGS+=",gdb-$GDB_HZ"

n_configs=$(tr ',' '\n' <<<"$CONFIGS" | wc -l)
rounds_of() { if [[ $1 == idle ]]; then echo "$IDLE_ROUNDS"; else echo "$ROUNDS"; fi; }
total_rounds=0
for host in ${HOSTS//,/ }; do total_rounds=$((total_rounds + $(rounds_of "$host"))); done
est=$(python3 -c "print(round(($n_configs * $total_rounds * ($SKIP + 2 * $SECONDS_PER_WINDOW + 0.2 + 0.3 + 0.2) + 10) / 60, 1))")
echo "profile benchmark: hosts $HOSTS (windows per profiler: idle $IDLE_ROUNDS, saturated $ROUNDS), configs $CONFIGS, windows of ${SECONDS_PER_WINDOW} s: about $est minutes; raw data in $RUN_DIR" >&2

LOAD_PID=""
MEASURE_PID=""
stop_load() {
  if [[ -n $LOAD_PID ]]; then
    kill -TERM "$LOAD_PID" 2>/dev/null || true
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=""
  fi
}
cleanup() {
  # no `set -e` surprises here: every step runs whatever the one before it returned
  if [[ -n $MEASURE_PID ]]; then
    kill -TERM "$MEASURE_PID" 2>/dev/null || true
    wait "$MEASURE_PID" 2>/dev/null || true
  fi
  stop_load
}
trap cleanup EXIT
trap 'exit 130' INT TERM

others_ms() { python3 "$REPO/bench/cpumark.py" $$ | awk '{print $2}'; }
{
  echo "COMMAND=$COMMAND"
  echo "DATE_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "MACHINE=$(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), Linux $(uname -r)"
  echo "REV=$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- worker shared || echo '+dirty')"
  echo "SAMPLER_NOTE=$SAMPLER_NOTE"
  echo "PERF_VERSION=$(perf version 2>/dev/null || echo 'no perf')"
  echo "GDB_VERSION=$(gdb --version 2>/dev/null | head -1 || echo 'no gdb')"
  echo "HOSTS=$HOSTS"
  echo "CONFIGS=$CONFIGS"
  echo "ROUNDS_IDLE=$IDLE_ROUNDS"
  echo "ROUNDS_SATURATED=$ROUNDS"
  echo "SECONDS=$SECONDS_PER_WINDOW"
  echo "SKIP=$SKIP"
  echo "SETTLE_IN=0.1"
  echo "PIN=$PIN"
  echo "HOST_LOAD_ARGS=--spin-per-cpu 2 --wakers 8"
} >"$RUN_DIR/meta.env"

for host in ${HOSTS//,/ }; do
  if [[ $host == saturated ]]; then
    "$HOST_LOAD" --spin-per-cpu 2 --wakers 8 >"$RUN_DIR/host_load.out" 2>&1 &
    LOAD_PID=$! load_t0=$(date +%s.%N)
    for _ in $(seq 100); do grep -q '^ready' "$RUN_DIR/host_load.out" && break; sleep 0.05; done
    grep -q '^ready' "$RUN_DIR/host_load.out" || die "host_load did not start (see $RUN_DIR/host_load.out)"
    if ((PIN)); then
      i=0
      for tid in $(ls "/proc/$LOAD_PID/task"); do
        [[ $tid == "$LOAD_PID" ]] && continue  # the main thread only waits for the signal
        taskset -p -c $((i % $(nproc))) "$tid" >/dev/null
        i=$((i + 1))
      done
    fi
    sleep 1  # let the load settle before the target starts
  fi
  t0=$(date +%s.%N) o0=$(others_ms)
  python3 "$REPO/bench/profile_bench.py" measure --host "$host" --run-dir "$RUN_DIR" --target "$TARGET" \
    --worker "$WORKER" --configs "$CONFIGS" --seconds "$SECONDS_PER_WINDOW" --skip "$SKIP" --rounds "$(rounds_of "$host")" $( ((PIN)) && echo --pin ) &
  MEASURE_PID=$!
  wait "$MEASURE_PID" || die "the $host phase failed (raw data in $RUN_DIR)"
  MEASURE_PID=""
  o1=$(others_ms) t1=$(date +%s.%N)
  echo "OTHERS_${host^^}=$(python3 -c "w=$t1-$t0; o=($o1-$o0)/1000; print(f'{o:.1f} CPU-s in {w:.0f} s ({100*o/(w*$(nproc)):.1f} % of the CPUs)')")" >>"$RUN_DIR/meta.env"
  if [[ $host == saturated ]]; then
    stop_load
    wakeups=$(awk '/^wakeups/ {print $2}' "$RUN_DIR/host_load.out")
    echo "HOST_LOAD_SATURATED=$(python3 -c "w=$(date +%s.%N)-$load_t0; n=${wakeups:-0}; print(f'{n:,} wake-ups in {w:.0f} s ({n/w:,.0f}/s)')")" >>"$RUN_DIR/meta.env"
  fi
done
{
  echo "DATE_END=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$RUN_DIR/meta.env"

write=()
((WRITE)) && write=(--benchmarks-md "$REPO/BENCHMARKS.md")
python3 "$REPO/bench/profile_bench.py" summarize "$RUN_DIR" "${write[@]}"
