#!/usr/bin/env python3
"""The scale benchmark (issue #23), driven by bench/run_scale_bench.sh: for each host size (N
sleeping processes started by tests/targets/sleepers, a few percent of them thread-heavy), each
coordinator (this build's, and with --compare another build's) is started on a fresh data
directory and measured:

  seq     GET /api/v1/processes?limit=100 on one keep-alive connection: p50/p99 (up to 200
          requests or 8 s)
  wrk     the same with `wrk -t2 -c32 -d5s --latency`: req/s, p50/p99
  idle    the coordinator's CPU (utime+stime from /proc) over an idle window, % of one core
  session a snapshot session over the sleepers ({"match": their name}, source none): wall time
          from POST to done, per target, targets done/failed, coordinator VmHWM, database growth
  dash    the dashboard's process view: ms to its first rows in chromium (bench/dashboard_load.js)

Every process it starts is stopped in a finally block (the sleepers' children also die with their
parent by PR_SET_PDEATHSIG). Results: RUN_DIR/results.json, and the "Scale benchmark" section of
BENCHMARKS.md (between the scale-bench markers) unless --no-write.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import pct  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")
children = []


def log(msg):
    print(time.strftime("[%H:%M:%S] ") + msg, file=sys.stderr, flush=True)


def read(path):
    with open(path) as f:
        return f.read()


def task_count():
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                n += len(os.listdir(f"/proc/{d}/task"))
            except OSError:
                pass
    return n


def process_count():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def cpu_ticks(pid):
    fields = read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def status_kb(pid, key):
    m = re.search(rf"^{key}:\s+(\d+) kB", read(f"/proc/{pid}/status"), re.M)
    return int(m.group(1)) if m else None


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def stop(proc, sig=signal.SIGTERM, timeout=15):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Sleepers:
    """N sleeping processes, `heavy` of them with `threads` threads, under a name of their own."""

    def __init__(self, binary, n, threads, heavy, tmp):
        self.name = f"scb{os.getpid() % 100000}"
        link = os.path.join(tmp, self.name)
        if not os.path.exists(link):
            os.symlink(binary, link)
        self.proc = subprocess.Popen([link, str(n), str(threads), str(heavy)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        children.append(self.proc)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("ready"):
            raise RuntimeError(f"sleepers: {line!r}")
        self.started = int(line.split()[1])

    def alive(self):
        n = 0
        for p in os.listdir("/proc"):
            try:
                n += p.isdigit() and read(f"/proc/{p}/comm").strip() == self.name
            except OSError:
                pass  # exited while listed
        return n

    def close(self):
        stop(self.proc)
        deadline = time.time() + 60
        while time.time() < deadline and self.alive():
            time.sleep(0.2)


class Coordinator:
    def __init__(self, binary, tmp, label):
        self.data = tempfile.mkdtemp(prefix=f"scale-{label}-", dir=tmp)
        # This build runs on its defaults (a session over 10,000 targets fits them); an older
        # build given to --compare refused it with its --max-queue 4096 and gets the room asked.
        extra = [] if label == "this" else ["--max-queue", "100000"]
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--data-dir", self.data] + extra,
                                     stdout=subprocess.PIPE, stderr=open(os.path.join(self.data, "stderr.log"), "w"), text=True)
        children.append(self.proc)
        line = self.proc.stdout.readline()
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not m:
            raise RuntimeError(f"{binary}: {line!r}")
        self.port = int(m.group(1))
        self.dashboard = self.proc.stdout.readline().split(" ", 1)[1].strip()
        self.token = read(os.path.join(self.data, "token")).strip()
        self.conn = None

    def request(self, method, path, body=None):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                headers = {"Authorization": f"Bearer {self.token}"}
                if body is not None:
                    headers["Content-Type"] = "application/json"
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt:
                    raise
        return None

    def close(self):
        stop(self.proc)


def measure_seq(c):
    times = []
    start = time.monotonic()
    while len(times) < 200 and (time.monotonic() - start < 8 or len(times) < 10):
        t0 = time.monotonic()
        status, _ = c.request("GET", "/api/v1/processes?limit=100")
        times.append((time.monotonic() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"GET /processes: {status}")
    return {"requests": len(times), "p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    v = float(m.group(1))
    return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]


def measure_wrk(c):
    out = subprocess.run(["wrk", "-t2", "-c32", "-d5s", "--latency", "-H", f"Authorization: Bearer {c.token}",
                          f"http://127.0.0.1:{c.port}/api/v1/processes?limit=100"], capture_output=True, text=True, timeout=60).stdout
    res = {"req_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for p in ("50", "99"):
        m = re.search(rf"^\s+{p}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{p}_ms"] = to_ms(m.group(1)) if m else None
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1).strip() if m else ""
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    return res


def measure_idle(c, seconds):
    before = cpu_ticks(c.proc.pid)
    time.sleep(seconds)
    used = (cpu_ticks(c.proc.pid) - before) / TICK
    return {"window_s": seconds, "cpu_pct_of_core": 100 * used / seconds}


def measure_session(c, name):
    db_before = dir_bytes(c.data)
    rss_before = status_kb(c.proc.pid, "VmRSS") / 1024  # the table and the rest, before the session
    t0 = time.monotonic()
    status, body = c.request("POST", "/api/v1/sessions", {"targets": {"match": f"^{name}$"}, "options": {"source": "none"}})
    if status != 202:
        raise RuntimeError(f"POST /sessions: {status} {body[:200]!r}")
    sid = json.loads(body)["id"]
    while True:
        _, body = c.request("GET", f"/api/v1/sessions/{sid}")
        s = json.loads(body)
        if s["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.25)
    wall = time.monotonic() - t0
    targets = [t for b in s["batches"] for t in b["targets"]]
    done = sum(1 for t in targets if t["status"] == "done")
    return {"status": s["status"], "targets": len(targets), "done": done, "failed": len(targets) - done,
            "wall_s": wall, "per_target_ms": 1000 * wall / max(1, len(targets)),
            "rss_before_mb": rss_before, "rss_peak_mb": status_kb(c.proc.pid, "VmHWM") / 1024, "db_growth_mb": (dir_bytes(c.data) - db_before) / 2**20}


def measure_dashboard(c):
    out = subprocess.run(["node", os.path.join(REPO, "bench", "dashboard_load.js"), c.dashboard], capture_output=True,
                         text=True, timeout=240)
    return {"first_rows_ms": int(out.stdout.strip()) if out.returncode == 0 else None, "error": out.stderr.strip()[:200]}


def table_info(c):
    status, body = c.request("GET", "/api/v1/processes?limit=1")
    return json.loads(body).get("table") if status == 200 else None


def run_size(n, args, coordinators, tmp):
    heavy = max(1, round(n * 0.03))
    budget = args.task_budget - task_count()
    want_threads = 5 * n  # 50,000 threads at 10,000 processes
    threads = max(1, -(-(min(want_threads, budget) - (n - heavy)) // heavy))  # rounded up: 50,000 at least
    if heavy * threads + n - heavy > budget:
        threads = max(1, (budget - (n - heavy)) // heavy)
    log(f"size {n}: {heavy} processes of {threads} threads, {n - heavy} of 1")
    sleepers = Sleepers(args.sleepers, n, threads, heavy, tmp)
    try:
        row = {"size": n, "sleepers": sleepers.started, "heavy": heavy, "threads_each": threads,
               "host_processes": process_count(), "host_tasks": task_count(), "by": {}}
        for label, binary in coordinators:
            log(f"  {label}: start")
            c = Coordinator(binary, tmp, label)
            try:
                time.sleep(1)
                r = {"seq": measure_seq(c)}
                log(f"  {label}: seq {r['seq']}")
                r["wrk"] = measure_wrk(c)
                log(f"  {label}: wrk {r['wrk']}")
                info = table_info(c) if label == "this" else None
                r["table"] = info
                # At least one whole scan interval: a shorter window would miss or catch a scan by luck.
                window = 10 if not info else min(60, max(10, 1.05 * info["refresh_interval_ms"] / 1000))
                r["idle"] = measure_idle(c, window)
                log(f"  {label}: idle {r['idle']}")
                r["session"] = measure_session(c, sleepers.name)
                log(f"  {label}: session {r['session']}")
                r["dashboard"] = measure_dashboard(c)
                log(f"  {label}: dashboard {r['dashboard']}")
                row["by"][label] = r
            finally:
                c.close()
        return row
    finally:
        sleepers.close()


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def ratio(a, b):
    return f"{a / b:,.1f}x" if a and b else "–"


def pid_max_note(meta):
    original = meta.get("pid_max_original", meta["pid_max"])
    return f" (raised from {original:,} for the run and restored after it)" if original != meta["pid_max"] else ""


def markdown(results, meta):
    lines = [f"## Scale benchmark — run of {meta['when']}", "",
             f"Command: `{meta['command']}` ({meta['elapsed_s']:.0f} s). Machine: {meta['machine']}.",
             f"Limits: pid_max {meta['pid_max']}{pid_max_note(meta)}, threads-max {meta['threads_max']}, `ulimit -u` {meta['ulimit_u']}; "
             f"tasks on the host before the run: {meta['tasks_before']}. Threads per size are capped so the whole host "
             f"stays {meta['task_margin']} tasks below pid_max (every thread takes a pid).", "",
             "Sleepers: `tests/targets/sleepers N THREADS HEAVY` (3 % of them thread-heavy). "
             "`this` is this branch's dbgcoord, `main` the build given to --compare; both against the same processes, "
             "one after the other, each on a fresh data directory. Session: `{\"targets\":{\"match\":\"^NAME$\"},"
             "\"options\":{\"source\":\"none\"}}` over the sleepers. GET: `/api/v1/processes?limit=100`.", ""]
    labels = [l for l in ("this", "main") if any(l in r["by"] for r in results)]
    head = "| | " + " | ".join(f"{r['size']:,} ({r['host_processes']:,} proc., {r['host_tasks']:,} tasks) {l}"
                                for r in results for l in labels) + " |"
    lines += [head, "|---" * (1 + len(results) * len(labels)) + "|"]

    def row(title, get, digits=1):
        cells = []
        for r in results:
            for l in labels:
                try:
                    cells.append(fmt(get(r["by"][l]), digits))
                except (KeyError, TypeError):
                    cells.append("–")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")

    row("GET p50 sequential, ms", lambda b: b["seq"]["p50_ms"], 2)
    row("GET p99 sequential, ms", lambda b: b["seq"]["p99_ms"], 2)
    row("wrk 32 clients, req/s", lambda b: b["wrk"]["req_s"])
    row("wrk p50, ms", lambda b: b["wrk"]["p50_ms"], 2)
    row("wrk p99, ms", lambda b: b["wrk"]["p99_ms"], 2)
    row("idle CPU, % of a core", lambda b: b["idle"]["cpu_pct_of_core"], 2)
    row("session wall, s", lambda b: b["session"]["wall_s"], 2)
    row("session per target, ms", lambda b: b["session"]["per_target_ms"], 2)
    row("session targets done / total", lambda b: f"{b['session']['done']:,} / {b['session']['targets']:,}")
    row("coordinator VmRSS before the session, MB", lambda b: b["session"]["rss_before_mb"])
    row("coordinator VmHWM after it, MB", lambda b: b["session"]["rss_peak_mb"])
    row("database growth, MB", lambda b: b["session"]["db_growth_mb"], 2)
    row("dashboard first rows, ms", lambda b: b["dashboard"]["first_rows_ms"])
    lines.append("")
    if "main" in labels:
        lines.append("Ratios (main / this; above 1 is faster or cheaper here):")
        lines.append("")
        for r in results:
            t, m = r["by"].get("this"), r["by"].get("main")
            if not (t and m):
                continue
            lines.append(f"- {r['size']:,}: GET p99 {ratio(m['seq']['p99_ms'], t['seq']['p99_ms'])}, "
                         f"wrk req/s {ratio(t['wrk']['req_s'], m['wrk']['req_s'])}, "
                         f"session {ratio(m['session']['wall_s'], t['session']['wall_s'])}, "
                         f"dashboard {ratio(m['dashboard']['first_rows_ms'], t['dashboard']['first_rows_ms'])}")
        lines.append("")
    for r in results:
        t = r["by"].get("this", {})
        info = t.get("table")
        if info:
            per = info["refresh_cpu_ms"] / max(1, r["host_processes"]) * 1000
            lines.append(f"- {r['size']:,}: the table's last scan before the GETs (the first reads every process whole) {info['refresh_cpu_ms']:.1f} ms CPU ({per:.1f} µs per process), "
                         f"every {info['refresh_interval_ms'] / 1000:.1f} s; events: {info['events']}")
    top = max(results, key=lambda r: r["size"]).get("by", {}).get("this")
    if top:
        checks = [("GET p99 sequential < 20 ms", top["seq"]["p99_ms"] < 20, f"{top['seq']['p99_ms']:.2f} ms"),
                  ("wrk >= 1,000 req/s", top["wrk"]["req_s"] >= 1000, f"{top['wrk']['req_s']:,.0f}"),
                  ("idle < 1 % of a core", top["idle"]["cpu_pct_of_core"] < 1, f"{top['idle']['cpu_pct_of_core']:.2f} %"),
                  ("session < 20 s", top["session"]["wall_s"] < 20, f"{top['session']['wall_s']:.1f} s"),
                  ("coordinator RSS < 50 MB", top["session"]["rss_peak_mb"] < 50, f"VmHWM {top['session']['rss_peak_mb']:.1f} MB"),
                  ("dashboard first rows < 1 s", (top["dashboard"]["first_rows_ms"] or 1e9) < 1000,
                   f"{top['dashboard']['first_rows_ms']} ms")]
        lines.append(f"Goals at {max(r['size'] for r in results):,} processes (this build): " +
                     "; ".join(f"{name}: {value} {'met' if ok else 'NOT met'}" for name, ok, value in checks) + ".")
    lines += ["",
              "Notes:",
              threads_note(results, meta),
              "- Idle CPU is measured right after the wrk run, over at least 10 s and, for `this`, one whole scan "
              "interval of the table (a stat-only scan; every 10th reads every process whole and costs more). A "
              "`main` without the process table (before issue #23) also works off the requests wrk left queued "
              "then, each one a whole /proc scan.",
              "- VmHWM is the coordinator's peak, reached in the session (session state, its JSON, the store's queue "
              "and SQLite's records of it); the table's own share is the VmRSS before the session. This build writes "
              "the session's JSON as text instead of a tree (~7 MB at 10,000 targets, rebuilt for every stored row "
              "and every GET) and runs glibc malloc with at most 2 arenas and a 128 KiB mmap/trim threshold "
              "(coordinator/main.cpp), then trims the heap after the session.",
              "- `this` runs on its defaults (--max-queue 32768 admits a session over 10,000 targets); `main` had "
              "--max-queue 100000, without which it answers such a session 503.",
              "- The dashboard's time is a warm second navigation to #/processes until its first row; about 650 ms "
              "of it is the page itself on this machine (the 100-process column).",
              ""]
    return "\n".join(lines)


def threads_note(results, meta):
    top = max(results, key=lambda r: r["size"])
    threads = top["heavy"] * top["threads_each"] + top["sleepers"] - top["heavy"]
    text = (f"- Threads: at {top['size']:,} processes {top['heavy']:,} sleepers of {top['threads_each']:,} threads and "
            f"{top['sleepers'] - top['heavy']:,} of one, {threads:,} sleeper threads ({top['host_tasks']:,} tasks on the host). ")
    if meta.get("pid_max_original", meta["pid_max"]) != meta["pid_max"]:
        text += (f"Every thread takes a pid: Linux's default pid_max {meta['pid_max_original']:,} leaves too few for "
                 f"50,000 threads beside the host, so run_scale_bench.sh raises it to {meta['pid_max']:,} for the run "
                 "and writes the original back on any exit (--pid-max).")
    elif threads < 5 * top["size"]:
        text += f"Fewer than the goal's {5 * top['size']:,}: pid_max {meta['pid_max']:,} (every thread takes a pid) capped them."
    return text


SECTION_BEGIN = "<!-- scale-bench:begin (written by bench/scale_bench.py; do not edit by hand) -->"
SECTION_END = "<!-- scale-bench:end -->"
# Rows compared with the previous run's `this` columns: (title, lower is better).
EARLIER_ROWS = [("GET p99 sequential, ms", True), ("wrk 32 clients, req/s", False), ("idle CPU, % of a core", True),
                ("session wall, s", True), ("coordinator VmHWM after it, MB", True), ("database growth, MB", True),
                ("dashboard first rows, ms", True)]


def earlier_run():
    """The `this` columns of the section now in BENCHMARKS.md: {"when", "sizes": {size: {row title: value}}}."""
    try:
        doc = read(os.path.join(REPO, "BENCHMARKS.md"))
        section = doc[doc.index(SECTION_BEGIN):doc.index(SECTION_END)]
    except (OSError, ValueError):
        return None
    m = re.search(r"run of (\S+)", section)
    if not m or "| |" not in section:
        return None
    return {"when": m.group(1), **earlier_run_from_text(section)}


def earlier_lines(text, earlier):
    """'- SIZE: title A -> B (ratio)' for the rows of EARLIER_ROWS, this run's table against the earlier one's."""
    now = earlier_run_from_text(text)
    out = []
    for size, values in sorted(now["sizes"].items()):
        before = earlier["sizes"].get(size)
        if not before:
            continue
        parts = []
        for title, lower_better in EARLIER_ROWS:
            a, b = before.get(title), values.get(title)
            if a is None or b is None:
                continue
            gain = (a / b if lower_better else b / a) if a and b else None
            parts.append(f"{title.split(',')[0]} {a:,g} -> {b:,g}" + (f" ({gain:,.2f}x)" if gain else ""))
        if parts:
            out.append(f"- {size:,}: " + "; ".join(parts))
    if not out:
        return ""
    return (f"Against the previous run ({earlier['when']}, its `this` columns; above 1x is better now):\n\n"
            + "\n".join(out) + "\n")


def earlier_run_from_text(text):
    rows = [l for l in text.splitlines() if l.startswith("| ")]
    head = [c.strip() for c in rows[0].strip("|").split("|")]
    cols = {i: int(re.match(r"([\d,]+)", h).group(1).replace(",", "")) for i, h in enumerate(head) if h.endswith(" this")}
    sizes = {size: {} for size in cols.values()}
    for line in rows[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        for i, size in cols.items():
            try:
                sizes[size][cells[0]] = float(cells[i].replace(",", ""))
            except (ValueError, IndexError):
                pass
    return {"sizes": sizes}


def with_earlier(text):
    """The summary with the comparison against the run now in BENCHMARKS.md appended before the goals."""
    earlier = earlier_run()
    if not earlier:
        return text
    extra = earlier_lines(text, earlier)
    if not extra:
        return text
    marker = "\nGoals at "
    i = text.find(marker)
    return text[:i + 1] + "\n" + extra + "\n" + text[i + 1:] if i >= 0 else text + "\n" + extra


def write_section(text):
    path = os.path.join(REPO, "BENCHMARKS.md")
    begin, end = SECTION_BEGIN, SECTION_END
    doc = read(path)
    block = f"{begin}\n{text}\n{end}"
    if begin in doc:
        doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--coordinator", required=True)
    ap.add_argument("--compare")
    ap.add_argument("--sleepers", required=True)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--command", default="bench/run_scale_bench.sh")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--pid-max-original", type=int, help="pid_max before run_scale_bench.sh raised it")
    ap.add_argument("--summarize", help="only rewrite the summary from this results.json")
    if "--summarize" in sys.argv:
        ap2 = argparse.ArgumentParser()
        ap2.add_argument("--summarize", required=True)
        ap2.add_argument("--no-write", action="store_true")
        ap2.add_argument("--pid-max-original", type=int)
        a = ap2.parse_args()
        with open(a.summarize) as f:
            saved = json.load(f)
        text = with_earlier(markdown(saved["results"], saved["meta"]))
        print(text)
        if not a.no_write:
            write_section(text)
        return
    args = ap.parse_args()
    pid_max = int(read("/proc/sys/kernel/pid_max"))
    margin = 8000  # pids left for the rest of the host (other users fork too)
    args.task_budget = pid_max - margin
    started = time.time()
    meta = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "command": args.command,
            "pid_max": pid_max, "pid_max_original": args.pid_max_original or pid_max, "threads_max": int(read("/proc/sys/kernel/threads-max")),
            "ulimit_u": subprocess.run(["bash", "-c", "ulimit -u"], capture_output=True, text=True).stdout.strip(),
            "tasks_before": task_count(), "task_margin": margin,
            "machine": f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
                       f"kernel {os.uname().release}"}
    coordinators = [("this", args.coordinator)] + ([("main", args.compare)] if args.compare else [])
    tmp = tempfile.mkdtemp(prefix="scale-", dir=args.run_dir)
    results = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            results.append(run_size(n, args, coordinators, tmp))
            meta["elapsed_s"] = time.time() - started
            with open(os.path.join(args.run_dir, "results.json"), "w") as f:
                json.dump({"meta": meta, "results": results}, f, indent=1)
    finally:
        for p in children:
            stop(p, signal.SIGKILL, 5)
        shutil.rmtree(tmp, ignore_errors=True)
    meta["elapsed_s"] = time.time() - started
    text = with_earlier(markdown(results, meta))
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
