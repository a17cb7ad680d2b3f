#!/usr/bin/env bash
# Retakes the screenshots in docs/img/dashboard-*.png (used by docs/dashboard.md): runs the
# dashboard's browser tests with DBG_DOCS_IMG_DIR set, so the views they reach are copied there.
# The images are therefore always of the real dashboard on a real dbgcoord.
# usage: scripts/dashboard_screenshots.sh   (after a build; BUILD_DIR defaults to build)
set -euo pipefail
cd "$(dirname "$0")/.."
DBG_DOCS_IMG_DIR="$PWD/docs/img" ctest --test-dir "${BUILD_DIR:-build}" -R '^dashboard_browser_test$' --output-on-failure
ls docs/img/dashboard-*.png
