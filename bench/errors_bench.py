#!/usr/bin/env python3
"""Error-event ingest against a running dbgcoord (driven by bench/run_errors_bench.sh).

  errors_bench.py run --url URL --token-file FILE --pid PID --db FILE --out RESULT.json
                      [--events N] [--batch B] [--groups G] [--connections C]
  errors_bench.py section RESULT.json META.env        # prints the BENCHMARKS.md section

`run` POSTs N events to /api/v1/errors/events in batches of B over C keep-alive connections
(each answer arrives after the batch's COMMIT, so C connections keep the server's parse and
commit stages both busy). Event i belongs to group i % G: a site function of its own under
the same throw machinery and callers, as an application reporting uncaught exceptions would
send them. Bodies are built before the clock starts; the client only sends bytes and reads
answers. Meanwhile a sampler reads the coordinator's VmRSS every 0.25 s. Afterwards the
result is checked three ways: every answer was 201 with B group ids; GET /api/v1/errors lists
G groups whose counts sum to N; the SQLite file holds N events.
"""
import argparse
import http.client
import json
import os
import sqlite3
import sys
import threading
import time
import urllib.parse


def make_event(group, variant):
    site = "shop::Handler%d::serve(shop::Request const&, std::vector<int, std::allocator<int> >&)" % group
    return {
        "type": "std::out_of_range",
        "message": "vector::_M_range_check: __n (which is %d) >= this->size() (which is 3)" % (7 + variant),
        "pid": 4000 + variant,
        "comm": "shop",
        "frames": [
            {"function": "__cxa_throw", "module": "libstdc++.so.6", "offset": "0xad218"},
            {"function": "std::__throw_out_of_range_fmt(char const*, ...)", "module": "libstdc++.so.6",
             "offset": "0xa5f0e"},
            {"function": site, "module": "shop", "offset": hex(0x10000 + 0x40 * group), "file": "handlers.cpp",
             "line": 100 + group % 50},
            {"function": "shop::Server::dispatch(shop::Request const&)", "module": "shop", "offset": "0x3000",
             "file": "server.cpp", "line": 90 + variant},
            {"function": "main", "module": "shop", "offset": "0x3100", "file": "main.cpp", "line": 12},
        ],
    }


def build_bodies(batch, groups, variants=4):
    """`variants` different batch bodies (other messages and lines, same groups)."""
    bodies = []
    for v in range(variants):
        events = [make_event(i % groups, v) for i in range(batch)]
        bodies.append(json.dumps({"events": events}, separators=(",", ":")).encode())
    return bodies


def read_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])  # kB
    return out


def cpu_ms(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) * 1000.0 / ticks  # utime + stime


def thread_cpu_ms(pid):
    """CPU time (utime + stime, ms) of each of the process's threads, summed by thread name."""
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    task_dir = "/proc/%d/task" % pid
    for tid in os.listdir(task_dir):
        try:
            with open("%s/%s/stat" % (task_dir, tid)) as f:
                head, _, rest = f.read().rpartition(")")
            fields = rest.split()
            name = head.split("(", 1)[1]
        except OSError:
            continue  # the thread ended meanwhile
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) * 1000.0 / ticks
    return out


