#!/usr/bin/env python3
"""Archiving of old error events against a running dbgcoord (driven by bench/run_archive_bench.sh).

  archive_bench.py run --url URL --token-file FILE --pid PID --db FILE --out RESULT.json
                       [--events N] [--groups G] [--hours H]
  archive_bench.py section RESULT.json META.env        # prints the BENCHMARKS.md section

`run` first POSTs N events (batches of 100) with timestamps spread over the H hours before
"two hours ago", so every one is older than the default archive window (1 h). The mix is meant
to look like a real host: G groups (a few hundred distinct crash sites in a dozen programs), each
with a handful of message variants (numbers differ), and contexts like the crash watch writes:
signal, code, fault address, all general registers, 2-4 threads with 6-12 frames each, key
variables. Then it calls POST /api/v1/archives/run once and measures: the run's wall time
(throughput = events folded / seconds), the compression ratio (raw event bytes over compressed
archive bytes, as the server records it), the coordinator's VmRSS sampled every 0.1 s during the
run, and the SQLite file before and after. Checks: the run folded all N events, the database has
no raw event left older than the cutoff and the archives' event counts sum to N.
"""
import argparse
import http.client
import json
import os
import random
import sqlite3
import sys
import threading
import time
import urllib.parse

REGISTERS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
             "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base", "orig_rax"]
PROGRAMS = ["shop", "cart", "payments", "search", "indexer", "gateway", "auth", "mailer", "thumbnailer", "billing",
            "scheduler", "ledger"]
SIGNALS = [("SIGSEGV", "SEGV_MAPERR", "null dereference"), ("SIGSEGV", "SEGV_ACCERR", "write to read-only memory"),
           ("SIGABRT", "SI_TKILL", "assertion"), ("SIGBUS", "BUS_ADRERR", "bus error"), ("SIGFPE", "FPE_INTDIV", "divide by zero")]


def group_spec(g, rnd):
    prog = PROGRAMS[g % len(PROGRAMS)]
    sig, code, what = SIGNALS[g % len(SIGNALS)]
    fn = "%s::%s%d::%s(%s::Request const&)" % (prog, rnd.choice(["Handler", "Worker", "Session", "Cache"]), g,
                                                 rnd.choice(["run", "handle", "flush", "serve", "step"]), prog)
    frames = [{"function": fn, "module": prog, "offset": hex(0x10000 + 0x40 * g), "file": "%s/src/h%d.cpp" % (prog, g),
               "line": 40 + g % 300}]
    for k in range(7):
        frames.append({"function": "%s::Layer%d::call()" % (prog, k), "module": prog, "offset": hex(0x20000 + 0x80 * k),
                       "file": "%s/src/layer.cpp" % prog, "line": 10 + k})
    frames.append({"function": "main", "module": prog, "offset": "0x3100", "file": "%s/src/main.cpp" % prog, "line": 12})
    messages = ["%s: %s at 0x%x in request %%d" % (sig, what, 8 * v) for v in range(rnd.randint(2, 6))]
    return {"prog": prog, "sig": sig, "code": code, "frames": frames, "messages": messages,
            "threads": rnd.randint(2, 4), "base_pid": 2000 + 37 * g}


def make_event(spec, i, timestamp, rnd):
    pid = spec["base_pid"] + rnd.randint(0, 3)
    threads = []
    for t in range(spec["threads"]):
        depth = rnd.randint(6, 12)
        threads.append({
            "tid": pid + t, "name": spec["prog"] if t == 0 else "worker-%d" % t, "state": "S" if t else "R",
            "frames": [{"pc": hex(0x55d0c0de0000 + rnd.randint(0, 1 << 16)), "function": f["function"], "module": f["module"]}
                       for f in (spec["frames"] * 2)[:depth]],
        })
    return {
        "type": "%s/%s" % (spec["sig"], spec["code"]),
        "message": rnd.choice(spec["messages"]) % (i % 1000),
        "timestamp": timestamp,
        "pid": pid,
        "comm": spec["prog"],
        "frames": spec["frames"],
        "context": {
            "signal": spec["sig"], "code": spec["code"], "fault_address": hex(8 * rnd.randint(0, 64)),
            "registers": {r: hex(rnd.getrandbits(48)) for r in REGISTERS},
            "threads": threads,
            "variables": [{"name": "req", "type": "%s::Request const&" % spec["prog"], "value": hex(rnd.getrandbits(44))},
                          {"name": "n", "type": "int", "value": str(rnd.randint(0, 100))}],
        },
    }


