#!/usr/bin/env bash
# run_fleet_bench.sh — the fleet (issue 21 part 7): 100 simulated hosts publishing error events
# into one PostgreSQL, one real dbgcoord end to end, the merged groups list over 100,000
# groups / 10 M events through a real dbgcoord, and a fleet snapshot session over three
# coordinators against a single-host session. Run as root (PostgreSQL runs as `postgres`).
#
# usage: bench/run_fleet_bench.sh [--seconds S] [--steps "R1 R2 ..."] [--step-seconds S]
#                                 [--requests N] [--no-e2e] [--no-sessions] [--session-rounds N] [--no-write]
#
#   --seconds S       measured seconds at the goal point (100 hosts x 1,000 events/s); default 60
#   --steps "R ..."   further offered rates per host (events/s) for the max sustained rate, run in
#                     order, stopping after the first with a backlog left; default "1250 1500 2000 5000"
#   --step-seconds S  measured seconds of each step; default 20
#   --requests N      requests of each kind of GET /api/v1/fleet/errors; default 1000
#   --no-e2e          skip the real dbgcoord end-to-end run
#   --no-sessions     skip the fleet sessions part (3)
#   --session-rounds N  single-host and fleet sessions of part 3, alternating; default 10
#   --no-write        print the section; leave BENCHMARKS.md alone
#
# A throwaway PostgreSQL 15 (Debian's postgresql-15): initdb in a temporary directory, a unix
# socket there and no TCP port, stopped and removed on any exit (trap). The write path's driver
# is bench/fleet_bench.cpp (links dbg_coordinator_core: the real fleet::ship), the data set of
# the reads is bench/fleet_fill.sql, the HTTP side bench/fleet_bench.py. Raw results go to
# build/bench/fleet-run-<date>/; the "Fleet benchmark" section of BENCHMARKS.md (between the
# fleet-bench markers) is rewritten.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_GOAL=60
STEPS="1250 1500 2000 5000"
STEP_SECONDS=20
REQUESTS=1000
E2E=1
SESSIONS=1
SESSION_TARGETS=8
SESSION_THREADS=4
SESSION_ROUNDS=10
WRITE=1
PGBIN=/usr/lib/postgresql/15/bin
PGPORT=54341

die() { echo "run_fleet_bench: $*" >&2; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) SECONDS_GOAL=${2:?}; shift 2 ;;
    --steps) STEPS=${2?}; shift 2 ;;
    --step-seconds) STEP_SECONDS=${2:?}; shift 2 ;;
    --requests) REQUESTS=${2:?}; shift 2 ;;
    --no-e2e) E2E=0; shift ;;
    --no-sessions) SESSIONS=0; shift ;;
    --session-rounds) SESSION_ROUNDS=${2:?}; shift 2 ;;
    --no-write) WRITE=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in SECONDS_GOAL STEP_SECONDS REQUESTS SESSION_ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
for r in $STEPS; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "--steps: '$r' is not a positive integer"; done
((EUID == 0)) || die "run as root (PostgreSQL is started as the postgres user with runuser)"
[[ -x $PGBIN/initdb ]] || die "no $PGBIN/initdb: install postgresql-15 (scripts/setup.sh)"
getent passwd postgres >/dev/null || die "no postgres user: install postgresql-15"
command -v psql >/dev/null || die "psql not found (postgresql-client-15)"
[[ -f $REPO/build/CMakeCache.txt ]] || die "no configured build in $REPO/build (run cmake -S . -B build first)"
log "building dbgcoord, dbg-worker and fleet_bench"
nice cmake --build "$REPO/build" -j2 --target dbgcoord dbg-worker fleet_bench >/dev/null || die "cmake --build failed"
BIN=$REPO/build/bin

