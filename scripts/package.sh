#!/usr/bin/env bash
# Builds the Debian package: only the installed targets, then cpack. Prints the .deb's path.
# usage: scripts/package.sh   Env: BUILD_DIR (default build), JOBS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
[[ -f $BUILD_DIR/CMakeCache.txt ]] || cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target dbgcoord dbg-worker dbgcoord_man dbgcoord_man_gz dbg_worker_man_gz dbgcoord_changelog_gz
(cd "$BUILD_DIR" && cpack -G DEB >&2)
ls "$BUILD_DIR"/dbgcoord_*_*.deb
