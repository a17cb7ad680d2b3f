#!/usr/bin/env bash
# Installs exactly what dbgcoord needs on Debian 12 (idempotent), then configures and builds it.
# usage: scripts/setup.sh [--no-build] [--sanitize] [--bench]
#   --bench  also install the benchmarks' peers: wrk, nginx-light (bench/run_api_bench.sh), linux-perf
#            (perf record in bench/run_profile_bench.sh)
# Env: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/.."

# Options first: a bad one changes nothing.
build=1 sanitize=OFF bench=0
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --sanitize) sanitize=ON ;;
    --bench) bench=1 ;;
    *) echo "setup: unknown option $a (use --no-build, --sanitize, --bench)" >&2; exit 2 ;;
  esac
done

packages=(
  # toolchain
  g++ cmake make pkg-config ccache
  # libraries (all from Debian 12)
  libboost-dev libboost-test-dev libboost-filesystem-dev
  nlohmann-json3-dev libsqlite3-dev libspdlog-dev libfmt-dev
  libdw-dev libelf-dev zlib1g-dev
  # the fleet's client library (coordinator/fleet/: --fleet-db)
  libpq-dev
  # glibc's symbol table and DWARF (libc6-dbg): names of glibc's internal functions
  # (start_thread, __futex_abstimed_wait_common) in stacks, which the tests expect
  libc6-dbg
  # oracles and peers used by tests and benchmarks
  elfutils gdb util-linux procps curl python3
  # independent checks of the profile exports (tests/js: speedscope's schema, a pprof decoder)
  nodejs
  # the dashboard's browser tests (tests/browser: playwright-core drives Debian's chromium)
  chromium
  # the packaging checks (tests/coordinator_deploy_tests.cmake): man-db and groff render the man
  # page with warnings on; systemd-analyze verify checks the unit
  man-db groff-base systemd
  # the Debian package (scripts/package.sh, coordinator_package_test): dpkg-shlibdeps computes Depends;
  # lintian checks the package has no errors
  dpkg-dev lintian
  # promtool (in Debian 12's prometheus package): coordinator_ops_test checks /metrics with it
  prometheus
  # the fleet tests start their own PostgreSQL (initdb in a temporary directory, tests/fleet/)
  postgresql-15
  # libFuzzer and its sanitizers for the fuzz targets (fuzz/, bench/fuzz; scripts/test.sh runs them)
  clang-14 libclang-rt-14-dev
)
((bench)) && packages+=(wrk nginx-light linux-perf)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The profile tests validate exports with npm packages pinned in tests/js/package-lock.json.
# npm: Debian's own package, unless the installed nodejs already brings it (NodeSource's does,
# and Debian's npm would conflict with it).
if ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends npm
fi
if [[ ! -d tests/js/node_modules/pprof-format || tests/js/package-lock.json -nt tests/js/node_modules ]]; then
  echo "setup: installing the profile export validators (npm ci in tests/js)"
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi

# The dashboard's browser tests drive chromium with playwright-core, pinned in
# tests/browser/package-lock.json (no browser download: Debian's chromium is used).
if [[ ! -d tests/browser/node_modules/playwright-core || tests/browser/package-lock.json -nt tests/browser/node_modules ]]; then
  echo "setup: installing the dashboard test driver (npm ci in tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

((build)) || exit 0

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DDBG_SANITIZE="$sanitize"
cmake --build "$BUILD_DIR" -j "$(nproc)"
