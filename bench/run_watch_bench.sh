#!/usr/bin/env bash
# run_watch_bench.sh — what does a crash watch cost the watched process?
#
# usage: bench/run_watch_bench.sh [--rounds N] [--seconds S] [--signals PER_S] [--threads PER_S]
#
# Builds the benchmark target (bench/watch_bench_target.c) and dbg-worker, then runs
# bench/watch_bench.py: rounds alternating unwatched and watched runs of the target, whose main
# thread counts units of CPU work per second while it receives SIGUSR1 at PER_S and another of
# its threads creates short-lived threads at PER_S. Every signal stops the watched target in a
# ptrace signal-delivery stop until the watcher passes it on; every new thread is seized at
# birth. Output: per-round numbers and the median overhead (JSON), also kept in
# build/bench/watch-<date>.json.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
mkdir -p "$BUILD/bench"
cmake --build "$BUILD" -j2 --target dbg-worker >/dev/null
cc -O2 -pthread -o "$BUILD/bench/watch_bench_target" "$REPO/bench/watch_bench_target.c"
out="$BUILD/bench/watch-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 "$REPO/bench/watch_bench.py" --build "$BUILD" "$@" | tee "$out"
echo "raw: $out" >&2
