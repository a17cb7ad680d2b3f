#!/bin/bash
# pause of process-consistency snapshots of the deadlocked target, through the API (5 runs)
set -e
B=$(cd "$(dirname "$0")/.." && pwd)/build
D=$(mktemp -d)
$B/tests/targets/deadlock two > $D/target.out &
TP=$!
$B/bin/dbgcoord --listen 127.0.0.1:0 --data-dir $D/data > $D/coord.out 2> $D/coord.err &
CP=$!
trap "kill $TP $CP 2>/dev/null; rm -rf $D" EXIT
for i in $(seq 50); do grep -q listening $D/coord.out && grep -q ready $D/target.out && break; sleep 0.2; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\) .*/\1/p' $D/coord.out)
H="Authorization: Bearer $(cat $D/data/token)"; API=http://127.0.0.1:$PORT/api/v1
for i in 1 2 3 4 5; do
  ID=$(curl -s -H "$H" -X POST $API/sessions -d '{"targets":{"pids":['$TP']},"options":{"detect":"deadlock"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for k in $(seq 100); do S=$(curl -s -H "$H" $API/sessions/$ID); echo "$S" | grep -q '"status":"done"' && break; sleep 0.1; done
  SID=$(echo "$S" | python3 -c 'import json,sys; print(json.load(sys.stdin)["batches"][0]["targets"][0]["snapshot_id"])')
  curl -s -H "$H" $API/snapshots/$SID | python3 -c '
import json,sys; s=json.load(sys.stdin)
p=[t["pause_us"] for t in s["threads"]]
print("threads=%d pause_us per thread: %s capture_us=%.0f" % (len(p), " ".join("%.0f"%x for x in p), s["capture_us"]))'
done
uptime