def read_rss_kb(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def run(args):
    url = urllib.parse.urlparse(args.url)
    token = open(args.token_file).read().strip()
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    rnd = random.Random(7)
    specs = [group_spec(g, rnd) for g in range(args.groups)]
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    newest = int(time.time() * 1000) - 2 * 3600 * 1000
    span = args.hours * 3600 * 1000
    sent = 0
    event_bytes = 0
    while sent < args.events:
        n = min(100, args.events - sent)  # ~4.4 KB an event: stay under the 1 MiB body limit
        events = []
        for k in range(n):
            i = sent + k
            # Skewed like real crashes: a few groups are most of the events.
            g = min(int(rnd.paretovariate(1.2)) - 1, args.groups - 1)
            g = (g * 7919 + (i % 3)) % args.groups if g > 0 else rnd.randrange(args.groups)
            events.append(make_event(specs[g], i, newest - (i * span) // args.events, rnd))
        body = json.dumps({"events": events}, separators=(",", ":"))
        event_bytes += len(body)
        conn.request("POST", "/api/v1/errors/events", body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        if r.status != 201:
            print("POST events: HTTP %d %s" % (r.status, data[:300]), file=sys.stderr)
            return 1
        sent += n
    db_before = os.path.getsize(args.db) + (os.path.getsize(args.db + "-wal") if os.path.exists(args.db + "-wal") else 0)
    rss_before = read_rss_kb(args.pid)

    samples = []
    sampling = [True]

    def sampler():
        while sampling[0]:
            samples.append(read_rss_kb(args.pid)["VmRSS"])
            time.sleep(0.1)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    t0 = time.monotonic()
    conn.request("POST", "/api/v1/archives/run", body="", headers=headers)
    r = conn.getresponse()
    data = r.read()
    t1 = time.monotonic()
    sampling[0] = False
    th.join()
    if r.status != 200:
        print("POST run: HTTP %d %s" % (r.status, data[:300]), file=sys.stderr)
        return 1
    report = json.loads(data)
    conn.request("GET", "/api/v1/stats", headers=headers)
    stats = json.loads(conn.getresponse().read())
    rss_after = read_rss_kb(args.pid)

    db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    raw_left = db.execute("SELECT count(*) FROM error_events WHERE timestamp < ?", (report["cutoff"],)).fetchone()[0]
    archived, archives = db.execute("SELECT coalesce(sum(event_count),0), count(*) FROM error_archives").fetchone()
    db.close()
    problems = []
    if report["events_folded"] != args.events:
        problems.append("folded %d of %d events" % (report["events_folded"], args.events))
    if raw_left != 0:
        problems.append("%d old raw events left" % raw_left)
    if archived != args.events:
        problems.append("archives hold %d events, expected %d" % (archived, args.events))
    result = {
        "events": args.events, "groups": args.groups, "hours": args.hours, "archives": archives,
        "post_body_bytes": event_bytes,
        "seconds_client": t1 - t0, "seconds_server": report["seconds"],
        "events_per_s": args.events / (t1 - t0),
        "raw_bytes": report["raw_bytes"], "compressed_bytes": report["compressed_bytes"], "ratio": report["ratio"],
        "stats_ratio": stats.get("archive_compression_ratio"),
        "chunks": report["chunks"],
        "rss_kb_before": rss_before["VmRSS"], "rss_kb_max_during": max(samples) if samples else None,
        "rss_kb_after": rss_after["VmRSS"], "hwm_kb": rss_after["VmHWM"], "rss_samples": len(samples),
        "db_bytes_before": db_before, "db_used_bytes_after": report["database_used_bytes"],
        "db_file_bytes_after": report["database_file_bytes"],
        "problems": problems,
    }
    json.dump(result, open(args.out, "w"), indent=1)
    print(json.dumps(result, indent=1))
    return 1 if problems else 0


def mb(n):
    return "%.1f MB" % (n / 1e6)


def section(args):
    r = json.load(open(args.result))
    meta = dict(line.rstrip("\n").split("=", 1) for line in open(args.meta) if "=" in line)
    ok = lambda good: "met" if good else "**missed**"
    lines = [
        "## Archive benchmark — run of %s" % meta["date"],
        "",
        "Command: `%s` (one command; raw data in `%s/`). Machine: %s CPUs, %s, %s; load at start %s. %s. "
        "**The machine is shared** (other engineers' builds and tests run at the same time), so the "
        "throughput is a lower bound; %s." % (meta["command"], meta["run_dir"], meta["nproc"], meta["cpu"], meta["kernel"],
                                             meta["load_start"], meta["quiet"], meta.get("cpu_note", "")),
        "",
        "Workload: %d error events in %d groups (skewed: a few groups get most events), 2–6 message variants per group, "
        "watch-like contexts (signal, fault address, 27 registers, 2–4 threads of 6–12 frames, variables; ~%.1f KB of "
        "JSON per event as POSTed), timestamps spread over %d hours, all older than the 1 h archive window, "
        "1 h windows. Then one `POST /api/v1/archives/run`." % (
            r["events"], r["groups"], r["post_body_bytes"] / r["events"] / 1000.0, r["hours"]),
        "",
        "| measure | result | goal |",
        "| --- | --- | --- |",
        "| compression ratio (raw event rows / stored compressed archives, zlib 9; `archive_compression_ratio` of /api/v1/stats) | **%.1f×** (%s → %s; %d archives) | > 10× — %s |" % (
            r["stats_ratio"], mb(r["raw_bytes"]), mb(r["raw_bytes"] / r["stats_ratio"]), r["archives"], ok(r["stats_ratio"] > 10)),
        "| archiving throughput | **%s events/s** (%.2f s for %d events, %d chunks of ≤ 10,000) | |" % (
            format(int(r["events_per_s"]), ","), r["seconds_client"], r["events"], r["chunks"]),
        "| coordinator VmRSS during the run (sampled every 0.1 s) | max **%s** (before %s, after %s; VmHWM %s) | < 50 MB — %s |" % (
            mb(r["rss_kb_max_during"] * 1024), mb(r["rss_kb_before"] * 1024), mb(r["rss_kb_after"] * 1024),
            mb(r["hwm_kb"] * 1024), ok(r["hwm_kb"] * 1024 < 50e6)),
        "| database | %s before (db + wal); live pages after: %s (file keeps %s: freed pages are reused, not returned) | |" % (
            mb(r["db_bytes_before"]), mb(r["db_used_bytes_after"]), mb(r["db_file_bytes_after"])),
        "",
        "Checked after the run: all %d events folded, no raw event older than the cutoff left, the archives' "
        "event counts sum to %d%s." % (r["events"], r["events"], "" if not r["problems"] else " — PROBLEMS: " + "; ".join(r["problems"])),
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
    a.add_argument("--events", type=int, default=100000)
    a.add_argument("--groups", type=int, default=300)
    a.add_argument("--hours", type=int, default=12)
    s = sub.add_parser("section")
    s.add_argument("result")
    s.add_argument("meta")
    args = p.parse_args()
    return run(args) if args.cmd == "run" else section(args)


if __name__ == "__main__":
    sys.exit(main())
