#!/bin/sh
# Prints the packaged /etc/dbgcoord/dbgcoord.conf: `dbgcoord --help-config` (every key commented
# out with its help and default) with each key of the overlay file set by the overlay's line.
# A key of the overlay that --help-config has no line for is an error, so a renamed flag cannot
# leave the package's choice silently unapplied.
# usage: packaging/gen_conf.sh DBGCOORD OVERLAY > packaging/dbgcoord.conf
set -eu
bin=$1 overlay=$2
[ -r "$overlay" ] || { echo "gen_conf.sh: cannot read $overlay" >&2; exit 1; }
template=$("$bin" --help-config)
printf '%s\n' "$template" | awk -v overlay="$overlay" '
  BEGIN {
    while ((getline line < overlay) > 0) {
      if (line ~ /^[ \t]*(#|$)/) continue
      key = line
      sub(/[ \t]*=.*/, "", key)
      set[key] = line
    }
  }
  # A default line of the template is "#KEY = VALUE".
  /^#[a-z0-9-]+ = / {
    key = substr($0, 2)
    sub(/ = .*/, "", key)
    if (key in set) { print set[key]; done[key] = 1; next }
  }
  { print }
  END {
    for (key in set) if (!(key in done)) { print "gen_conf.sh: no key \"" key "\" in --help-config" > "/dev/stderr"; bad = 1 }
    exit bad
  }'
