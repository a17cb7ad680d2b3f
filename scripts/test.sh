#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test through CTest. Exit status is CTest's.
# usage: scripts/test.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd "${BUILD_DIR:-build}"
# Integration tests start targets and servers of their own; run them one at a time on 2 cores
# so timing-sensitive captures are not starved.
ctest --output-on-failure --timeout 300 "$@"
