#!/usr/bin/env bash
# coordinator_systemd_unit_test: systemd-analyze verify accepts packaging/dbgcoord.service with
# no warning at all. The unit names /usr/bin/dbgcoord, which need not exist here: a copy in a
# temporary directory points at the build's binary instead, and the man page its
# Documentation= names is found through MANPATH in the build. Changes nothing outside $tmp.
# usage: systemd_unit_test.sh SOURCE_DIR DBGCOORD_BINARY MAN_DIR
set -euo pipefail
src=$1 bin=$2 mandir=$3
unit=$src/packaging/dbgcoord.service
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# What the brief and docs promise about the unit itself.
grep -qx 'ExecStart=/usr/bin/dbgcoord --data-dir /var/lib/dbgcoord --config /etc/dbgcoord/dbgcoord.conf' "$unit" ||
  fail "ExecStart is not the documented command line"
for line in Type=notify StateDirectory=dbgcoord ProtectSystem=strict Restart=on-failure KillSignal=SIGTERM \
  NoNewPrivileges=yes ReadWritePaths=/proc/sys/kernel/core_pattern User=root; do
  grep -qx "$line" "$unit" || fail "unit lacks $line"
done
# The package's settings come from the config file alone: an Environment= or a flag in the unit
# would beat the file (flags > env > file) and the operator could not change them there.
grep -q '^Environment' "$unit" && fail "the unit sets environment variables"
grep '^Exec' "$unit" | grep -q -- '--crash-capture' && fail "the unit sets --crash-capture"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[[ -n $caps ]] || fail "no CapabilityBoundingSet"
for cap in $caps; do
  # Each capability has its reason in the comment above (a line "#   CAP_X  why").
  grep -q "^#   $cap " "$unit" || fail "$cap has no comment saying why"
done

sed "s|/usr/bin/dbgcoord|$bin|g" "$unit" >"$tmp/dbgcoord.service"
out=$(MANPATH=$mandir systemd-analyze verify "$tmp/dbgcoord.service" 2>&1) || fail "systemd-analyze verify: $out"
[[ -z $out ]] || fail "systemd-analyze verify warned: $out"
# And a broken copy is refused (the check is real).
sed 's|^Type=notify|Type=notifyy|' "$tmp/dbgcoord.service" >"$tmp/broken.service"
out=$(MANPATH=$mandir systemd-analyze verify "$tmp/broken.service" 2>&1) || true
[[ -n $out ]] || fail "systemd-analyze verify said nothing about Type=notifyy"
# The ExecStartPre check passes with the shipped config file.
"$bin" --check-config --config "$src/packaging/dbgcoord.conf" >/dev/null || fail "shipped config file does not check"
echo "ok"
