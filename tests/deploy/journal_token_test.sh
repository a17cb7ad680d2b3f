#!/usr/bin/env bash
# Under systemd stdout is the journal (JOURNAL_STREAM names it): the real dbgcoord's dashboard
# line must then leave the token out and say where it is; elsewhere it carries ?token=.
# usage: journal_token_test.sh DBGCOORD
set -euo pipefail
dbgcoord=$1
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# run NAME [journal]: starts dbgcoord with stdout on $tmp/NAME.out, waits for its dashboard line.
run() {
  local out=$tmp/$1.out
  : >"$out"
  if [[ ${2:-} == journal ]]; then
    JOURNAL_STREAM=$(stat -c '%d:%i' "$out") "$dbgcoord" --listen 127.0.0.1:0 --data-dir "$tmp/data" >"$out" 2>/dev/null &
  else
    env -u JOURNAL_STREAM "$dbgcoord" --listen 127.0.0.1:0 --data-dir "$tmp/data" >"$out" 2>/dev/null &
  fi
  pid=$!
  for _ in $(seq 100); do grep -q '^dashboard: ' "$out" && break; sleep 0.1; done
  kill "$pid"; wait "$pid" || true; pid=
  grep '^dashboard: ' "$out" || { echo "FAIL: no dashboard line in $1"; exit 1; }
}

line=$(run plain)
token=$(cat "$tmp/data/token")
[[ $line == *"?token=$token"* ]] || { echo "FAIL: without the journal the URL lacks the token: $line"; exit 1; }

line=$(run journal journal)
if grep -qF "$token" "$tmp/journal.out"; then echo "FAIL: the token reached the journal stream: $line"; exit 1; fi
[[ $line == "dashboard: http://127.0.0.1:"*"/ (token: $tmp/data/token)" ]] || { echo "FAIL: unexpected line: $line"; exit 1; }
echo "ok: token kept out of the journal ($line)"
