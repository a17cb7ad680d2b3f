#!/usr/bin/env bash
# run_watch_bench.sh — what does a crash watch cost the watched process?
#
# usage: bench/run_watch_bench.sh [--rounds N] [--seconds S] [--signals PER_S] [--threads PER_S]
#                                [--modes ptrace,core] [--crashes N]      (as root: core mode)
#
# Builds the benchmark target (bench/watch_bench_target.c), dbg-worker, dbgcoord and the crasher,
# then runs bench/watch_bench.py: rounds of runs of the target with no watch, under the ptrace
# watch and under the core mode, whose main thread counts units of CPU work per second while it
# receives SIGUSR1 at PER_S and another of its threads creates short-lived threads at PER_S.
# Under the ptrace watch every signal stops the target in a ptrace signal-delivery stop until
# the watcher passes it on, and every new thread is seized at birth; under the core mode the
# kernel only runs our handler if the process crashes. Then N crashes per mode through a real
# coordinator give the crash-to-group latency and the core handler's elapsed time and peak RSS.
# core_pattern is written back when the run ends, fails or is interrupted.
# Output: per-round numbers and the median overheads (JSON), also kept in
# build/bench/watch-<date>.json.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
mkdir -p "$BUILD/bench"
cmake --build "$BUILD" -j2 --target dbg-worker dbgcoord crasher_O2 >/dev/null
cc -O2 -pthread -o "$BUILD/bench/watch_bench_target" "$REPO/bench/watch_bench_target.c"
out="$BUILD/bench/watch-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 "$REPO/bench/watch_bench.py" --build "$BUILD" "$@" | tee "$out"
echo "raw: $out" >&2