def run(args):
    url = urllib.parse.urlparse(args.url)
    token = open(args.token_file).read().strip()
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    bodies = build_bodies(args.batch, args.groups)
    batches = args.events // args.batch
    next_batch = [0]
    lock = threading.Lock()
    errors = []
    done_at = []  # (time, events done) per answer
    accepted = [0]

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        while True:
            with lock:
                k = next_batch[0]
                if k >= batches or errors:
                    break
                next_batch[0] += 1
            conn.request("POST", "/api/v1/errors/events", body=bodies[k % len(bodies)], headers=headers)
            r = conn.getresponse()
            data = r.read()
            if r.status != 201:
                with lock:
                    errors.append("batch %d: HTTP %d %s" % (k, r.status, data[:300]))
                break
            answer = json.loads(data)
            if answer.get("accepted") != args.batch or len(answer.get("group_ids", [])) != args.batch:
                with lock:
                    errors.append("batch %d: unexpected answer %s" % (k, data[:300]))
                break
            with lock:
                accepted[0] += args.batch
                done_at.append((time.monotonic(), accepted[0]))
        conn.close()

    rss_samples = []
    sampling = [True]

    def sampler():
        while sampling[0]:
            rss_samples.append(read_status(args.pid)["VmRSS"])
            time.sleep(0.25)

    status_before = read_status(args.pid)
    cpu_before = cpu_ms(args.pid)
    threads_before = thread_cpu_ms(args.pid)
    sampler_thread = threading.Thread(target=sampler, daemon=True)
    sampler_thread.start()
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.monotonic()
    sampling[0] = False
    sampler_thread.join()
    cpu_after = cpu_ms(args.pid)
    threads_after = thread_cpu_ms(args.pid)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    time.sleep(1.0)  # let the coalesced hub publishing and allocator settle
    status_after = read_status(args.pid)

    # Rate per window of 100,000 events (a stall or a slowdown as the tables grow shows here).
    windows = []
    step = max(args.batch, 100000)
    last_t, last_n = t0, 0
    for t, n in done_at:
        if n - last_n >= step:
            windows.append((n - last_n) / (t - last_t))
            last_t, last_n = t, n

    # Check: the API and the file agree with what was sent.
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    conn.request("GET", "/api/v1/errors?limit=1000", headers=headers)
    r = conn.getresponse()
    listed = json.loads(r.read())["groups"]
    api_groups = len(listed)
    api_sum = sum(g["count"] for g in listed)
    db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    db_events = db.execute("SELECT count(*) FROM error_events").fetchone()[0]
    db_groups = db.execute("SELECT count(*) FROM error_groups").fetchone()[0]
    db.close()
    db_bytes = sum(os.path.getsize(args.db + s) for s in ("", "-wal") if os.path.exists(args.db + s))

    result = {
        "events": accepted[0],
        "batch": args.batch,
        "groups": args.groups,
        "connections": args.connections,
        "body_bytes": len(bodies[0]),
        "seconds": t1 - t0,
        "events_per_s": accepted[0] / (t1 - t0),
        "window_events_per_s": windows,
        "coord_cpu_ms": cpu_after - cpu_before,
        # By thread name (dbg-err-parse, dbg-store, dbg-analysis; "dbgcoord" is the network).
        "thread_cpu_ms": {k: v - threads_before.get(k, 0.0) for k, v in threads_after.items()
                          if v - threads_before.get(k, 0.0) > 0},
        "rss_kb_before": status_before["VmRSS"],
        "rss_kb_after": status_after["VmRSS"],
        "rss_kb_max_sampled": max(rss_samples) if rss_samples else None,
        "hwm_kb": status_after["VmHWM"],
        "api_groups": api_groups,
        "api_count_sum": api_sum,
        "db_events": db_events,
        "db_groups": db_groups,
        "db_bytes": db_bytes,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    ok = api_groups == args.groups and api_sum == accepted[0] and db_events == accepted[0] and db_groups == args.groups
    print(json.dumps(result, indent=1))
    if not ok:
        print("CHECK FAILED: groups/counts/rows do not match what was sent", file=sys.stderr)
        return 1
    return 0


def load_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def section(args):
    r = json.load(open(args.result))
    m = load_meta(args.meta)
    rate_ok = r["events_per_s"] >= 100000
    rss_mb = r["rss_kb_after"] / 1024.0
    rss_ok = rss_mb < 50
    w = r["window_events_per_s"]
    per_event_us = r["coord_cpu_ms"] * 1000.0 / r["events"]
    lines = [
        "## Error ingest benchmark — run of %s" % m.get("date", "?"),
        "",
        "Command: `%s` (raw data in `%s`)." % (m.get("command", "bench/run_errors_bench.sh"), m.get("run_dir", "?")),
        "",
        "Machine: %s CPUs (`nproc`), %s; %s. Load average at start: %s. Other load during the run: %s." % (
            m.get("nproc", "?"), m.get("cpu", "?"), m.get("kernel", "?"), m.get("load_start", "?"),
            m.get("cpu_note", "CPU use by others not recorded")),
        "",
        "What: %d events POSTed to `/api/v1/errors/events` in batches of %d (%d KiB bodies) over %d keep-alive "
        "connections, event *i* in group *i* mod %d (five frames each, the C++ throw machinery on top). Every answer "
        "is 201 after COMMIT; afterwards the API lists %d groups whose counts sum to %d and the SQLite file holds "
        "%d events in %d groups (checked by the script)." % (
            r["events"], r["batch"], r["body_bytes"] // 1024, r["connections"], r["groups"], r["api_groups"],
            r["api_count_sum"], r["db_events"], r["db_groups"]),
        "",
        "| measure | value | goal |",
        "| --- | --- | --- |",
        "| ingest, whole run | **%s events/s** (%.1f s) | ≥ 100,000 events/s — %s |" % (
            "{:,.0f}".format(r["events_per_s"]), r["seconds"], "met" if rate_ok else "**missed**"),
        "| ingest per 100,000-event window | %s events/s (min … max) | |" % (
            ("{:,.0f} … {:,.0f}".format(min(w), max(w))) if w else "n/a"),
        "| coordinator CPU per event (user+sys) | %.1f µs | |" % per_event_us,
        "| … by thread | %s | |" % by_thread(r),
        "| coordinator RSS after %s events | **%.1f MB** (peak VmHWM %.1f MB; at start %.1f MB) | < 50 MB — %s |" % (
            "{:,}".format(r["events"]), rss_mb, r["hwm_kb"] / 1024.0, r["rss_kb_before"] / 1024.0,
            "met" if rss_ok else "**missed**"),
        "| database size (db + wal) | %.0f MB | |" % (r["db_bytes"] / 1e6),
        "",
    ]
    print("\n".join(lines))
    return 0


def by_thread(r):
    """'dbg-err-parse 1.7, dbg-store 3.0, ... µs' for the threads that used at least 0.1 µs/event."""
    per = sorted(((v * 1000.0 / r["events"], k) for k, v in r.get("thread_cpu_ms", {}).items()), reverse=True)
    shown = ["%s %.1f" % (k, us) for us, k in per if us >= 0.1]
    return (", ".join(shown) + " µs") if shown else "n/a"


def compare(args):
    """Alternating runs of two builds on the same machine: a table of medians and ratios."""
    def load(paths):
        return [json.load(open(p)) for p in paths]

    def median(xs):
        xs = sorted(xs)
        n = len(xs)
        return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

    ours, theirs = load(args.ours), load(args.theirs)

    def stats(rs):
        return {
            "rate": median([r["events_per_s"] for r in rs]),
            "cpu_us": median([r["coord_cpu_ms"] * 1000.0 / r["events"] for r in rs]),
            "rss_mb": median([r["rss_kb_after"] / 1024.0 for r in rs]),
            "rates": [r["events_per_s"] for r in rs],
        }

    a, b = stats(theirs), stats(ours)
    lines = [
        "Compared with `%s` in the same run (%d alternating runs each, that build first; medians; "
        "ratio = this build / that one):" % (args.label, len(ours)),
        "",
        "| build | events/s (each run) | coordinator CPU / event | by thread (first run) | RSS after |",
        "| --- | --- | --- | --- | --- |",
        "| `%s` | %s | %.1f µs | %s | %.1f MB |" % (args.label, "; ".join("{:,.0f}".format(x) for x in a["rates"]),
                                              a["cpu_us"], by_thread(theirs[0]), a["rss_mb"]),
        "| this build | %s | %.1f µs | %s | %.1f MB |" % ("; ".join("{:,.0f}".format(x) for x in b["rates"]),
                                                       b["cpu_us"], by_thread(ours[0]), b["rss_mb"]),
        "| ratio | **%.2f×** | **%.2f×** | | **%.2f×** |" % (b["rate"] / a["rate"], b["cpu_us"] / a["cpu_us"],
                                                        b["rss_mb"] / a["rss_mb"]),
        "",
    ]
    print("\n".join(lines))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("run")
    a.add_argument("--url", required=True)
    a.add_argument("--token-file", required=True)
    a.add_argument("--pid", type=int, required=True)
    a.add_argument("--db", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--events", type=int, default=1000000)
    a.add_argument("--batch", type=int, default=1000)
    a.add_argument("--groups", type=int, default=1000)
    a.add_argument("--connections", type=int, default=4)
    s = sub.add_parser("section")
    s.add_argument("result")
    s.add_argument("meta")
    c = sub.add_parser("compare")
    c.add_argument("--label", required=True, help="what the other build is (shown in the table)")
    c.add_argument("--ours", nargs="+", required=True, help="result.json files of this build's runs")
    c.add_argument("--theirs", nargs="+", required=True, help="result.json files of the other build's runs")
    args = p.parse_args()
    return {"run": run, "section": section, "compare": compare}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
