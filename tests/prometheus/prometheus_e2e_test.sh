#!/usr/bin/env bash
# A real Prometheus scraping three real dbgcoord (hosts a, b, c) with the shipped scrape config
# and rules (docs/prometheus.yml, docs/prometheus-rules.yml), answering through its HTTP API:
# dbgcoord_host_info names all three, and "which hosts have open crash groups" answers a only
# (b has an open group that is no crash, c a crash group that was resolved).
# usage: prometheus_e2e_test.sh DBGCOORD SOURCE_DIR
set -euo pipefail
dbgcoord=$1
src=$2
prometheus=${PROMETHEUS:-prometheus}
promtool=${PROMTOOL:-promtool}
deadline_s=${PROMETHEUS_E2E_WAIT_S:-60}

tmp=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# To stderr: a failure inside $(...) would otherwise vanish into the captured output.
fail() {
  echo "FAIL: $*" >&2
  [[ -f $tmp/prometheus.log ]] && { echo "--- prometheus log (tail)"; tail -n 20 "$tmp/prometheus.log"; } >&2
  exit 1
}

# One token for every host (dbgcoord --token-file), as docs/prometheus.yml's single job wants.
umask 077
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token"
token=$(cat "$tmp/token")
umask 022

# start_host NAME [dbgcoord flags...]: starts dbgcoord on a free port; sets url_NAME.
start_host() {
  local name=$1
  shift
  mkdir -p "$tmp/$name"
  "$dbgcoord" --listen 127.0.0.1:0 --data-dir "$tmp/$name" --token-file "$tmp/token" --host-name "$name" "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  local url=
  for _ in $(seq 100); do
    url=$(grep -o '^dashboard: http://127\.0\.0\.1:[0-9]*' "$tmp/$name.out" | sed 's/^dashboard: //') || true
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { cat "$tmp/$name.err"; fail "dbgcoord $name did not start"; }
  printf -v "url_$name" '%s' "$url"
}

