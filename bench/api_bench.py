#!/usr/bin/env python3
"""The measuring side of bench/run_api_bench.sh (standard library only).

usage:
  api_bench.py e2e  --url URL --token-file F --match RE --expect N --runs N --out FILE.json
      One WebSocket client on /api/v1/events?topics=session, then RUNS sessions with
      {"source":"none"} and one with {"source":"all"}, one after the other: each timed from just
      before the POST /api/v1/sessions is sent until the session_done event for its id arrives;
      then GET /api/v1/sessions/{id} must show EXPECT targets, all "done" with a snapshot id.
      After the first and the last "none" run every snapshot is also read back with
      GET /api/v1/snapshots/{id}.
  api_bench.py fill --url URL --token-file F --match RE --expect N --coord-pid PID --db FILE
                    --snapshots N --out FILE.json
      Sessions over the same targets ({"source":"none"}), each waited for (session_done), until
      the database holds at least N snapshots; then VmRSS / VmHWM of the coordinator
      (/proc/PID/status), the database's size on disk and the snapshots/s of this phase.
  api_bench.py wrk FILE
      Print the figures of one `wrk --latency` output as JSON (for checking by hand).
  api_bench.py summarize RUN_DIR [--benchmarks-md FILE]
      Aggregate a run directory, judge the goals, print the section and (re)write it in FILE
      between <!-- api-bench:begin --> and <!-- api-bench:end -->.
"""
import argparse
import http.client
import json
import math
import os
import re
import sqlite3
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_ws import WebSocket  # noqa: E402
from bench_common import load_meta, median, pct

BEGIN = "<!-- api-bench:begin (written by bench/api_bench.py; do not edit by hand) -->"
BEGIN_PREFIX = "<!-- api-bench:begin"
END = "<!-- api-bench:end -->"

# Goals (see the brief in bench/run_api_bench.sh).
GOAL_VS_EU_STACK = 10.0      # e2e of 64 processes at least 10x faster than the eu-stack loop
GOAL_VS_GDB = 300.0          # ... and 300x faster than the gdb loop
GOAL_HEALTHZ_VS_NGINX = 0.5  # /healthz requests/s >= 0.5x nginx's
GOAL_HEALTHZ_P99_MS = 1.0    # /healthz p99 < 1 ms
GOAL_RSS_BYTES = 50_000_000  # coordinator VmRSS < 50 MB after 10,000 stored snapshots