RUN_DIR=$REPO/build/bench/fleet-run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN_DIR"
PGDIR=
COORD_PID=
COORD_DATA=
LOAD_PID=
WAITS_PID=
FLEET_PIDS=()
FLEET_DATA=()
TARGET_PIDS=()
# The three coordinators of the sessions part and their targets.
stop_fleet() {
  local p
  # unshare --fork does not pass SIGTERM on: stop its child (dbgcoord, PID 1 of the namespace,
  # whose end ends the namespace and its targets), then unshare ends by itself.
  for p in "${FLEET_PIDS[@]}"; do
    for c in $(pgrep -P "$p" 2>/dev/null); do kill -TERM "$c" 2>/dev/null || true; done
  done
  for p in "${FLEET_PIDS[@]}"; do
    for ((k = 0; k < 100; k++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  for p in "${TARGET_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for p in "${FLEET_DATA[@]}"; do rm -rf "$p"; done
  FLEET_PIDS=() FLEET_DATA=() TARGET_PIDS=()
}
stop_coord() {
  if [[ -n $COORD_PID ]] && kill -0 "$COORD_PID" 2>/dev/null; then
    kill -TERM "$COORD_PID" 2>/dev/null || true
    wait "$COORD_PID" 2>/dev/null || true
  fi
  COORD_PID=
  [[ -n $COORD_DATA ]] && rm -rf "$COORD_DATA"
  COORD_DATA=
}
cleanup() {
  if [[ -n $WAITS_PID ]]; then kill -TERM "$WAITS_PID" 2>/dev/null || true; fi
  stop_fleet
  if [[ -n $LOAD_PID ]] && kill -0 "$LOAD_PID" 2>/dev/null; then kill -TERM "$LOAD_PID" 2>/dev/null || true; fi
  stop_coord
  if [[ -n $PGDIR && -d $PGDIR ]]; then
    if [[ -f $PGDIR/data/postmaster.pid ]]; then
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    cp "$PGDIR/log" "$RUN_DIR/postgres.log" 2>/dev/null || true
    rm -rf "$PGDIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL ---------------------------------------------------------------------------------
PGDIR=$(mktemp -d /tmp/dbgcoord-fleetbench-pg-XXXXXX)
chown postgres:postgres "$PGDIR"
log "initdb in $PGDIR"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 --locale=C >"$RUN_DIR/initdb.log" 2>&1 \
  || die "initdb failed: $(tail -5 "$RUN_DIR/initdb.log")"
PG_MAX_CONN=250
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$PGDIR' -c port=$PGPORT -c max_connections=$PG_MAX_CONN" \
  start >/dev/null || die "pg_ctl start failed: $(tail -5 "$PGDIR/log")"
CONNINFO="host=$PGDIR port=$PGPORT dbname=postgres user=postgres"
psql_q() { psql -X -At -v ON_ERROR_STOP=1 "$CONNINFO" "$@"; }
PG_VERSION=$(psql_q -c "SHOW server_version" | cut -d' ' -f1)

{
  printf 'date=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'command=%s\n' "$(echo "bench/run_fleet_bench.sh ${ARGS[*]+"${ARGS[*]}"}" | sed 's/ *$//')"
  printf 'run_dir=%s\n' "${RUN_DIR#"$REPO"/}"
  printf 'nproc=%s\n' "$(nproc)"
  printf 'cpu=%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  printf 'kernel=%s\n' "$(uname -sr)"
  printf 'load_start=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'pg_version=%s\n' "$PG_VERSION"
  printf 'pg_max_connections=%s\n' "$PG_MAX_CONN"
  printf 'pg_fs=%s\n' "$(df -T "$PGDIR" | awk 'NR==2 {print $2 " (" $1 ")"}')"
} >"$RUN_DIR/meta.env"

log "fleet schema (fleet::migrate_fleet)"
"$BIN/fleet_bench" migrate "$CONNINFO" >"$RUN_DIR/migrate.json" || die "migrate failed"

# --- 1. 100 simulated hosts ---------------------------------------------------------------------
PG_PID=$(head -1 "$PGDIR/data/postmaster.pid")
cpumark() { python3 "$REPO/bench/fleet_bench.py" cpumark $$ "$PG_PID"; }
# What PostgreSQL's active client backends wait on, every 0.5 s (until killed).
sample_waits() {
  while :; do
    psql_q -c "SELECT coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, 'running') FROM pg_stat_activity
               WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()" 2>/dev/null || true
    sleep 0.5
  done
}
# run_publish NAME ARGS...: fleet_bench publish with ARGS into publish-NAME.json, with the CPU of
# the bench (driver), of PostgreSQL and of everything else in publish-NAME.cpu, and the sampled
# wait events in publish-NAME.waits. Returns 1 when the run was not sustained.
run_publish() {
  local name=$1 m0 m1; shift
  local out=$RUN_DIR/publish-$name.json
  m0=$(cpumark)
  sample_waits >"$RUN_DIR/publish-$name.waits" &
  WAITS_PID=$!
  "$BIN/fleet_bench" publish "$CONNINFO" --hosts 100 "$@" >"$out" || true
  kill "$WAITS_PID" 2>/dev/null || true
  wait "$WAITS_PID" 2>/dev/null || true
  WAITS_PID=
  sleep 1  # the backends exit and are reaped into the postmaster's cutime
  m1=$(cpumark)
  echo "$m0 $m1" >"$RUN_DIR/publish-$name.cpu"
  cat "$out" >&2
  grep -q '"sustained":true' "$out"
}
log "100 hosts x 1,000 events/s for ${SECONDS_GOAL}s (+5 s warmup)"
run_publish 0001000 --rate-per-host 1000 --seconds "$SECONDS_GOAL" --warmup 5 --label goal \
  || log "WARNING: the goal point was not sustained"
for r in $STEPS; do
  log "100 hosts x $r events/s for ${STEP_SECONDS}s (+5 s warmup)"
  run_publish "$(printf '%07d' "$r")" --rate-per-host "$r" --seconds "$STEP_SECONDS" --warmup 5 --label step || break
done
# Controls: what the cost depends on. Rows, not events (10x the groups per batch at the goal
# rate), and rows shared by every host (the same rate as a step, without shared groups).
log "control: 1,000 events/s per host, 200 groups per batch (10x the rows)"
run_publish 0001000-g200 --rate-per-host 1000 --groups-per-batch 200 --seconds "$STEP_SECONDS" --warmup 5 \
  --label "control: 200 groups per batch" || true
log "control: 2,000 events/s per host, no shared groups (20 of the host's own per batch)"
run_publish 0002000-noshared --rate-per-host 2000 --shared-per-batch 0 --seconds "$STEP_SECONDS" --warmup 5 \
  --label "control: no shared groups" || true
# Nothing lost or doubled: what the hosts say they committed is what PostgreSQL holds, and the
# fleet-wide rows are the sums of the per-host ones.
sent=$(cat "$RUN_DIR"/publish-*.json | python3 -c 'import sys, json; print(sum(json.loads(l)["events_committed_total"] for l in sys.stdin if l.strip()))')
check=$(psql_q -c "SELECT (SELECT coalesce(sum(count), 0) FROM fleet_groups), (SELECT coalesce(sum(count), 0) FROM fleet_host_groups),
  (SELECT count(*) FROM fleet_groups), (SELECT count(*) FROM fleet_groups g WHERE hosts_affected <> (SELECT count(*) FROM fleet_host_groups h WHERE h.signature = g.signature))")
IFS='|' read -r c_groups c_hosts c_n c_bad <<<"$check"
printf 'publish_check=hosts committed %s events; fleet_groups holds %s, fleet_host_groups %s, in %s groups; %s groups with hosts_affected off\n' \
  "$sent" "$c_groups" "$c_hosts" "$c_n" "$c_bad" >>"$RUN_DIR/meta.env"
[[ $sent == "$c_groups" && $sent == "$c_hosts" && $c_bad == 0 ]] || die "publish check failed: sent $sent, PostgreSQL $check"
log "publish check: $sent events committed = fleet_groups = fleet_host_groups; hosts_affected right"

# --- one real dbgcoord end to end -------------------------------------------------------------
# start_coord NAME HOST: a dbgcoord in the fleet on a fresh data dir; sets COORD_PID, URL.
start_coord() {
  COORD_DATA=$(mktemp -d /tmp/dbgcoord-fleetbench-coord-XXXXXX)
  "$BIN/dbgcoord" --listen 127.0.0.1:0 --data-dir "$COORD_DATA" --fleet-db "$CONNINFO" --host-name "$2" \
    >"$RUN_DIR/$1.out" 2>"$RUN_DIR/$1.err" &
  COORD_PID=$!
  URL=
  for ((k = 0; k < 200; k++)); do
    URL=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$RUN_DIR/$1.out" 2>/dev/null || true)
    [[ -n $URL ]] && break
    kill -0 "$COORD_PID" 2>/dev/null || die "dbgcoord exited: $(cat "$RUN_DIR/$1.err")"
    sleep 0.05
  done
  [[ -n $URL ]] || die "dbgcoord printed no listening line"
  for ((k = 0; k < 200; k++)); do
    curl -sf -H "Authorization: Bearer $(cat "$COORD_DATA/token")" "$URL/api/v1/fleet" 2>/dev/null \
      | grep -q '"connected"' && return 0
    sleep 0.1
  done
  die "dbgcoord did not connect to the fleet database: $(tail -5 "$RUN_DIR/$1.err")"
}
if ((E2E)); then
  log "one real dbgcoord: 1,000 events/s for 30 s through POST /api/v1/errors/events"
  start_coord e2e-coord e2e-host
  python3 "$REPO/bench/fleet_bench.py" e2e --url "$URL" --token-file "$COORD_DATA/token" --rate 1000 --seconds 30 \
    --groups 20 --out "$RUN_DIR/e2e.json" >&2 || die "fleet_bench.py e2e failed"
  log "the same, while the 100 simulated hosts publish 100,000 events/s into the same PostgreSQL"
  "$BIN/fleet_bench" publish "$CONNINFO" --hosts 100 --rate-per-host 1000 --seconds 35 --warmup 5 \
    --label "during-e2e" >"$RUN_DIR/load-during-e2e.json" &
  LOAD_PID=$!
  sleep 7
  python3 "$REPO/bench/fleet_bench.py" e2e --url "$URL" --token-file "$COORD_DATA/token" --rate 1000 --seconds 30 \
    --groups 20 --out "$RUN_DIR/e2e-under-load.json" >&2 || die "fleet_bench.py e2e (under load) failed"
  wait "$LOAD_PID" || die "fleet_bench publish (during e2e) failed: $(cat "$RUN_DIR/load-during-e2e.json")"
  cat "$RUN_DIR/load-during-e2e.json" >&2
  stop_coord
fi

# --- 2. the merged groups list ------------------------------------------------------------------
log "filling 100,000 groups / 10 M events (bench/fleet_fill.sql)"
psql -X -q -At -v ON_ERROR_STOP=1 "$CONNINFO" -f "$REPO/bench/fleet_fill.sql" >"$RUN_DIR/fill.txt" || die "fill failed"
FILL=$(tail -1 "$RUN_DIR/fill.txt")
IFS='|' read -r f_groups f_events f_rows f_hevents f_h42 f_min <<<"$FILL"
[[ $f_groups == 100000 && $f_events == 10000000 && $f_hevents == 10000000 ]] || die "fill is off: $FILL"
printf 'fill=%s groups, %s events, %s fleet_host_groups rows (%s events), %s rows of host-042, least per-host count %s\n' \
  "$f_groups" "$f_events" "$f_rows" "$f_hevents" "$f_h42" "$f_min" >>"$RUN_DIR/meta.env"
log "fill: $FILL"
start_coord reads-coord reads-host
python3 "$REPO/bench/fleet_bench.py" reads --url "$URL" --token-file "$COORD_DATA/token" --requests "$REQUESTS" \
  --out "$RUN_DIR/reads.json" >&2 || die "fleet_bench.py reads failed"
stop_coord
# dbgcoord's queries (coordinator/fleet/fleet_reads.cpp), as it sends them.
{
  echo "-- GET /api/v1/fleet/errors?limit=100"
  psql_q -c "EXPLAIN (ANALYZE, BUFFERS) SELECT g.signature, g.error_class, g.type, g.message, g.count, g.hosts_affected, g.first_seen, g.last_seen FROM fleet_groups g ORDER BY g.last_seen DESC, g.signature LIMIT 100"
  echo "-- GET /api/v1/fleet/errors?limit=100&host=host-042"
  psql_q -c "EXPLAIN (ANALYZE, BUFFERS) SELECT g.signature, g.error_class, g.type, g.message, g.count, g.hosts_affected, g.first_seen, g.last_seen, h.count FROM fleet_host_groups h JOIN fleet_groups g USING (signature) WHERE h.host = 'host-042' ORDER BY h.last_seen DESC, g.signature LIMIT 100"
  echo "-- the per-host counts of the 100 listed groups"
  sigs=$(psql_q -c "SELECT '{' || string_agg(signature, ',') || '}' FROM (SELECT signature FROM fleet_groups ORDER BY last_seen DESC, signature LIMIT 100) s")
  psql_q -c "EXPLAIN (ANALYZE, BUFFERS) SELECT signature, host, count FROM fleet_host_groups WHERE signature = ANY('$sigs'::text[])"
} >"$RUN_DIR/explain.txt"
# The same three queries without HTTP and dbgcoord: pgbench, one client, sequential, per-statement
# latencies logged (-l), so the SQL's own p50/p99 can be told from the rest.
sig100=$(psql_q -c "SELECT '{' || string_agg(signature, ',') || '}' FROM (SELECT signature FROM fleet_groups ORDER BY last_seen DESC, signature LIMIT 100) s")
for q in all host per_host; do
  case $q in
    all) sql="SELECT g.signature, g.error_class, g.type, g.message, g.count, g.hosts_affected, g.first_seen, g.last_seen FROM fleet_groups g ORDER BY g.last_seen DESC, g.signature LIMIT 100;" ;;
    host) sql="SELECT g.signature, g.error_class, g.type, g.message, g.count, g.hosts_affected, g.first_seen, g.last_seen, h.count FROM fleet_host_groups h JOIN fleet_groups g USING (signature) WHERE h.host = 'host-042' ORDER BY h.last_seen DESC, g.signature LIMIT 100;" ;;
    per_host) sql="SELECT signature, host, count FROM fleet_host_groups WHERE signature = ANY('$sig100'::text[]);" ;;
  esac
  echo "$sql" >"$RUN_DIR/pgbench-$q.sql"
  (cd "$RUN_DIR" && "$PGBIN/pgbench" -n -M prepared -c 1 -t "$REQUESTS" -f "pgbench-$q.sql" \
     -l --log-prefix="pgbench-$q" -h "$PGDIR" -p "$PGPORT" -U postgres postgres >"pgbench-$q.out" 2>&1) \
     || die "pgbench $q failed: $(tail -3 "$RUN_DIR/pgbench-$q.out")"
done
# The plan lines and timings, without the buffers detail.
grep -E '^--|Limit|Sort|Scan|Join|Nested|Hash|Execution Time|Planning Time' "$RUN_DIR/explain.txt" \
  | grep -v 'Sort Key\|Presorted Key\|Sort Method\|Hash Cond\|Full-sort Groups' >"$RUN_DIR/explain_summary.txt"

# --- 3. fleet sessions ----------------------------------------------------------------------------
if grep -rq '"/api/v1/fleet/sessions"' "$REPO/coordinator" 2>/dev/null && ((SESSIONS)); then
  log "fleet sessions: three coordinators in PID namespaces of their own, $SESSION_TARGETS chain targets each, $SESSION_ROUNDS rounds"
  nice cmake --build "$REPO/build" -j2 --target chain >/dev/null || die "cmake --build --target chain failed"
  CHAIN=$(find "$REPO/build" -type f -name chain -perm -u+x | head -1)
  [[ -x $CHAIN ]] || die "no chain target built"
  # A name of their own, so that {"match":"fleetbench-chain"} selects exactly them.
  ln -sf "$CHAIN" "$RUN_DIR/fleetbench-chain"
  # The fleet is these three: the hosts of the parts above (simulated, or the fill's) leave it.
  psql_q -c "DELETE FROM fleet_hosts" >/dev/null
  urls=() tokens=()
  for h in host-a host-b host-c; do
    d=$(mktemp -d /tmp/dbgcoord-fleetbench-coord-XXXXXX)
    FLEET_DATA+=("$d")
    # Each host in a PID namespace of its own (as if on a machine of its own): its targets, then
    # dbgcoord as the namespace's PID 1 (exec); its end ends the namespace, targets included
    # (--kill-child: also when unshare is killed).
    unshare --pid --fork --mount-proc --kill-child=SIGKILL bash -c '
      run_dir=$1 host=$2 n=$3 threads=$4; shift 4
      for ((i = 0; i < n; i++)); do "$run_dir/fleetbench-chain" "$threads" >"$run_dir/$host-chain-$i.out" 2>&1 & done
      for ((i = 0; i < n; i++)); do
        for ((k = 0; k < 200; k++)); do grep -q ready "$run_dir/$host-chain-$i.out" 2>/dev/null && break; sleep 0.05; done
      done
      exec "$@"' _ "$RUN_DIR" "$h" "$SESSION_TARGETS" "$SESSION_THREADS" \
      "$BIN/dbgcoord" --listen 127.0.0.1:0 --data-dir "$d" --fleet-db "$CONNINFO" --host-name "$h" --fleet-heartbeat 1 \
      >"$RUN_DIR/$h.out" 2>"$RUN_DIR/$h.err" &
    FLEET_PIDS+=("$!")
    u=
    for ((k = 0; k < 400; k++)); do
      u=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*' "$RUN_DIR/$h.out" 2>/dev/null || true)
      [[ -n $u ]] && break
      sleep 0.05
    done
    [[ -n $u ]] || die "$h printed no listening line: $(tail -3 "$RUN_DIR/$h.err")"
    for ((i = 0; i < SESSION_TARGETS; i++)); do
      grep -q ready "$RUN_DIR/$h-chain-$i.out" 2>/dev/null || die "$h: chain target $i did not get ready"
    done
    for ((k = 0; k < 200; k++)); do
      curl -sf -H "Authorization: Bearer $(cat "$d/token")" "$u/api/v1/fleet" 2>/dev/null | grep -q '"connected"' && break
      sleep 0.1
    done
    urls+=("$u") tokens+=("$d/token")
  done
  python3 "$REPO/bench/fleet_bench.py" sessions --urls "$(IFS=,; echo "${urls[*]}")" \
    --token-files "$(IFS=,; echo "${tokens[*]}")" --match fleetbench-chain --targets-per-host "$SESSION_TARGETS" \
    --threads-per-target "$SESSION_THREADS" --rounds "$SESSION_ROUNDS" \
    --out "$RUN_DIR/sessions.json" >&2 || die "fleet_bench.py sessions failed"
  stop_fleet
elif ((SESSIONS)); then
  echo "sessions=not measured: fleet sessions not built (no POST /api/v1/fleet/sessions in this tree)" >>"$RUN_DIR/meta.env"
else
  echo "sessions=not measured in this run (--no-sessions)" >>"$RUN_DIR/meta.env"
fi

printf 'load_end=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN_DIR/meta.env"
SECTION=$(python3 "$REPO/bench/fleet_bench.py" section "$RUN_DIR")
echo "$SECTION"
if ((WRITE)); then
  python3 "$REPO/bench/bench_common.py" write-section "$REPO/BENCHMARKS.md" fleet "$SECTION"
  log "BENCHMARKS.md updated"
fi