# api HOST_URL METHOD PATH [BODY]: the body of a 2xx answer, else fail.
api() {
  local out status body=()
  [[ $# -ge 4 ]] && body=(--data "$4")
  out=$(curl -sS -w '\n%{http_code}' -X "$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    "${body[@]}" "$1$3")
  status=${out##*$'\n'}
  [[ $status == 2* ]] || fail "$2 $1$3 answered $status: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}

start_host a
start_host b
start_host c --host-labels role=db,zone=eu_1

# An event of the crash kind through the API: its type names a signal, so its group is a crash
# group whoever reported it (coordinator/errors/open_groups.hpp).
crash='{"type":"SIGSEGV/SEGV_MAPERR","message":"boom","comm":"shop","frames":[{"function":"shop::crash()","module":"shop","offset":"0x10"}]}'
reported='{"type":"ValueError","message":"bad value","comm":"shop","frames":[{"function":"parse","module":"shop.py","offset":"0x1"}]}'
api "$url_a" POST /api/v1/errors/events "$crash" >/dev/null
api "$url_b" POST /api/v1/errors/events "$reported" >/dev/null
group_c=$(api "$url_c" POST /api/v1/errors/events "$crash" | jq -r '.group_ids[0]')
api "$url_c" PATCH "/api/v1/errors/$group_c" '{"status":"resolved"}' >/dev/null

# Each /metrics as Prometheus will read it.
metrics_a=$(api "$url_a" GET /metrics)
grep -qx 'dbgcoord_error_groups_open{kind="crash"} 1' <<<"$metrics_a" || fail "a's /metrics lacks 1 open crash group"
grep -qx 'dbgcoord_error_groups_open{kind="crash"} 0' <<<"$(api "$url_b" GET /metrics)" || fail "b shows open crash groups"
grep -qx 'dbgcoord_error_groups_open{kind="reported"} 1' <<<"$(api "$url_b" GET /metrics)" || fail "b lacks its reported group"
grep -qx 'dbgcoord_error_groups_open{kind="crash"} 0' <<<"$(api "$url_c" GET /metrics)" || fail "c's resolved group counts as open"
grep -q '^dbgcoord_host_info{host="c",version="[^"]*",boot_id="[^"]*",label_role="db",label_zone="eu_1"} 1$' \
  <<<"$(api "$url_c" GET /metrics)" || fail "c's dbgcoord_host_info lacks its name or labels"
# No token, no metrics: Prometheus needs the credentials file.
[[ $(curl -s -o /dev/null -w '%{http_code}' "$url_a/metrics") == 401 ]] || fail "/metrics answered without the token"

# The rules name only metrics dbgcoord exposes (histograms by their _bucket series; recording
# rules, level:metric:operation, are theirs).
for name in $(grep -oE '(^|[^:a-z0-9_])dbgcoord_[a-z0-9_]*' "$src/docs/prometheus-rules.yml" |
  sed -E 's/^[^d]//; s/_bucket$//' | sort -u); do
  grep -q "^# TYPE $name " <<<"$metrics_a" || fail "docs/prometheus-rules.yml names $name, which /metrics does not have"
done

# Prometheus with the shipped config beside its token and target files, every 1 s instead of 15 s.
conf=$tmp/prom
mkdir -p "$conf"
cp "$src/docs/prometheus-rules.yml" "$conf/"
sed -e 's/^\(  scrape_interval:\) 15s$/\1 1s/' -e 's/^\(  evaluation_interval:\) 15s$/\1 1s/' \
  "$src/docs/prometheus.yml" >"$conf/prometheus.yml"
grep -q '^  scrape_interval: 1s$' "$conf/prometheus.yml" || fail "docs/prometheus.yml has no 15s scrape_interval to shorten"
cp "$tmp/token" "$conf/dbgcoord.token"
printf -- '- targets: ["%s", "%s", "%s"]\n' "${url_a#http://}" "${url_b#http://}" "${url_c#http://}" \
  >"$conf/dbgcoord-targets.yml"
"$promtool" check config "$conf/prometheus.yml" >/dev/null || fail "promtool refuses the config"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$prometheus" --config.file "$conf/prometheus.yml" --storage.tsdb.path "$tmp/tsdb" \
  --web.listen-address "127.0.0.1:$port" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
prom=http://127.0.0.1:$port

# by_host PROMQL: the result as "host=value" words, sorted by host, on one line.
by_host() {
  curl -sS --get --data-urlencode "query=$1" "$prom/api/v1/query" 2>/dev/null |
    jq -r '.data.result[] | "\(.metric.host)=\(.value[1])"' 2>/dev/null | sort | tr '\n' ' ' || true
}

want_rules=$(grep -cE '^      - (alert|record):' "$conf/prometheus-rules.yml")
open_crash='dbgcoord_error_groups_open{kind="crash"} * on(instance) group_left(host) dbgcoord_host_info > 0'
hosts= labels= open= alert= rules=
for _ in $(seq $((deadline_s * 2))); do
  hosts=$(by_host 'dbgcoord_host_info')
  labels=$(by_host 'dbgcoord_host_info{label_role="db",label_zone="eu_1"}')
  open=$(by_host "$open_crash")
  alert=$(by_host 'ALERTS{alertname="DbgcoordOpenCrashGroups"}')
  # Every rule evaluated, without an error, on real data.
  rules=$(curl -sS "$prom/api/v1/rules" 2>/dev/null |
    jq -r '[.data.groups[].rules[] | select(.health == "ok")] | length' 2>/dev/null || echo 0)
  if [[ $hosts == "a=1 b=1 c=1 " && $labels == "c=1 " && $open == "a=1 " && $alert == "a=1 " && $rules == "$want_rules" ]]; then
    echo "ok: Prometheus names hosts ($hosts), open crash groups by host ($open), alert for ($alert), $rules rules healthy"
    exit 0
  fi
  sleep 0.5
done
fail "after ${deadline_s}s: dbgcoord_host_info '$hosts' (want a=1 b=1 c=1), with c's labels '$labels' (want c=1)," \
  "open crash groups '$open' (want a=1), DbgcoordOpenCrashGroups '$alert' (want a=1), healthy rules $rules (want $want_rules)"
