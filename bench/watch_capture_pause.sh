#!/bin/bash
# Pause of a watched process during the watcher's capture (worker/capture/seized_capture.hpp): starts
# `deadlock MODE` (default two), has one `dbg-worker watch` hold it, asks for N captures (default
# 10) one after another, and prints each capture's pause_us per thread and capture_us. Compare
# with bench/deadlock_pause.sh (the snapshot job's own seize/interrupt/detach).
# usage: bench/watch_capture_pause.sh [MODE] [N]
set -e
B=$(cd "$(dirname "$0")/.." && pwd)/build
MODE=${1:-two} N=${2:-10}
D=$(mktemp -d)
$B/tests/targets/deadlock $MODE > $D/target.out &
TP=$!
trap "kill $TP 2>/dev/null; rm -rf $D" EXIT
for i in $(seq 50); do grep -q ready $D/target.out && break; sleep 0.2; done
python3 - "$B/bin/dbg-worker" "$TP" "$N" <<'PY'
import json, subprocess, sys
worker, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
w = subprocess.Popen([worker, "watch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def ask(req):
    w.stdin.write(json.dumps(req) + "\n"); w.stdin.flush()
    while True:
        j = json.loads(w.stdout.readline())
        if j.get("id") == req["id"]: return j
ask({"v": 1, "id": "add", "kind": "watch_add", "pid": pid})
for i in range(n):
    r = ask({"v": 1, "id": "c%d" % i, "kind": "capture", "pid": pid, "options": {"source": "none"}})["result"]
    p = [t["pause_us"] for t in r["threads"]]
    print("capture %2d: threads=%d pause_us per thread: %s capture_us=%.0f" % (i + 1, len(p), " ".join("%.0f" % x for x in p), r["capture_us"]))
w.stdin.close(); w.wait()
PY
uptime
