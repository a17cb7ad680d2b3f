#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test through CTest, then each fuzz target for
# FUZZ_SECONDS (default 30; 0 skips them) from its committed corpus (bench/fuzz: a clang build in
# build-fuzz-ci/). Exit status: non-zero when CTest or a fuzz target failed.
# usage: scripts/test.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Crash-capture tests change the host-global core_pattern; each restores it (CorePatternGuard), and
# a test that died leaves the original in this file, written back here whatever happens.
restore_core_pattern() {
  local saved=/run/dbgcoord-test-core_pattern.saved
  if [[ -f $saved ]]; then cat "$saved" >/proc/sys/kernel/core_pattern && rm -f "$saved"; fi
}
trap restore_core_pattern EXIT
cd "${BUILD_DIR:-build}"
# Integration tests start targets and servers of their own; run them one at a time on 2 cores
# so timing-sensitive captures are not starved.
status=0
ctest --output-on-failure --timeout 300 "$@" || status=$?
cd - >/dev/null
if [[ "${FUZZ_SECONDS:-30}" != 0 ]]; then
  # -O0 unless told otherwise: for 30 s runs the clang build is the larger cost (own build dir,
  # so a developer's -O1 build-fuzz/ is left alone).
  FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz-ci} FUZZ_OPT=${FUZZ_OPT:--O0} bench/fuzz "${FUZZ_SECONDS:-30}" || status=1
fi
exit $status
