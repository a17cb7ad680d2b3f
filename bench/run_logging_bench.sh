#!/usr/bin/env bash
# run_logging_bench.sh — what a log call costs the caller: dropped (sampled out, level off) and
# written, through dbgcoord's selective logging and through plain spdlog, in one run (rounds
# interleaved). Prints the JSON of bench/logging_bench.cpp plus the machine; --write appends a
# section to BENCHMARKS.md.
# usage: bench/run_logging_bench.sh [--write] [ROUNDS] [DROPPED_N] [WRITTEN_N]
set -euo pipefail
cd "$(dirname "$0")/.."
write=0
if [[ "${1:-}" == "--write" ]]; then write=1; shift; fi
BUILD_DIR=${BUILD_DIR:-build}
cmake --build "$BUILD_DIR" -j2 --target logging_bench >/dev/null
bin="$BUILD_DIR/bin/logging_bench"
load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
result=$("$bin" "$@")
echo "$result"
echo "machine: $cpu, $(nproc) cores, load average $load"
if ((write)); then
  {
    echo
    echo "## Logging cost benchmark — run of $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "Machine: $cpu, $(nproc) cores, load average $load at the start (other agents were building and"
    echo "testing on the same 2 cores: absolute numbers are noisy; the side-by-side ratio is the result)."
    echo "Command: \`bench/run_logging_bench.sh --write $*\`"
    echo
    echo '```json'
    echo "$result"
    echo '```'
    cat <<'TEXT'

Median ns per call in the caller over the rounds (the message `worker {} replaced: {}` with an
integer and a string). `ours_dropped_sampled`: `DBG_LOG_WARN` at rate 0 after its first
occurrence (window check, thread-local random number, one relaxed counter);
`ours_dropped_level_off`: `DBG_LOG_DEBUG` with debug off; `plain_spdlog_dropped_level_off`:
`spdlog::debug` filtered by spdlog's own level; `*_written`: the same asynchronous logger (queue
10,000, the gzip-rotating file, no console) in batches of `written_n`, below the queue size so
nothing is overrun, and which of the two goes first alternates by round: the caller pays for
formatting the payload and queueing it. Written batches are short (about a millisecond), so their
medians move from run to run on a loaded machine. The logger thread's own CPU for every line of
the run is `logger_thread_cpu_seconds`.
TEXT
  } >> BENCHMARKS.md
fi
