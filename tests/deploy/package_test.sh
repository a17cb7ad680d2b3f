#!/usr/bin/env bash
# coordinator_package_test: cpack builds dbgcoord_<version>_amd64.deb from the built tree (into a
# temporary directory), `dpkg-deb -c` lists what it must, the control file has Depends from
# dpkg-shlibdeps and the conffile, and the binary extracted from the package (dpkg-deb -x into a
# temporary root, nothing installed on this machine) checks the shipped config file and serves
# /healthz from a config file. Needs dbgcoord, dbg-worker and the man page built
# (scripts/package.sh builds exactly those).
# usage: package_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$1 version=$2
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=start_from_config.sh
. "$(dirname "$0")/start_from_config.sh"

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log" >&2; fail "cpack"; }
deb=$tmp/out/dbgcoord_${version}_amd64.deb
[[ -f $deb ]] || fail "no $deb: $(ls "$tmp/out")"

listing=$(dpkg-deb -c "$deb")
for path in ./usr/bin/dbgcoord ./usr/bin/dbg-worker ./lib/systemd/system/dbgcoord.service \
  ./etc/dbgcoord/dbgcoord.conf ./usr/share/man/man1/dbgcoord.1.gz ./usr/share/man/man1/dbg-worker.1.gz \
  ./usr/share/doc/dbgcoord/README.md; do
  grep -q " $path\$" <<<"$listing" || fail "the package lacks $path"
done
grep -q "^-rwxr-xr-x root/root .* ./usr/bin/dbgcoord$" <<<"$listing" || fail "dbgcoord not root-owned 0755"
grep -q "/build/\|/work/" <<<"$listing" && fail "a build path leaked into the package"

control=$(dpkg-deb -f "$deb" Package Version Architecture Depends)
grep -qx "Package: dbgcoord" <<<"$control" || fail "control: $control"
grep -qx "Version: $version" <<<"$control" || fail "control: $control"
grep -q "^Depends: .*libc6.*libdw1.*libsqlite3-0" <<<"$control" || fail "Depends not from the libraries: $control"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/dbgcoord/dbgcoord.conf || fail "no conffile"
# The maintainer scripts (packaging/maintainer/): executable, POSIX sh, stopping at the first error.
ctrl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -tv)
for script in postinst prerm postrm; do
  grep -q "^-rwxr-xr-x root/root .* ./$script$" <<<"$ctrl" || fail "no executable $script: $ctrl"
  body=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO "./$script")
  [[ $(head -n1 <<<"$body") == '#!/bin/sh' ]] || fail "$script is not a /bin/sh script"
  grep -qx 'set -e' <<<"$body" || fail "$script lacks set -e"
done

# lintian: no errors and no warnings (dbg-worker has its page, the maintainer scripts go through
# deb-systemd-helper and deb-systemd-invoke, not systemctl, but for daemon-reload).
for doc in ./usr/share/doc/dbgcoord/copyright ./usr/share/doc/dbgcoord/changelog.gz; do
  grep -q " $doc\$" <<<"$listing" || fail "the package lacks $doc"
done
# --fail-on error,warning: exit 0 only when lintian ran and found neither (a missing lintian is 127).
rc=0
lintian --fail-on error,warning --tag-display-limit 0 "$deb" >"$tmp/lintian.txt" 2>&1 || rc=$?
grep -v 'running with root privileges' "$tmp/lintian.txt" >&2 || true
((rc == 0)) || fail "lintian (exit $rc): $(grep '^[EW]: ' "$tmp/lintian.txt")"

# The packaged binary, run from a temporary root.
root=$tmp/root
dpkg-deb -x "$deb" "$root"
[[ $("$root/usr/bin/dbgcoord" --check-config --config "$root/etc/dbgcoord/dbgcoord.conf") == ok ]] ||
  fail "the shipped config file does not check"
zcat "$root/usr/share/man/man1/dbgcoord.1.gz" | grep -q '^\.TH DBGCOORD 1' || fail "man page"
zcat "$root/usr/share/man/man1/dbg-worker.1.gz" | grep -q "^\.TH DBG\\\\-WORKER 1 \"\" \"dbgcoord $version\"" ||
  fail "dbg-worker's man page or its version"
printf 'listen = 127.0.0.1:0\ndata-dir = %s\n' "$tmp/data" >"$tmp/c.conf"
start_from_config "$root/usr/bin/dbgcoord" "$tmp/c.conf" "$tmp/data" "$tmp"
curl -fsS "$url/healthz" >/dev/null || fail "no /healthz at $url"
echo ok
