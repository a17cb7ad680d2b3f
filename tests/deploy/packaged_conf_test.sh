#!/usr/bin/env bash
# coordinator_packaged_conf_test: packaging/dbgcoord.conf is exactly what packaging/gen_conf.sh
# makes of this build's `dbgcoord --help-config` and packaging/dbgcoord.conf.overlay (so it fails
# when the file is stale), the package's choice (crash-capture = host) is an active line of it,
# the file checks, and gen_conf.sh refuses an overlay key --help-config does not have.
# usage: packaged_conf_test.sh SOURCE_DIR DBGCOORD
set -euo pipefail
src=$1 bin=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$src/packaging/gen_conf.sh" "$bin" "$src/packaging/dbgcoord.conf.overlay" >"$tmp/generated.conf"
diff -u "$src/packaging/dbgcoord.conf" "$tmp/generated.conf" >&2 ||
  fail "packaging/dbgcoord.conf is stale: regenerate with" \
    "packaging/gen_conf.sh build/bin/dbgcoord packaging/dbgcoord.conf.overlay > packaging/dbgcoord.conf"

conf=$src/packaging/dbgcoord.conf
grep -q '^crash-capture = host  # ' "$conf" || fail "the shipped file does not set crash-capture = host"
grep -q '^#crash-capture = ' "$conf" && fail "the default line of crash-capture is still there"
# Only the overlay's keys are active: every other key line is the commented-out default.
active=$(grep -v '^#' "$conf" | grep -c ' = ' || true)
((active == 1)) || fail "$active active lines, the overlay has 1"
[[ $("$bin" --check-config --config "$conf") == ok ]] || fail "the shipped file does not check"

# A key the flag table lacks (a renamed flag) is an error, not an overlay silently dropped.
printf 'crash-captur = host\n' >"$tmp/typo.overlay"
if "$src/packaging/gen_conf.sh" "$bin" "$tmp/typo.overlay" >/dev/null 2>"$tmp/err.txt"; then
  fail "gen_conf.sh accepted an unknown key"
fi
grep -q 'no key "crash-captur"' "$tmp/err.txt" || fail "gen_conf.sh's error: $(cat "$tmp/err.txt")"
echo ok
