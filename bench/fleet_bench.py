#!/usr/bin/env python3
"""The HTTP side of bench/run_fleet_bench.sh (the write path's driver is bench/fleet_bench.cpp).

  fleet_bench.py reads --url URL --token-file FILE --requests N --out RESULT.json
      sequential GET /api/v1/fleet/errors?limit=100 and ?limit=100&host=host-042 over one
      keep-alive connection (alternating), after 20 of each as warmup; wall time per request at
      the client, from sending to the last byte of the body.
  fleet_bench.py e2e --url URL --token-file FILE --rate EVENTS_PER_S --seconds S --groups N --out RESULT.json
      one real dbgcoord: POST /api/v1/errors/events batches of 1,000 events at the rate, wait
      until its outbox is empty, then its dbgcoord_fleet_publish_lag_seconds histogram from /metrics.
  fleet_bench.py section RUN_DIR
      the BENCHMARKS.md section from RUN_DIR's results and meta.env.
"""
import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import load_meta, pct  # noqa: E402
from errors_bench import make_event  # noqa: E402


def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def headers(token_file):
    token = open(token_file).read().strip()
    return {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


def get(conn, path, hdrs):
    conn.request("GET", path, headers=hdrs)
    r = conn.getresponse()
    body = r.read()
    return r.status, body


def reads(args):
    hdrs = headers(args.token_file)
    conn = connect(args.url)
    # "base": the fleet status, answered from memory (no query): what HTTP and this machine cost.
    paths = {"all": "/api/v1/fleet/errors?limit=100", "host": "/api/v1/fleet/errors?limit=100&host=host-042",
             "base": "/api/v1/fleet"}
    times = {k: [] for k in paths}
    info = {}
    for k, path in paths.items():
        status, body = get(conn, path, hdrs)
        if status != 200:
            print("GET %s: HTTP %d %s" % (path, status, body[:300]), file=sys.stderr)
            return 1
        if k == "base":
            info[k] = {"groups": 0, "bytes": len(body), "per_host_entries": 0}
            continue
        groups = json.loads(body)["groups"]
        info[k] = {"groups": len(groups), "bytes": len(body),
                   "per_host_entries": sum(len(g["hosts"]) for g in groups)}
        if len(groups) != 100:
            print("GET %s: %d groups, not 100" % (path, len(groups)), file=sys.stderr)
            return 1
    for i in range(20 + args.requests):
        for k, path in paths.items():
            t = time.perf_counter()
            status, body = get(conn, path, hdrs)
            dt = (time.perf_counter() - t) * 1000
            if status != 200:
                print("GET %s: HTTP %d" % (path, status), file=sys.stderr)
                return 1
            if i >= 20:
                times[k].append(dt)
    out = {"requests_each": args.requests, "answers": info}
    for k, xs in times.items():
        out[k] = {"path": paths[k], "p50_ms": pct(xs, 50), "p90_ms": pct(xs, 90), "p99_ms": pct(xs, 99),
                  "max_ms": max(xs), "mean_ms": sum(xs) / len(xs)}
    json.dump(out, open(args.out, "w"), indent=1)
    print(json.dumps(out))
    return 0


def sessions(args):
    """Single-host snapshot sessions (POST /api/v1/sessions on the first coordinator) and fleet
    snapshot sessions over every coordinator (POST /api/v1/fleet/sessions hosts "all" on the first),
    alternating, each timed from the POST until a GET (polled every 10 ms) shows it done."""
    urls = args.urls.split(",")
    tokens = args.token_files.split(",")
    hdrs = [headers(f) for f in tokens]
    conns = [connect(u) for u in urls]
    if args.match:
        targets = {"match": args.match}
        ntargets = args.targets_per_host
    else:
        targets = {"pids": [int(p) for p in args.pids.split(",")]}
        ntargets = len(targets["pids"])
    body = {"kind": "snapshot", "targets": targets, "options": {"source": "none"}}
    single, fleet_t, checks = [], [], []

    def post(i, path, b):
        conns[i].request("POST", path, body=json.dumps(b), headers=hdrs[i])
        r = conns[i].getresponse()
        data = r.read()
        if r.status not in (201, 202):  # a local session answers 202 (running), a fleet one 201
            raise RuntimeError("POST %s: HTTP %d %s" % (path, r.status, data[:300]))
        return json.loads(data)

    def poll(i, path, done):
        deadline = time.monotonic() + 120
        while True:
            status, data = get(conns[i], path, hdrs[i])
            if status != 200:
                raise RuntimeError("GET %s: HTTP %d %s" % (path, status, data[:300]))
            j = json.loads(data)
            if done(j):
                return j
            if time.monotonic() > deadline:
                raise RuntimeError("GET %s: not done after 120 s: %s" % (path, data[:500]))
            time.sleep(0.01)

    def run_single():
        t0 = time.perf_counter()
        s = post(0, "/api/v1/sessions", body)
        j = poll(0, "/api/v1/sessions/%s" % s["id"], lambda j: j.get("status") in ("done", "failed", "cancelled"))
        dt = (time.perf_counter() - t0) * 1000
        if j["status"] != "done":
            raise RuntimeError("single-host session %s: %s" % (s["id"], j["status"]))
        n = sum(1 for b in j.get("batches", []) for x in b.get("targets", []) if x.get("status") == "done")
        if n != ntargets:
            raise RuntimeError("single-host session %s: %d targets done, not %d" % (s["id"], n, ntargets))
        return dt

    def run_fleet():
        b = dict(body, hosts="all", deadline_s=60)
        t0 = time.perf_counter()
        s = post(0, "/api/v1/fleet/sessions", b)
        j = poll(0, "/api/v1/fleet/sessions/%s" % s["id"], lambda j: j.get("status") == "done")
        dt = (time.perf_counter() - t0) * 1000
        st = {h: v.get("status") for h, v in j["hosts"].items()}
        samples = {h: v.get("samples") for h, v in j["hosts"].items()}
        if any(v != "done" for v in st.values()) or len(st) != len(urls):
            raise RuntimeError("fleet session %s: %s" % (s["id"], st))
        checks.append({"hosts": st, "samples": samples, "stacks": len(j.get("stacks", []))})
        return dt

    run_single()  # warm: the workers' first attach and symbol loads
    run_fleet()
    for k in range(args.rounds):
        if k % 2 == 0:
            single.append(run_single())
            fleet_t.append(run_fleet())
        else:
            fleet_t.append(run_fleet())
            single.append(run_single())
    out = {"rounds": args.rounds, "coordinators": len(urls), "targets": ntargets, "targets_spec": targets,
           "threads_per_target": args.threads_per_target, "own_pid_namespaces": bool(args.match),
           "single_ms": single, "fleet_ms": fleet_t,
           "single_median_ms": sorted(single)[len(single) // 2], "fleet_median_ms": sorted(fleet_t)[len(fleet_t) // 2],
           "single_p90_ms": pct(single, 90), "fleet_p90_ms": pct(fleet_t, 90), "last_fleet_check": checks[-1]}
    out["ratio_median"] = out["fleet_median_ms"] / out["single_median_ms"]
    json.dump(out, open(args.out, "w"), indent=1)
    print(json.dumps(out))
    return 0


def metric_lines(conn, hdrs):
    status, body = get(conn, "/metrics", hdrs)
    if status != 200:
        raise RuntimeError("/metrics: HTTP %d" % status)
    return body.decode().splitlines()


def metric_value(lines, name):
    for line in lines:
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def histogram(lines, name):
    buckets = []
    for line in lines:
        if line.startswith(name + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    return sorted(buckets), metric_value(lines, name + "_count"), metric_value(lines, name + "_sum")


def bucket_quantile(buckets, total, q):
    """The upper bound of the bucket holding quantile q (what the histogram can say)."""
    for le, n in buckets:
        if n >= q * total:
            return le
    return float("inf")


def e2e(args):
    hdrs = headers(args.token_file)
    conn = connect(args.url)
    bodies = []
    for v in range(4):
        events = [make_event(i % args.groups, v) for i in range(1000)]
        bodies.append(json.dumps({"events": events}, separators=(",", ":")).encode())
    batches = int(args.rate * args.seconds / 1000)
    interval = 1000 / args.rate
    t0 = time.monotonic()
    late = 0
    for k in range(batches):
        at = t0 + k * interval
        now = time.monotonic()
        if at > now:
            time.sleep(at - now)
        elif now - at > interval:
            late += 1
        conn.request("POST", "/api/v1/errors/events", body=bodies[k % 4], headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        if r.status != 201:
            print("POST: HTTP %d %s" % (r.status, data[:300]), file=sys.stderr)
            return 1
    t1 = time.monotonic()
    deadline = time.monotonic() + 60
    while True:
        lines = metric_lines(conn, hdrs)
        if metric_value(lines, "dbgcoord_fleet_outbox_rows") == 0:
            break
        if time.monotonic() > deadline:
            print("outbox not empty after 60 s", file=sys.stderr)
            return 1
        time.sleep(0.2)
    buckets, count, total = histogram(lines, "dbgcoord_fleet_publish_lag_seconds")
    out = {
        "offered_events_per_s": args.rate,
        "events_sent": batches * 1000,
        "posting_seconds": t1 - t0,
        "late_batches": late,
        "groups": args.groups,
        "events_shipped": metric_value(lines, "dbgcoord_fleet_events_shipped_total"),
        "rows_shipped": metric_value(lines, "dbgcoord_fleet_rows_shipped_total"),
        "lag_rows": count,
        "lag_mean_s": (total / count) if count else None,
        "lag_p50_le_s": bucket_quantile(buckets, count, 0.5) if count else None,
        "lag_p99_le_s": bucket_quantile(buckets, count, 0.99) if count else None,
        "lag_buckets": [[("+Inf" if le == float("inf") else le), n] for le, n in buckets],
    }
    json.dump(out, open(args.out, "w"), indent=1)
    print(json.dumps(out))
    return 0


def tree_cpu_ms(roots):
    """Cumulative CPU ms (utime+stime+cutime+cstime) of the process trees under each root, and of the
    rest of the machine: [tree_0, tree_1, ..., others]."""
    hz = os.sysconf("SC_CLK_TCK")
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            data = open("/proc/%s/stat" % name).read()
        except OSError:
            continue
        rest = data[data.rindex(")") + 2:].split()
        procs[int(name)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    owner = {}

    def find(pid, depth=0):
        if pid in owner:
            return owner[pid]
        r = None
        if pid in roots:
            r = roots.index(pid)
        elif pid in procs and depth < 100 and procs[pid][0] not in (0, 1, pid):
            r = find(procs[pid][0], depth + 1)
        owner[pid] = r
        return r

    out = [0.0] * (len(roots) + 1)
    for pid, (_, ticks) in procs.items():
        r = find(pid)
        out[len(roots) if r is None else r] += ticks * 1000.0 / hz
    return out


def cpumark(args):
    """WALL_US OURS_MS PG_MS OTHERS_MS: ours = the tree of the bench script, pg = the postmaster's."""
    ours, pg, others = tree_cpu_ms([args.script_pid, args.pg_pid])
    print("%d %d %d %d" % (time.time() * 1e6, ours, pg, others))
    return 0


def pgbench_latencies(d, name):
    """ms per statement from pgbench -l logs (field 3: latency in us)."""
    out = []
    for f in os.listdir(d):
        if f.startswith("pgbench-%s." % name) and f.split(".")[-1].isdigit():
            for line in open(os.path.join(d, f)):
                parts = line.split()
                if len(parts) >= 3:
                    out.append(int(parts[2]) / 1000.0)
    return out


def fmt(x, nd=0):
    if x is None:
        return "n/a"
    return "{:,.{}f}".format(x, nd)


def section(args):
    d = args.run_dir
    meta = load_meta(d)
    lines = []
    w = lines.append
    w("## Fleet benchmark — run of %s" % meta["date"])
    w("")
    w("Machine: %s, **%s cores** (shared with other agents' builds and tests), kernel %s, load average %s "
      "at the start and %s at the end. **PostgreSQL %s runs on the same machine** as every simulated host and dbgcoord "
      "(a throwaway cluster: initdb in a temporary directory, unix socket only, Debian's defaults but "
      "max_connections=%s; fsync and synchronous_commit on, data on %s), so the hosts' CPU and the "
      "server's compete for the same 2 cores."
      % (meta["cpu"], meta["nproc"], meta["kernel"], meta["load_start"], meta.get("load_end", "?"), meta["pg_version"], meta["pg_max_connections"],
         meta["pg_fs"]))
    w("Command: `%s` (as root; raw results in `%s/`)." % (meta["command"], meta["run_dir"]))
    w("")
    pubs = []
    for name in sorted(os.listdir(d)):
        if name.startswith("publish-") and name.endswith(".json"):
            p = json.load(open(os.path.join(d, name)))
            p["_order"] = os.path.getmtime(os.path.join(d, name))
            base = os.path.join(d, name[:-5])
            if os.path.exists(base + ".cpu"):
                p["_cpu"] = open(base + ".cpu").read().strip()
            if os.path.exists(base + ".waits"):
                waits = {}
                for line in open(base + ".waits"):
                    line = line.strip()
                    if line:
                        waits[line] = waits.get(line, 0) + 1
                p["_waits"] = waits
            pubs.append(p)
    order = {"goal": 0, "step": 0}
    pubs = [p for _, p in sorted(enumerate(pubs), key=lambda ip: (
        order.get(ip[1].get("label", ""), 1), ip[1]["offered_events_per_s"] if ip[1].get("label") in order else 0,
        ip[1].get("_order", ip[0])))]
    main = next((p for p in pubs if p.get("label") == "goal"), None)
    w("### 1. 100 simulated hosts publishing into one PostgreSQL")
    w("")
    w("`bench/fleet_bench.cpp publish`: one thread per host (host-000..host-099, each its own FleetIdentity "
      "with a random database_id, its own PgConnection, register_host and heartbeats), each storing a batch "
      "of 1,000 error events on a fixed schedule (open loop) as the outbox does: one row per group per batch "
      "(count, first/last seen, a ~400-byte sample), %s groups per batch, half drawn from %s groups shared by "
      "every host, half from the host's own %s (skewed to the first of each pool: ~100,000 groups in all). "
      "The host ships what is waiting (at most %s rows, the publisher's batch) with `fleet::ship`, one "
      "transaction per batch, and waits 20 ms after a batch that was not full, as the publisher does. Lag = from "
      "the row's creation (its batch's time on the schedule) to that ship's COMMIT returning; only rows created "
      "after the warmup count. It leaves out the real publisher's SQLite claim and delete (seen in the "
      "end-to-end run below)."
      % (main["groups_per_batch"] if main else "?", main["shared_groups"] if main else "?",
         main["host_groups"] if main else "?", main["max_rows_per_ship"] if main else "?"))
    w("")
    w("| run | offered events/s (fleet) | groups/batch (shared) | committed events/s | rows/s | ships/s | rows/ship | lag p50 | lag p99 | lag max | ship tx p50 / p99 | backlog at end | CPU: PostgreSQL / hosts (driver) / others, of 2 cores | PostgreSQL backends sampled: top waits | sustained |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in pubs:
        cpu = "n/a"
        if p.get("_cpu"):
            a = [float(x) for x in p["_cpu"].split()]
            wall_ms = (a[4] - a[0]) / 1000
            cpu = "%.0f%% / %.0f%% / %.0f%%" % tuple(100 * (a[5 + i] - a[1 + i]) / (wall_ms * 2) for i in (1, 0, 2))
        waits = "n/a"
        if p.get("_waits") is not None:
            n = sum(p["_waits"].values())
            top = sorted(p["_waits"].items(), key=lambda kv: -kv[1])[:3]
            waits = ", ".join("%s %.0f%%" % (k, 100 * v / n) for k, v in top) if n else "none active"
        w("| %s | %s | %d (%d) | %s | %s | %s | %.1f | %s ms | %s ms | %s ms | %s / %s ms | %s rows | %s | %s | %s |" % (
            p.get("label") or "", fmt(p["offered_events_per_s"]), p["groups_per_batch"],
            p.get("shared_per_batch", p["groups_per_batch"] // 2),
            fmt(p["committed_events_per_s"]), fmt(p["committed_rows_per_s"]), fmt(p["ships_per_s"]),
            p["rows_per_ship_mean"], fmt(p["lag_ms_p50"]), fmt(p["lag_ms_p99"]), fmt(p["lag_ms_max"]),
            fmt(p["ship_tx_ms_p50"], 1), fmt(p["ship_tx_ms_p99"], 1), fmt(p["backlog_rows_at_end"]), cpu, waits,
            "yes" if p["sustained"] and p["lag_ms_p99"] < 5000 else
            ("all committed, lag p99 ≥ 5 s" if p["sustained"] else "**no**")
            + (" (%s)" % p["error"] if p.get("error") else "")))
    w("")
    if meta.get("publish_check"):
        w("Check after the runs above (before the end-to-end runs): %s." % meta["publish_check"])
        w("")
    w("Columns: *sustained* = every event offered in the measured window committed, none left at the end "
      "(hosts drain for at most 10 s after the window) and lag p99 < 5 s. *CPU*: share of the machine's 2 cores "
      "over the run, from /proc (PostgreSQL = the postmaster's process tree; hosts = the driver's 100 threads and "
      "this script; others = everything else on the machine, i.e. other agents' builds and tests). *Top waits*: "
      "what PostgreSQL's active client backends were doing, sampled every 0.5 s from pg_stat_activity "
      "(CPU:running = on CPU or runnable).")
    w("")
    sustained = [p for p in pubs if p["sustained"] and p["lag_ms_p99"] is not None and p["lag_ms_p99"] < 5000
                 and p.get("label") in ("goal", "step")]
    best = max(sustained, key=lambda p: p["offered_events_per_s"]) if sustained else None
    if main:
        ok_rate = main["committed_events_per_s"] >= 100000 * 0.99 and main["sustained"]
        ok_lag = main["lag_ms_p99"] is not None and main["lag_ms_p99"] < 5000
        w("Goal (≥ 100,000 events/s fleet-wide with publish lag p99 < 5 s): at the offered 100,000 events/s, "
          "%s events/s committed, lag p50 %s ms, p99 %s ms — **%s**."
          % (fmt(main["committed_events_per_s"]), fmt(main["lag_ms_p50"]), fmt(main["lag_ms_p99"]),
             "met" if ok_rate and ok_lag else "not met"))
    if best:
        w("Max sustained rate measured: **%s events/s** fleet-wide (%s rows/s) — the highest offered step that "
          "was fully committed with no backlog and lag p99 < 5 s%s."
          % (fmt(best["offered_events_per_s"]), fmt(best["committed_rows_per_s"]),
             "; the next step up was not" if any(p["offered_events_per_s"] > best["offered_events_per_s"]
                                                 for p in pubs if p.get("label") in ("goal", "step")) else
             " (the highest step tried: the real ceiling is higher)"))
    w("")
    def run_of(label, rate):
        return next((p for p in pubs if p.get("label") == label and p["offered_events_per_s"] == rate), None)

    def top_wait(p, name):
        n = sum(p.get("_waits", {}).values())
        return 100.0 * p.get("_waits", {}).get(name, 0) / n if n else 0.0

    step2k = run_of("step", 200000)
    nosh = run_of("control: no shared groups", 200000)
    g200 = run_of("control: 200 groups per batch", 100000)
    w("**What limits it.** A ship's cost is rows and, above all, the rows every host shares: `fleet::ship` "
      "upserts the fleet-wide `fleet_groups` row of each signature in the batch inside the host's transaction, "
      "so hosts that saw the same shared group queue on that row's lock until the holder COMMITs (WAL flush "
      "included). Where that is the limit shows in the waits column: `Lock:transactionid` (a wait for another "
      "transaction's row lock) is most of the sampled waits when the offered rate is past the ceiling, with 100 "
      "shared groups per batch, and whenever other processes take the cores (a lock holder that loses its core "
      "holds up every host that needs its rows); below the ceiling on a quiet machine the backends are mostly on "
      "CPU or flushing WAL.")
    if step2k and nosh:
        w("Same offered rate (200,000 events/s), with vs without shared groups: lag p99 %s ms vs %s ms, "
          "`Lock:transactionid` %.0f%% vs %.0f%% of the sampled active backends."
          % (fmt(step2k["lag_ms_p99"]), fmt(nosh["lag_ms_p99"]), top_wait(step2k, "Lock:transactionid"),
             top_wait(nosh, "Lock:transactionid")))
    if g200:
        w("At the goal rate with 200 groups per batch (100 shared: ~10x the rows), lag p99 %s ms and %s."
          % (fmt(g200["lag_ms_p99"]), "sustained" if g200["sustained"] and g200["lag_ms_p99"] < 5000
             else "not sustained (backlog %s rows)" % fmt(g200["backlog_rows_at_end"])))
    w("`fleet::ship` already holds those locks as briefly as it can: the host's own rows (samples, watermark) "
      "first, the shared upsert last, then the COMMIT. Keeping the shared rows out of the hosts' transactions "
      "altogether (per-host rows only, summed elsewhere) is the next step if more is needed.")
    w("")
    w("**One real dbgcoord end to end** (POST /api/v1/errors/events -> local SQLite + outbox -> its publisher "
      "-> PostgreSQL; lag from `dbgcoord_fleet_publish_lag_seconds` in its /metrics, which can only say the "
      "upper bound of a bucket: 0.05, 0.1, 0.25, 0.5, 1, 2, 5 s ...):")
    w("")
    for name, what in (("e2e.json", "alone (nothing else publishing)"),
                       ("e2e-under-load.json", "while the 100 simulated hosts publish 100,000 events/s into the "
                                               "same PostgreSQL")):
        path = os.path.join(d, name)
        if not os.path.exists(path):
            w("- %s: not measured in this run." % what)
            continue
        e = json.load(open(path))
        w("- %s: %s events in batches of 1,000 over %s groups at %s events/s (%d late batches); %s events in "
          "%s rows shipped; lag over %s rows: mean %s ms, p50 ≤ %s s, p99 ≤ %s s. Cumulative buckets: `%s`."
          % (what, fmt(e["events_sent"]), e["groups"], fmt(e["offered_events_per_s"]), e["late_batches"],
             fmt(e["events_shipped"]), fmt(e["rows_shipped"]), fmt(e["lag_rows"]),
             fmt(e["lag_mean_s"] * 1000 if e["lag_mean_s"] is not None else None, 1),
             e["lag_p50_le_s"], e["lag_p99_le_s"],
             " ".join("le%s:%d" % (le, n) for le, n in e["lag_buckets"])))
    load_path = os.path.join(d, "load-during-e2e.json")
    if os.path.exists(load_path):
        p = json.load(open(load_path))
        w("  The 100 simulated hosts meanwhile: %s events/s committed, lag p50 %s ms, p99 %s ms, %s."
          % (fmt(p["committed_events_per_s"]), fmt(p["lag_ms_p50"]), fmt(p["lag_ms_p99"]),
             "sustained" if p["sustained"] else "**not sustained**"))
    w("")
    w("### 2. The merged groups list: 100,000 groups, 10 M events")
    w("")
    r = json.load(open(os.path.join(d, "reads.json")))
    fill = meta.get("fill", "")
    w("`bench/fleet_fill.sql` fills the schema dbgcoord migrated (fleet::migrate_fleet) with generate_series: "
      "100 hosts, 100,000 groups, counts summing to 10,000,000 (count ~ 1/rank^0.7), 1..9 hosts per group "
      "(5 on average), last_seen over 30 days; then VACUUM ANALYZE. Check: `%s`. One real dbgcoord "
      "(--fleet-db) answers; `bench/fleet_bench.py reads` sends %s sequential requests of each kind "
      "(alternating, one keep-alive connection, after 20 of each as warmup) and times them at the client."
      % (fill, fmt(r["requests_each"])))
    w("")
    w("| request | groups | body | p50 | p90 | p99 | max |")
    w("|---|---|---|---|---|---|---|")
    for k in ("all", "host", "base"):
        if k not in r:
            continue
        x = r[k]
        w("| `GET %s`%s | %d | %s B | %.2f ms | %.2f ms | %.2f ms | %.2f ms |" % (
            x["path"], " (no query: the status from memory)" if k == "base" else "", r["answers"][k]["groups"],
            fmt(r["answers"][k]["bytes"]), x["p50_ms"], x["p90_ms"], x["p99_ms"], x["max_ms"]))
    for k, what in (("all", "the list's query"), ("host", "the ?host= list's query"),
                    ("per_host", "the per-host counts of the 100 listed groups")):
        lat = pgbench_latencies(d, k)
        if lat:
            w("| SQL alone (pgbench, prepared, 1 client): %s | | | %.2f ms | %.2f ms | %.2f ms | %.2f ms |" % (
                what, pct(lat, 50), pct(lat, 90), pct(lat, 99), max(lat)))
    w("")
    ok = all(r[k]["p99_ms"] < 50 for k in ("all", "host"))
    w("Goal (p99 < 50 ms through dbgcoord over HTTP): list p99 %.1f ms, ?host= p99 %.1f ms — **%s**. The plans "
      "(EXPLAIN ANALYZE of dbgcoord's queries, in `%s/explain.txt`):"
      % (r["all"]["p99_ms"], r["host"]["p99_ms"], "met" if ok else "not met", meta["run_dir"]))
    w("")
    w("```")
    w(open(os.path.join(d, "explain_summary.txt")).read().rstrip())
    w("```")
    w("")
    w("### 3. A fleet snapshot session over three coordinators vs a single-host session")
    w("")
    sp = os.path.join(d, "sessions.json")
    if os.path.exists(sp):
        s = json.load(open(sp))
        ok = s["ratio_median"] < 2
        if s.get("own_pid_namespaces"):
            where = ("each in its own PID namespace (`unshare --pid --fork --mount-proc`) with its own %d `chain %d` "
                     "processes (tests/targets/chain.c, run as `fleetbench-chain`), so each host sees only its own "
                     "targets, as on separate machines (but all on the same 2 cores: the fleet session does 3x the "
                     "work of the single-host one in the same time)" % (s["targets"], s.get("threads_per_target", 2)))
            spec = '{\"match\":\"fleetbench-chain\"}'
        else:
            where = ("targets: %d `chain 2` processes shared by all three (one machine: their ptrace attaches queue on "
                     "the same threads)" % s["targets"])
            spec = '{\"pids\":[...]}'
        w("Three coordinators (host-a, host-b, host-c: own data directories and ports, --fleet-heartbeat 1) in the "
          "same fleet on this machine, %s. Alternating, %d rounds after one warm-up of each: a single-host session "
          "(`POST /api/v1/sessions` on host-a, `{\"kind\":\"snapshot\",\"targets\":%s,\"options\":{\"source\":\"none\"}}`) "
          "and a fleet session (`POST /api/v1/fleet/sessions` on host-a, the same with `\"hosts\":\"all\"`), each "
          "timed from the POST until its GET (polled every 10 ms) says done; every single-host session must have all "
          "its targets done, every fleet session all 3 hosts done." % (where, s["rounds"], spec))
        w("")
        w("| session | median | p90 | all (ms) |")
        w("|---|---|---|---|")
        w("| single host | %.0f ms | %.0f ms | %s |" % (s["single_median_ms"], s["single_p90_ms"],
                                                     " ".join("%.0f" % x for x in s["single_ms"])))
        w("| fleet, 3 hosts | %.0f ms | %.0f ms | %s |" % (s["fleet_median_ms"], s["fleet_p90_ms"],
                                                        " ".join("%.0f" % x for x in s["fleet_ms"])))
        w("")
        w("Ratio fleet / single host (medians): **%.2fx** — goal < 2x **%s**. Last fleet session: %s."
          % (s["ratio_median"], "met" if ok else "not met", json.dumps(s["last_fleet_check"])))
        w("")
        w("Where the fleet session's time goes: a single-host snapshot of these targets takes ~%.0f ms, so the "
          "fleet session is mostly fixed cost on top of the same work done three times on the same 2 cores (24 "
          "targets instead of 8). The POST stores the tasks and NOTIFYs in one transaction (and reads the session "
          "back), each host's task thread wakes on LISTEN and claims its task (SKIP LOCKED), runs the local session "
          "(`coordinator/fleet/local_run.cpp` asks the scheduler for its status every 2 ms for the first 100 ms, "
          "then less often), folds its snapshots, writes the summary back, and this client's GET (every 10 ms) "
          "merges them. On separate machines the three local sessions would not share cores; for sessions of "
          "seconds the ratio tends to 1x." % s["single_median_ms"])
    else:
        w(meta.get("sessions", "not measured: fleet sessions not built"))
    w("")
    print("\n".join(lines))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("reads")
    a.add_argument("--url", required=True)
    a.add_argument("--token-file", required=True)
    a.add_argument("--requests", type=int, default=1000)
    a.add_argument("--out", required=True)
    a = sub.add_parser("e2e")
    a.add_argument("--url", required=True)
    a.add_argument("--token-file", required=True)
    a.add_argument("--rate", type=float, default=1000)
    a.add_argument("--seconds", type=float, default=30)
    a.add_argument("--groups", type=int, default=20)
    a.add_argument("--out", required=True)
    a = sub.add_parser("sessions")
    a.add_argument("--urls", required=True)
    a.add_argument("--token-files", required=True)
    a.add_argument("--pids")
    a.add_argument("--match", help="targets by regex; each coordinator in its own PID namespace sees only its own")
    a.add_argument("--targets-per-host", type=int, default=0)
    a.add_argument("--threads-per-target", type=int, default=2)
    a.add_argument("--rounds", type=int, default=10)
    a.add_argument("--out", required=True)
    a = sub.add_parser("cpumark")
    a.add_argument("script_pid", type=int)
    a.add_argument("pg_pid", type=int)
    a = sub.add_parser("section")
    a.add_argument("run_dir")
    args = ap.parse_args()
    return {"reads": reads, "e2e": e2e, "section": section, "cpumark": cpumark, "sessions": sessions}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