def log(msg):
    print(time.strftime("[%H:%M:%S]"), msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# HTTP (keep-alive, reconnecting once when the server closed an idle connection)
# ----------------------------------------------------------------------------------------------
class Api:
    def __init__(self, url, token):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.token = token
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.conn.connect()
        import socket
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, (json.loads(raw) if raw and raw[:1] in b"{[" else raw)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def open_events(url, token):
    u = urllib.parse.urlsplit(url)
    path = "/api/v1/events?token=" + urllib.parse.quote(token) + "&topics=session"
    return WebSocket(u.hostname, u.port, path)


def session_body(match, source):
    return {"kind": "snapshot", "targets": {"match": match}, "options": {"source": source}}


def wait_done(ws, sid, timeout=120.0):
    """Read events until session_done/session_cancelled for sid; return (event, events read)."""
    deadline = time.monotonic() + timeout
    n = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no session_done for {sid} within {timeout} s")
        msg = ws.recv(timeout=left)
        n += 1
        ev = json.loads(msg)
        if ev.get("type") in ("session_done", "session_cancelled") and (ev.get("data") or {}).get("id") == sid:
            return ev, n


def run_session(api, ws, match, source):
    """POST one session and wait for its end. Returns the timing and the checked result."""
    t0 = time.perf_counter()
    status, body = api.request("POST", "/api/v1/sessions", session_body(match, source))
    t_post = time.perf_counter()
    if status != 202:
        raise RuntimeError(f"POST /api/v1/sessions answered {status}: {body!r}")
    sid = body["id"]
    ev, nev = wait_done(ws, sid)
    t1 = time.perf_counter()
    status, sess = api.request("GET", f"/api/v1/sessions/{sid}")
    if status != 200:
        raise RuntimeError(f"GET /api/v1/sessions/{sid} answered {status}: {sess!r}")
    targets = [t for b in sess.get("batches", []) for t in b.get("targets", [])]
    done = [t for t in targets if t.get("status") == "done" and t.get("snapshot_id") is not None]
    errors = {}
    for t in targets:
        if t not in done:
            key = (t.get("error") or {}).get("code") if isinstance(t.get("error"), dict) else str(t.get("status"))
            errors[key or "?"] = errors.get(key or "?", 0) + 1
    return {
        "id": sid,
        "source": source,
        "wall_ms": (t1 - t0) * 1000,
        "post_ms": (t_post - t0) * 1000,
        "server_total_ms": sess.get("total_ms"),
        "status": sess.get("status"),
        "event_type": ev.get("type"),
        "events_read": nev,
        "batches": len(sess.get("batches", [])),
        "targets": len(targets),
        "done": len(done),
        "snapshot_ids": [t["snapshot_id"] for t in done],
        "pids": sorted(t.get("pid") for t in targets),
        "errors": errors,
    }


def read_back(api, ids):
    """GET every snapshot; count those that load and their threads."""
    ok, threads, bad = 0, [], []
    t0 = time.perf_counter()
    for i in ids:
        status, snap = api.request("GET", f"/api/v1/snapshots/{i}")
        if status == 200 and isinstance(snap, dict):
            ok += 1
            threads.append(len(snap.get("threads", [])))
        else:
            bad.append((i, status))
    return {"requested": len(ids), "ok": ok, "threads_min": min(threads, default=None),
            "threads_max": max(threads, default=None), "failed": bad[:5],
            "elapsed_ms": (time.perf_counter() - t0) * 1000}


def read_token(path):
    with open(path) as f:
        return f.read().strip()


def cmd_e2e(a):
    token = read_token(a.token_file)
    api = Api(a.url, token)
    ws = open_events(a.url, token)
    runs = []
    plan = [("none", i) for i in range(a.runs)] + [("all", 0)]
    for n, (source, _) in enumerate(plan):
        r = run_session(api, ws, a.match, source)
        r["index"] = n
        r["cold"] = n == 0
        if source == "none" and n in (0, a.runs - 1):
            r["read_back"] = read_back(api, r["snapshot_ids"])
        runs.append(r)
        log(f"  e2e run {n + 1}/{len(plan)} (source {source}{', cold workers' if n == 0 else ''}): "
            f"{r['wall_ms']:.1f} ms POST->session_done (server total_ms {r['server_total_ms']}), "
            f"{r['done']}/{r['targets']} done with a snapshot id"
            + (f", read back {r['read_back']['ok']}/{r['read_back']['requested']}" if "read_back" in r else ""))
        time.sleep(a.pause)
    ws.close()
    with open(a.out, "w") as f:
        json.dump({"expect": a.expect, "match": a.match, "runs": runs}, f, indent=1)


# ----------------------------------------------------------------------------------------------
# fill: RSS after N stored snapshots
# ----------------------------------------------------------------------------------------------
def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads", "VmSize"):
                v = v.strip()
                out[k] = int(v.split()[0]) * 1024 if v.endswith("kB") else int(v)
    return out


def children_rss(ppid):
    total, n = 0, 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                data = f.read()
            if int(data[data.rindex(")") + 2:].split()[1]) != ppid:
                continue
            total += proc_status(int(name)).get("VmRSS", 0)
            n += 1
        except (OSError, ValueError):
            pass
    return n, total


def db_count(db):
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as e:
        log(f"  warning: could not count snapshots in {db}: {e}")
        return None


def db_size(db):
    sizes = {}
    for suffix in ("", "-wal", "-shm"):
        try:
            sizes["db" + suffix.replace("-", "_")] = os.path.getsize(db + suffix)
        except OSError:
            sizes["db" + suffix.replace("-", "_")] = 0
    return sizes


def cmd_fill(a):
    token = read_token(a.token_file)
    api = Api(a.url, token)
    ws = open_events(a.url, token)
    start_count = db_count(a.db)
    stored = start_count or 0
    before = proc_status(a.coord_pid)
    samples = [{"snapshots": stored, "rss": before.get("VmRSS"), "hwm": before.get("VmHWM")}]
    log(f"  fill: {stored} snapshots stored before; coordinator VmRSS {before.get('VmRSS', 0) / 1e6:.1f} MB")
    sessions, walls, failed_targets = 0, [], 0
    next_sample = (stored // 1000 + 1) * 1000
    t0 = time.perf_counter()
    while stored < a.snapshots:
        r = run_session(api, ws, a.match, "none")
        sessions += 1
        walls.append(r["wall_ms"])
        stored += r["done"]
        failed_targets += r["targets"] - r["done"]
        if stored >= next_sample:
            st = proc_status(a.coord_pid)
            samples.append({"snapshots": stored, "rss": st.get("VmRSS"), "hwm": st.get("VmHWM"),
                            "elapsed_s": time.perf_counter() - t0})
            log(f"  fill: {stored} snapshots, {sessions} sessions, {time.perf_counter() - t0:.1f} s, "
                f"VmRSS {st.get('VmRSS', 0) / 1e6:.1f} MB")
            next_sample = (stored // 1000 + 1) * 1000
    elapsed = time.perf_counter() - t0
    ws.close()
    right_after = proc_status(a.coord_pid)
    time.sleep(a.settle)
    final = proc_status(a.coord_pid)
    counted = db_count(a.db)
    nworkers, workers_rss = children_rss(a.coord_pid)
    added = stored - (start_count or 0)
    out = {
        "target_snapshots": a.snapshots,
        "start_count": start_count,
        "stored_client_count": stored,
        "db_count": counted,
        "sessions": sessions,
        "failed_targets": failed_targets,
        "elapsed_s": elapsed,
        "snapshots_added": added,
        "snapshots_per_s": added / elapsed if elapsed > 0 else None,
        "session_wall_ms": {"median": statistics.median(walls), "p90": pct(walls, 90), "max": max(walls)} if walls else None,
        "before": before,
        "right_after": right_after,
        "final": final,
        "settle_s": a.settle,
        "samples": samples,
        "db_files": db_size(a.db),
        "workers": nworkers,
        "workers_rss": workers_rss,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    log(f"  fill: {added} snapshots in {sessions} sessions, {elapsed:.1f} s ({out['snapshots_per_s']:.0f}/s); "
        f"db holds {counted}; coordinator VmRSS {final.get('VmRSS', 0) / 1e6:.1f} MB, VmHWM {final.get('VmHWM', 0) / 1e6:.1f} MB")


# ----------------------------------------------------------------------------------------------
# wrk output
# ----------------------------------------------------------------------------------------------
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def dur_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    return float(m.group(1)) * UNIT[m.group(2)] if m else None


def parse_wrk(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    out = {"raw": text}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else None
    for p in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{p}(?:\.000)?%\s+(\S+)", text, re.M)
        out[f"p{p}_ms"] = dur_ms(m.group(1)) if m else None
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    if m:
        out["mean_ms"], out["stdev_ms"], out["max_ms"] = dur_ms(m.group(1)), dur_ms(m.group(2)), dur_ms(m.group(3))
    m = re.search(r"(\d+) requests in ([\d.]+\w+)", text)
    out["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    out["socket_errors_text"] = m.group(0) if m else ""
    return out


def cmd_wrk(a):
    d = parse_wrk(a.file)
    if d:
        d.pop("raw")
    print(json.dumps(d, indent=1))


# ----------------------------------------------------------------------------------------------
# summarize
# ----------------------------------------------------------------------------------------------


def fms(x):
    if x is None:
        return "—"
    if x >= 10000:
        return f"{x / 1000:,.2f} s"
    return f"{x:,.1f} ms" if x >= 10 else f"{x:.2f} ms"


def fx(x):
    return "—" if x is None else f"{x:,.1f}×" if x >= 10 else f"{x:.2f}×"


def fmb(b):
    return "—" if b is None else f"{b / 1e6:.1f} MB ({b / 1048576:.1f} MiB)"




def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_loops(run_dir):
    """loops.tsv: tool, loop, pids, ok, wall_us."""
    loops = {}
    try:
        with open(os.path.join(run_dir, "loops.tsv")) as f:
            next(f)
            for line in f:
                tool, loop, pids, ok, wall_us = line.rstrip("\n").split("\t")
                loops.setdefault(tool, []).append({"loop": int(loop), "pids": int(pids), "ok": int(ok),
                                                   "wall_ms": int(wall_us) / 1000})
    except OSError:
        pass
    return loops


def load_cpu(run_dir):
    rows = []
    try:
        with open(os.path.join(run_dir, "cpu.tsv")) as f:
            next(f)
            for line in f:
                phase, wall, nproc, others, ours, steal = line.rstrip("\n").split("\t")
                rows.append((phase, int(wall), int(nproc), int(others), int(ours), int(steal)))
    except OSError:
        pass
    return rows


def summarize(run_dir):
    meta = load_meta(run_dir)
    e2e = load_json(os.path.join(run_dir, "e2e.json")) or {"runs": [], "expect": None}
    fill = load_json(os.path.join(run_dir, "fill.json"))
    loops = load_loops(run_dir)
    wrk = {k: parse_wrk(os.path.join(run_dir, f"wrk_{k}.txt"))
           for k in ("nginx", "healthz", "processes", "nginx_lat", "healthz_lat")}
    cpu = load_cpu(run_dir)
    expect = e2e.get("expect")
    L = []
    goals = []  # (goal, measured, limit, ok, detail, counted)

    start = meta.get("start", "?")
    L.append(f"## REST API benchmark — run of {start}")
    L.append("")
    L.append(f"Command: `{meta.get('command', '?')}` (as root).")
    L.append("")
    L.append(f"Machine: {meta.get('nproc', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('kernel', '?')}; "
             f"load average {meta.get('load_start', '?')} at start, {meta.get('load_end', '?')} at end; "
             f"run {start} → {meta.get('end', '?')} (UTC).")
    L.append(f"Software: dbgcoord and dbg-worker at `{meta.get('rev', '?')}` ({meta.get('build_type', '?')}), "
             f"{meta.get('eu_stack', '?')}, {meta.get('gdb', '?')}, {meta.get('wrk', '?')}, {meta.get('nginx', '?')}, "
             f"Python {meta.get('python', '?')} (the benchmark's client).")
    L.append("")
    L.append(f"Targets: {meta.get('targets', '?')} processes `chain {meta.get('threads', '?')}` "
             f"({meta.get('threads', '?')} threads each, all parked in `pause()`), started from a symlink named "
             f"`{meta.get('target_name', '?')}` so that the session's `{{\"match\":\"^{meta.get('target_name', '?')}$\"}}` "
             f"selects exactly them. Coordinator: `dbgcoord --listen 127.0.0.1:0 --data-dir TMP` "
             f"(default workers: {meta.get('default_workers', '?')}, default batch size), fresh data directory. "
             "All figures below come from this one run.")
    L.append("")
    L.append(f"Quiet-machine check before measuring: {meta.get('quiet', '?')}.")
    L.append("")
    L.append("Reproduce (as root): `scripts/setup.sh --bench --no-build` (wrk, nginx-light), then "
             "`bench/run_api_bench.sh` (about 2 minutes once the machine is quiet; raw data in "
             "`build/bench/api-run-<date>/`).")
    L.append("")
    if cpu:
        L.append("CPU used during each phase by this benchmark (targets, coordinator, workers, tools, client) and by "
                 "*other* processes (`bench/cpumark.py`); other load competes for the 2 cores.")
        L.append("")
        L.append("| phase | wall | CPU capacity | ours | others | others, % of capacity | steal |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for phase, wall, nproc, others, ours, steal in cpu:
            cap = wall * nproc
            L.append(f"| {phase} | {wall / 1000:.1f} s | {cap / 1000:.1f} s | {ours / 1000:.1f} s | {others / 1000:.1f} s | "
                     f"{(100 * others / cap) if cap else 0:.0f}% | {steal / 1000:.1f} s |")
        L.append("")
        busy = [p for p, wall, nproc, others, ours, steal in cpu if wall and others > 0.15 * wall * nproc]
        if busy:
            L.append(f"**Other processes used more than 15% of the CPU capacity during {len(busy)} of {len(cpu)} phases** "
                     f"({', '.join(busy)}): those figures are stretched by competing load; compare them only with "
                     "figures of the same phase type in this run.")
            L.append("")

    # ---- 1. end to end -----------------------------------------------------------------------
    runs = e2e.get("runs", [])
    none_runs = [r for r in runs if r["source"] == "none"]
    all_runs = [r for r in runs if r["source"] == "all"]
    cold = none_runs[0] if none_runs else None
    warm = none_runs[1:]
    med_all = median([r["wall_ms"] for r in none_runs])
    med_warm = median([r["wall_ms"] for r in warm])
    eu = loops.get("eu_stack", [])
    gdb = loops.get("gdb", [])
    eu_med = median([x["wall_ms"] for x in eu])
    gdb_med = median([x["wall_ms"] for x in gdb])

    L.append(f"### 1. One snapshot of {expect} processes × {meta.get('threads', '?')} threads, end to end through the API")
    L.append("")
    L.append("*ours*: one WebSocket client subscribed to `/api/v1/events?topics=session`; timed from just before "
             "`POST /api/v1/sessions` is sent until the `session_done` event for that session's id is read "
             "(Python client, keep-alive HTTP connection). Afterwards `GET /api/v1/sessions/{id}` must show every "
             f"target `done` with a `snapshot_id`; after the first and the last `none` session every snapshot is "
             "also read back with `GET /api/v1/snapshots/{id}`. The first session runs on cold workers (the pool "
             "starts worker processes on demand). *eu-stack* / *gdb*: the same pids, one after the other, "
             "`eu-stack -p PID` / `gdb -p PID -batch -nx -iex 'set debuginfod enabled off' -ex 'thread apply all bt'`, "
             "total wall time of the loop (each a fresh process, output to a file).")
    L.append("")
    L.append("| run | source | POST → session_done | POST answered (202) after | server `total_ms` | batches | targets done with snapshot id | read back |")
    L.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    all_stored = bool(runs)
    for r in runs:
        label = f"{r['index'] + 1}" + (" (cold workers)" if r.get("cold") else "")
        rb = r.get("read_back")
        rbt = "—" if not rb else (f"{rb['ok']}/{rb['requested']} loaded, {rb['threads_min']}–{rb['threads_max']} threads each"
                                   if rb["threads_min"] != rb["threads_max"] else
                                   f"{rb['ok']}/{rb['requested']} loaded, {rb['threads_min']} threads each")
        ok = r["status"] == "done" and r["done"] == r["targets"] == expect and (not rb or rb["ok"] == rb["requested"])
        all_stored = all_stored and ok
        errs = "" if not r["errors"] else " (" + ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) + ")"
        L.append(f"| {label} | {r['source']} | {fms(r['wall_ms'])} | {fms(r.get('post_ms'))} | {fms(r['server_total_ms'])} | {r['batches']} | "
                 f"{r['done']}/{r['targets']}{errs} | {rbt} |")
    L.append("")
    L.append("| measure | wall | ours ÷ it |")
    L.append("| --- | ---: | ---: |")
    L.append(f"| ours, `source none`, median of all {len(none_runs)} runs | {fms(med_all)} | — |")
    L.append(f"| ours, `source none`, first run (cold workers) | {fms(cold['wall_ms'] if cold else None)} | — |")
    L.append(f"| ours, `source none`, median of the {len(warm)} warm runs | {fms(med_warm)} | — |")
    if all_runs:
        L.append(f"| ours, `source all` (one run, after the `none` runs) | {fms(all_runs[0]['wall_ms'])} | — |")
    for name, rows, label in (("eu_stack", eu, "`eu-stack -p PID` loop"), ("gdb", gdb, "gdb loop")):
        if not rows:
            continue
        for x in rows:
            L.append(f"| {label} over {x['pids']} pids" + (f", loop {x['loop'] + 1}" if len(rows) > 1 else "") +
                     f" ({x['ok']}/{x['pids']} exit 0) | {fms(x['wall_ms'])} | "
                     f"{fx(x['wall_ms'] / med_all) if med_all else '—'} faster |")
    L.append("")
    L.append("Speed-ups (loop wall ÷ our wall):")
    L.append("")
    L.append("| ours | vs eu-stack loop (median of loops) | vs gdb loop |")
    L.append("| --- | ---: | ---: |")
    for label, v in ((f"median of all {len(none_runs)} `none` runs", med_all),
                     ("first run, cold workers", cold["wall_ms"] if cold else None),
                     (f"median of the {len(warm)} warm runs", med_warm),
                     ("`source all` run", all_runs[0]["wall_ms"] if all_runs else None)):
        L.append(f"| {label} | {fx(eu_med / v) if v and eu_med else '—'} | {fx(gdb_med / v) if v and gdb_med else '—'} |")
    L.append("")
    eu_ok = all(x["ok"] == x["pids"] for x in eu) and bool(eu)
    gdb_ok = all(x["ok"] == x["pids"] for x in gdb) and bool(gdb)
    goals.append(("every session: all targets `done` with a stored snapshot", f"{sum(r['done'] for r in runs)}/{sum(r['targets'] for r in runs)}",
                  f"{expect} per session", all_stored,
                  f"{len(runs)} sessions; snapshots read back after runs 1 and {len(none_runs)}", True))
    if med_all and eu_med:
        goals.append((f"e2e {expect} processes ≥ {GOAL_VS_EU_STACK:.0f}× faster than the eu-stack loop",
                      fx(eu_med / med_all), fx(GOAL_VS_EU_STACK), eu_med / med_all >= GOAL_VS_EU_STACK and eu_ok,
                      f"median {fms(med_all)} vs eu-stack loop median {fms(eu_med)} ({len(eu)} loops"
                      + ("" if eu_ok else "; some eu-stack runs failed") + f"); cold run {fx(eu_med / cold['wall_ms'])}", True))
    if med_all and gdb_med:
        goals.append((f"e2e {expect} processes ≥ {GOAL_VS_GDB:.0f}× faster than the gdb loop",
                      fx(gdb_med / med_all), fx(GOAL_VS_GDB), gdb_med / med_all >= GOAL_VS_GDB and gdb_ok,
                      f"median {fms(med_all)} vs gdb loop {fms(gdb_med)}" + ("" if gdb_ok else " (some gdb runs failed)")
                      + f"; cold run {fx(gdb_med / cold['wall_ms'])}", True))

    # ---- 2. HTTP -----------------------------------------------------------------------------
    L.append(f"### 2. HTTP throughput and latency on loopback (`{meta.get('wrk_cmd', 'wrk')}`)")
    L.append("")
    L.append("wrk and the server share the same 2 cores. nginx (`nginx-light`): its own instance, "
             "`worker_processes 1; daemon off;`, `access_log off`, `location / { return 200 \"ok\\n\"; }`. "
             "dbgcoord's `/healthz` answers a small JSON document; `/api/v1/processes` (default limit 100) "
             "ranks every live process from /proc on each request and needs the bearer token.")
    L.append("")
    L.append("| endpoint | requests/s | p50 | p90 | p99 | max | requests | non-2xx | socket errors |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    lat_cmd = meta.get("wrk_lat_cmd", "wrk -t1 -c4")
    names = {"nginx": "nginx `GET /` (return 200)", "healthz": "dbgcoord `GET /healthz`",
             "processes": "dbgcoord `GET /api/v1/processes`",
             "nginx_lat": f"nginx `GET /`, light load (`{lat_cmd}`)",
             "healthz_lat": f"dbgcoord `GET /healthz`, light load (`{lat_cmd}`)"}
    for k in ("nginx", "healthz", "processes", "nginx_lat", "healthz_lat"):
        w = wrk[k]
        if not w:
            L.append(f"| {names[k]} | (no output) | | | | | | | |")
            continue
        L.append(f"| {names[k]} | {w['rps']:,.0f} | {fms(w['p50_ms'])} | {fms(w['p90_ms'])} | {fms(w['p99_ms'])} | "
                 f"{fms(w.get('max_ms'))} | {w['requests'] or 0:,} | {w['non2xx']} | {w['socket_errors_text'] or 'none'} |")
    L.append("")
    h, n = wrk["healthz"], wrk["nginx"]
    if h and n and h["rps"] and n["rps"]:
        L.append(f"`/healthz` ÷ nginx: {fx(h['rps'] / n['rps'])} the requests/s, p99 {fx(h['p99_ms'] / n['p99_ms']) if n['p99_ms'] else '—'} nginx's.")
        L.append("")
        goals.append((f"/healthz requests/s ≥ {GOAL_HEALTHZ_VS_NGINX}× nginx's", fx(h["rps"] / n["rps"]),
                      fx(GOAL_HEALTHZ_VS_NGINX), h["rps"] / n["rps"] >= GOAL_HEALTHZ_VS_NGINX and h["non2xx"] == 0,
                      f"{h['rps']:,.0f} vs {n['rps']:,.0f} requests/s; {h['non2xx']} non-2xx", True))
    hl, nl = wrk["healthz_lat"], wrk["nginx_lat"]
    if h and h["p99_ms"] is not None:
        L.append(f"Latency: at 32 connections the 2 cores are saturated (wrk itself takes about one), so p99 is "
                 f"mostly time spent queued, for nginx as for us (nginx p99 {fms(n['p99_ms']) if n else '—'}, "
                 f"ours {fms(h['p99_ms'])}). The p99 goal is therefore judged under a light load, "
                 f"`{lat_cmd}`, where latency is the server's own; both servers are measured that way too.")
        L.append("")
    if hl and hl["p99_ms"] is not None:
        goals.append((f"/healthz p99 < {GOAL_HEALTHZ_P99_MS:g} ms (light load)", fms(hl["p99_ms"]), fms(GOAL_HEALTHZ_P99_MS),
                      hl["p99_ms"] < GOAL_HEALTHZ_P99_MS and hl["non2xx"] == 0,
                      f"{lat_cmd}: p50 {fms(hl['p50_ms'])}, p90 {fms(hl['p90_ms'])}, {hl['rps']:,.0f} requests/s "
                      f"(nginx p99 {fms(nl['p99_ms']) if nl else '—'}); at -c32: p99 {fms(h['p99_ms'])} "
                      f"(nginx {fms(n['p99_ms']) if n else '—'})", True))
    elif h and h["p99_ms"] is not None:
        goals.append((f"/healthz p99 < {GOAL_HEALTHZ_P99_MS:g} ms", fms(h["p99_ms"]), fms(GOAL_HEALTHZ_P99_MS),
                      h["p99_ms"] < GOAL_HEALTHZ_P99_MS,
                      f"wrk -c32: p50 {fms(h['p50_ms'])}, p90 {fms(h['p90_ms'])} (nginx p99 {fms(n['p99_ms']) if n else '—'})", True))

    # ---- 3. RSS ------------------------------------------------------------------------------
    if fill:
        fin = fill["final"]
        L.append(f"### 3. Coordinator memory after {fill['target_snapshots']:,} stored snapshots")
        L.append("")
        L.append(f"Sessions over the same {expect} targets (`source none`), each waited for (`session_done`) "
                 f"before the next is posted, until the database holds ≥ {fill['target_snapshots']:,} snapshots "
                 f"(the {fill['start_count'] if fill['start_count'] is not None else '?'} of the phases before count). "
                 f"RSS from `/proc/PID/status` of the dbgcoord process, {fill['settle_s']:g} s after the last session "
                 "(workers are separate processes, listed apart).")
        L.append("")
        L.append("| measure | value |")
        L.append("| --- | ---: |")
        L.append(f"| sessions posted in this phase | {fill['sessions']} ({fill['failed_targets']} targets not done) |")
        L.append(f"| snapshots stored in this phase | {fill['snapshots_added']:,} in {fill['elapsed_s']:.1f} s |")
        L.append(f"| snapshots/s (sequential sessions of {expect}) | {fill['snapshots_per_s']:,.0f} |")
        sw = fill.get("session_wall_ms") or {}
        L.append(f"| one session, POST → session_done: median / p90 / max | {fms(sw.get('median'))} / {fms(sw.get('p90'))} / {fms(sw.get('max'))} |")
        L.append(f"| snapshots in the database at the end (`SELECT count(*)`) | {fill['db_count'] if fill['db_count'] is not None else '—':,} |")
        dbf = fill["db_files"]
        L.append(f"| database on disk: `dbgcoord.db` + `-wal` + `-shm` | {fmb(dbf['db'] + dbf['db_wal'] + dbf['db_shm'])} "
                 f"({dbf['db'] / 1e6:.1f} + {dbf['db_wal'] / 1e6:.1f} + {dbf['db_shm'] / 1e6:.2f} MB); "
                 f"{(dbf['db'] + dbf['db_wal']) / max(1, fill['db_count'] or 1) / 1024:.1f} KiB per snapshot |")
        L.append(f"| coordinator VmRSS before this phase | {fmb(fill['before'].get('VmRSS'))} |")
        L.append(f"| coordinator VmRSS at the end | {fmb(fin.get('VmRSS'))} (anon {fmb(fin.get('RssAnon'))}, file {fmb(fin.get('RssFile'))}) |")
        L.append(f"| coordinator VmHWM (peak RSS, whole run incl. wrk) | {fmb(fin.get('VmHWM'))} |")
        L.append(f"| coordinator threads | {fin.get('Threads', '—')} |")
        L.append(f"| worker processes (children) and their summed VmRSS | {fill['workers']} / {fmb(fill['workers_rss'])} |")
        L.append("")
        if fill.get("samples"):
            L.append("VmRSS as the snapshots accumulate: " + ", ".join(
                f"{s['snapshots']:,} → {s['rss'] / 1e6:.1f} MB" for s in fill["samples"] if s.get("rss")) + ".")
            L.append("")
        goals.append((f"coordinator VmRSS < {GOAL_RSS_BYTES / 1e6:.0f} MB after ≥ {fill['target_snapshots']:,} snapshots",
                       fmb(fin.get("VmRSS")), f"{GOAL_RSS_BYTES / 1e6:.0f} MB",
                       (fin.get("VmRSS") or 1e18) < GOAL_RSS_BYTES and (fill["db_count"] or 0) >= fill["target_snapshots"],
                       f"{fill['db_count']:,} snapshots in the database; VmHWM {fmb(fin.get('VmHWM'))}", True))

    # ---- goals -------------------------------------------------------------------------------
    L.append("### Goals")
    L.append("")
    L.append("| goal | measured | limit | result | detail |")
    L.append("| --- | ---: | ---: | --- | --- |")
    for g, measured, limit, ok, detail, _ in goals:
        L.append(f"| {g} | {measured} | {limit} | {'PASS' if ok else 'FAIL'} | {detail} |")
    L.append("")
    npass = sum(1 for g in goals if g[3])
    L.append(f"{npass} of {len(goals)} goals pass in this run.")
    L.append("")
    analysis = os.path.join(run_dir, "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            L.append(f.read().rstrip("\n"))
        L.append("")
    return "\n".join(L), goals


def write_section(md_path, section):
    block = BEGIN + "\n" + section.rstrip("\n") + "\n\n" + END + "\n"
    try:
        with open(md_path) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    b = text.find(BEGIN_PREFIX)
    e = text.find(END)
    if b >= 0 and e > b:
        text = text[:b] + block + text[e + len(END):].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(md_path, "w") as f:
        f.write(text)


def cmd_summarize(a):
    section, goals = summarize(a.run_dir)
    print(section)
    if a.benchmarks_md:
        write_section(a.benchmarks_md, section)
        log(f"wrote the REST API section of {a.benchmarks_md}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("e2e")
    f = sub.add_parser("fill")
    for s in (e, f):
        s.add_argument("--url", required=True)
        s.add_argument("--token-file", required=True)
        s.add_argument("--match", required=True)
        s.add_argument("--expect", type=int, required=True)
        s.add_argument("--out", required=True)
    e.add_argument("--runs", type=int, default=6)
    e.add_argument("--pause", type=float, default=0.5, help="seconds between two sessions")
    f.add_argument("--coord-pid", type=int, required=True)
    f.add_argument("--db", required=True)
    f.add_argument("--snapshots", type=int, default=10000)
    f.add_argument("--settle", type=float, default=2.0)
    w = sub.add_parser("wrk")
    w.add_argument("file")
    s = sub.add_parser("summarize")
    s.add_argument("run_dir")
    s.add_argument("--benchmarks-md")
    a = p.parse_args()
    {"e2e": cmd_e2e, "fill": cmd_fill, "wrk": cmd_wrk, "summarize": cmd_summarize}[a.cmd](a)


if __name__ == "__main__":
    main()
