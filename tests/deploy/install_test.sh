#!/usr/bin/env bash
# coordinator_install_test: the package really installs, into a temporary root. cpack builds the
# .deb into a temporary directory; `dpkg --root=ROOT --force-script-chrootless` installs it there
# (the maintainer scripts run with DPKG_ROOT=ROOT and no systemd: they must not fail); the files
# land, the conffile is registered and the unit enabled but not started. The INSTALLED binary,
# with a config file written into that root, serves /healthz with its data in ROOT/var/lib/dbgcoord,
# and refuses a bad config file with its line number (exit 2). `dpkg --remove` keeps the conffile
# and the state directory, `dpkg --purge` removes both. This machine's own dpkg database, /etc,
# /var/lib and systemd links are checked to be unchanged.
# usage: install_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$1 version=$2
tmp=$(mktemp -d)
root=$tmp/root
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=start_from_config.sh
. "$(dirname "$0")/start_from_config.sh"

# What this machine has of dbgcoord: the same after the test, whatever it was before.
real_state() {
  dpkg-query -W -f='${Status}\n' dbgcoord 2>&1 || true
  local path
  for path in /usr/bin/dbgcoord /etc/dbgcoord /var/lib/dbgcoord /lib/systemd/system/dbgcoord.service \
    /etc/systemd/system/multi-user.target.wants/dbgcoord.service /var/lib/systemd/deb-systemd-helper-enabled; do
    [[ -e $path || -L $path ]] && find "$path" -printf '%p %y %m\n' 2>/dev/null
  done
  return 0
}
before=$(real_state)

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log" >&2; fail "cpack"; }
deb=$tmp/out/dbgcoord_${version}_amd64.deb
[[ -f $deb ]] || fail "no $deb: $(ls "$tmp/out")"

# The admin directory a fresh root needs (dpkg(1), --root): an empty status file and the
# updates and info directories. The package's Depends (libc6, ...) are not in this root: forced.
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
: >"$root/var/lib/dpkg/status"
in_root() { dpkg --root="$root" --force-not-root --force-script-chrootless --log=/dev/null "$@"; }
status_in_root() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' dbgcoord 2>/dev/null || true; }

in_root --force-depends -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "dpkg -i"; }
[[ $(status_in_root) == "install ok installed" ]] || fail "status after install: '$(status_in_root)'"
for path in usr/bin/dbgcoord usr/bin/dbg-worker lib/systemd/system/dbgcoord.service etc/dbgcoord/dbgcoord.conf \
  usr/share/man/man1/dbgcoord.1.gz usr/share/man/man1/dbg-worker.1.gz usr/share/doc/dbgcoord/copyright; do
  [[ -f $root/$path ]] || fail "not installed: /$path"
done
dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Conffiles}' dbgcoord | grep -q '^ /etc/dbgcoord/dbgcoord.conf [0-9a-f]\{32\}$' ||
  fail "dbgcoord.conf is not a registered conffile"
# postinst enabled the unit (deb-systemd-helper, inside the root) and did not start it (no
# systemd to start it with here; the choice is documented in packaging/maintainer/postinst).
wants=$root/etc/systemd/system/multi-user.target.wants/dbgcoord.service
if command -v deb-systemd-helper >/dev/null; then
  [[ $(readlink "$wants") == /lib/systemd/system/dbgcoord.service ]] || fail "unit not enabled in the root: $(ls -l "$wants" 2>&1)"
fi
[[ -d $root/var/lib/dbgcoord ]] && fail "the state directory exists before any start"

# The installed binary: the shipped file checks, a bad one is refused with its line.
bin=$root/usr/bin/dbgcoord
[[ $("$bin" --check-config --config "$root/etc/dbgcoord/dbgcoord.conf") == ok ]] || fail "the installed config file does not check"
printf 'listen = 127.0.0.1:0\n# two\nworkers = many\n' >"$root/etc/dbgcoord/bad.conf"
rc=0
"$bin" --check-config --config "$root/etc/dbgcoord/bad.conf" >"$tmp/bad.out" 2>"$tmp/bad.err" || rc=$?
((rc == 2)) || fail "--check-config on a bad file: exit $rc"
grep -q "^$root/etc/dbgcoord/bad.conf:3: workers: 'many' is not a whole number" "$tmp/bad.err" ||
  fail "no line number for the bad file: $(cat "$tmp/bad.err")"

# Served from a config file in the root: a free port on loopback, the data in the root's state dir.
printf 'listen = 127.0.0.1:0\ndata-dir = %s\n' "$root/var/lib/dbgcoord" >"$root/etc/dbgcoord/test.conf"
start_from_config "$bin" "$root/etc/dbgcoord/test.conf" "$root/var/lib/dbgcoord" "$tmp"
health=$(curl -fsS "$url/healthz") || fail "no /healthz at $url"
[[ $health == *'"status":"ok"'*"\"version\":\"$version\""* ]] || fail "/healthz: $health"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
((rc == 0)) || fail "the installed dbgcoord exited $rc on SIGTERM: $(cat "$tmp/err.txt")"
[[ -f $root/var/lib/dbgcoord/token && -f $root/var/lib/dbgcoord/dbgcoord.db ]] || fail "no token or database in the state dir"

# Remove keeps the conffile and our state; purge takes both (postrm) and the enable link.
in_root --remove dbgcoord >"$tmp/remove.log" 2>&1 || { cat "$tmp/remove.log" >&2; fail "dpkg --remove"; }
[[ $(status_in_root) == "deinstall ok config-files" ]] || fail "status after remove: '$(status_in_root)'"
[[ -e $root/usr/bin/dbgcoord ]] && fail "remove left /usr/bin/dbgcoord"
[[ -f $root/etc/dbgcoord/dbgcoord.conf ]] || fail "remove took the conffile"
[[ -f $root/var/lib/dbgcoord/token ]] || fail "remove took the state directory"
in_root --purge dbgcoord >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; fail "dpkg --purge"; }
[[ -z $(status_in_root) || $(status_in_root) == "unknown ok not-installed" ]] || fail "status after purge: '$(status_in_root)'"
for path in etc/dbgcoord var/lib/dbgcoord usr/bin/dbg-worker lib/systemd/system/dbgcoord.service; do
  [[ -e $root/$path ]] && fail "purge left /$path"
done
[[ -e $wants || -L $wants ]] && fail "purge left the enable link"

after=$(real_state)
[[ $after == "$before" ]] || fail "this machine changed: before '$before', after '$after'"
echo ok
