#!/usr/bin/env bash
# Builds the project with AddressSanitizer and UndefinedBehaviorSanitizer (gcc, -DDBG_SANITIZE=ON)
# in its own build dir and runs the whole CTest suite there. Too slow for CI's budget (see
# BENCHMARKS.md, "Sanitizer run"): run it by hand before a release or after risky changes.
# usage: scripts/sanitize.sh [extra ctest arguments]      e.g. scripts/sanitize.sh -R faults
# Env: BUILD_DIR (default build-asan), SANITIZE_OPT (default "-O1 -g"), SANITIZE_TARGETS (build
# only these), SKIP_SETUP=1 skips the package check of scripts/setup.sh.
# Exit status: non-zero when the build, a test, or any sanitizer report (also from a child
# process such as dbg-worker, whose exit a test may tolerate) failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${BUILD_DIR:-build-asan}

[[ "${SKIP_SETUP:-0}" == 1 ]] || scripts/setup.sh --no-build
# -O1: what the sanitizers' docs recommend (readable reports), and the build of ~210 instrumented
# files is a good deal shorter than at -O2 on 2 cores. SANITIZE_OPT="-O0 -g1" halves it again
# (slower tests); the test targets keep their own -O2 -g either way.
opt=${SANITIZE_OPT:--O1 -g}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDBG_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt -DNDEBUG" \
  >"$build.cmake.log" 2>&1 ||
  { cat "$build.cmake.log"; exit 1; }
# SANITIZE_TARGETS="dbg-worker worker_snapshot_test ...": build only those (with a matching
# ctest -R), for a partial run when the whole build does not fit the time at hand.
targets=()
[[ -n "${SANITIZE_TARGETS:-}" ]] && read -ra targets <<<"--target $SANITIZE_TARGETS"
cmake --build "$build" -j "$(nproc)" "${targets[@]}" >"$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }

# Every sanitized process the tests start (dbgcoord, dbg-worker, test executables) writes its
# reports to reports/<name>.<pid>: a worker's report would otherwise only show as a failed job
# that a fault test may expect anyway.
reports="$root/$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error: the first report fails the process, so a test cannot pass over it.
# detect_leaks=1: LeakSanitizer runs at exit of every sanitized process. It cannot run in a
# process that is being ptraced; our ptraced processes are the test targets (tests/targets), which
# are built without sanitizers, so no exception is needed for them.
# Suppressions (scripts/sanitize.supp) are for third-party code only.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=0:check_initialization_order=1:strict_init_order=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export LSAN_OPTIONS="suppressions=$root/scripts/sanitize.supp:print_suppressions=0"

# dbgcoord's own budget (50 MiB resident, 5% of a core by default) sheds new sessions with 503
# when exceeded; ASan's shadow memory and quarantine alone pass 50 MiB, and instrumented code
# is 2-3 times slower. Tests that test the budget pass their own --budget-* flags, which win.
export DBGCOORD_BUDGET_RSS_MB=${DBGCOORD_BUDGET_RSS_MB:-1024}
export DBGCOORD_BUDGET_CPU_PERCENT=${DBGCOORD_BUDGET_CPU_PERCENT:-100}

start=$(date +%s)
status=0
# -j1 as scripts/test.sh: integration tests time captures of their own targets on 2 cores, and
# sanitized code is 2-3 times slower.
# Every test runs (coordinator_budget_test gives its within-budget case an explicit budget when
# built with ASan).
(cd "$build" && ctest --output-on-failure --timeout 900 "$@") || status=$?
end=$(date +%s)

if compgen -G "$reports/*" >/dev/null; then
  echo "sanitize: sanitizer reports:" >&2
  for f in "$reports"/*; do echo "== $f" >&2; head -60 "$f" >&2; done
  status=1
fi
echo "sanitize: ctest took $((end - start)) s; status $status"
exit $status
