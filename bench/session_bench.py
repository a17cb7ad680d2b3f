#!/usr/bin/env python3
"""The measuring and summarizing side of bench/run_session_bench.sh (standard library only).

usage:
  session_bench.py session --url URL --token-file F --match RE --expect N --host HOST --index I
                           --out FILE.json
      One session {"source":"none"} over the targets RE selects, timed by bench/api_bench.py's
      run_session (from just before POST /api/v1/sessions until its session_done event on the
      WebSocket); then every snapshot is read back (GET /api/v1/snapshots/{id}) for its threads'
      pause_us and its capture_sched (when the build reports it). Exits 1 when the session could
      not be run at all; targets not done are recorded (the summary's goals show them).
  session_bench.py summarize RUN_DIR [--benchmarks-md FILE]
      Aggregate a run directory, judge the goals, print the section and (re)write it in FILE
      between the session-bench markers (inserted before "## Crash-watch overhead" the first
      time, with a row in the index table at the top).
"""
import argparse
import glob
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # importing api_bench must not leave bench/__pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_bench import Api, open_events, read_token, run_session, fms, fx, load_json, load_cpu  # noqa: E402
from bench_common import load_meta, median, pct  # noqa: E402

BEGIN = "<!-- session-bench:begin (written by bench/session_bench.py; do not edit by hand) -->"
BEGIN_PREFIX = "<!-- session-bench:begin"
END = "<!-- session-bench:end -->"
# Where the section goes the first time: after the REST API section and the hand-written text
# that follows its end marker, i.e. right before this heading.
INSERT_BEFORE = "## Crash-watch overhead"
INDEX_ROW = ("| Busy-host session | a 32-process snapshot session through the API against an eu-stack loop, "
             "on an idle and on a saturated host | `bench/run_session_bench.sh` |")
INDEX_AFTER = "| REST API |"

GOAL_VS_EU_STACK = 10.0  # issue #19: on a saturated host, the session >= 10x faster than the eu-stack loop
HOSTS = ("idle", "saturated")


def log(msg):
    print(time.strftime("[%H:%M:%S]"), msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# session: one timed session, then its snapshots' pauses
# ----------------------------------------------------------------------------------------------
def snapshot_pauses(api, ids):
    """GET every snapshot; its threads' pause_us and its capture_sched (absent in older builds)."""
    pauses, sched, reasons, failed, threads = [], {}, {}, [], []
    for i in ids:
        status, snap = api.request("GET", f"/api/v1/snapshots/{i}")
        if status != 200 or not isinstance(snap, dict):
            failed.append([i, status])
            continue
        ts = snap.get("threads", [])
        threads.append(len(ts))
        pauses += [t["pause_us"] for t in ts if isinstance(t.get("pause_us"), (int, float)) and not t.get("error")]
        if "capture_sched" in snap:
            sched[snap["capture_sched"]] = sched.get(snap["capture_sched"], 0) + 1
            reason = snap.get("capture_sched_reason")
            if reason:
                reasons[reason] = reasons.get(reason, 0) + 1
    return {"requested": len(ids), "ok": len(ids) - len(failed), "failed": failed[:5],
            "threads_min": min(threads, default=None), "threads_max": max(threads, default=None),
            "pause_us": pauses, "capture_sched": sched or None, "capture_sched_reasons": reasons}


def session_pauses(sess):
    """Per-thread pauses when the session JSON itself carries them (targets[].threads[].pause_us)."""
    out = []
    for b in sess.get("batches", []):
        for t in b.get("targets", []):
            out += [th["pause_us"] for th in t.get("threads", []) or []
                    if isinstance(th, dict) and isinstance(th.get("pause_us"), (int, float))]
    return out


def cmd_session(a):
    token = read_token(a.token_file)
    api = Api(a.url, token)
    ws = open_events(a.url, token)
    try:
        r = run_session(api, ws, a.match, "none")
    finally:
        ws.close()
    r["host"], r["index"], r["cold"], r["expect"] = a.host, a.index, a.index == 0, a.expect
    status, sess = api.request("GET", f"/api/v1/sessions/{r['id']}")
    in_session = session_pauses(sess) if status == 200 and isinstance(sess, dict) else []
    snaps = snapshot_pauses(api, r["snapshot_ids"])
    r["snapshots"] = snaps
    r["pause_source"] = "session" if in_session else "snapshots"
    r["pause_us"] = in_session or snaps["pause_us"]
    with open(a.out, "w") as f:
        json.dump(r, f, indent=1)
    errs = "" if not r["errors"] else " (" + ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) + ")"
    log(f"  {a.host}: session {a.index + 1}{' (cold workers)' if r['cold'] else ''}: {r['wall_ms']:.1f} ms "
        f"POST->session_done (server total_ms {r['server_total_ms']}), {r['done']}/{r['targets']} done{errs}; "
        f"pause per thread median {fus(median(r['pause_us']))}, p99 {fus(pct(r['pause_us'], 99))}"
        + (f"; capture_sched {fmt_counts(snaps['capture_sched'])}" if snaps["capture_sched"] else ""))
    if r["done"] != a.expect:
        log(f"  WARNING: {r['done']} of {a.expect} targets done with a snapshot")


# ----------------------------------------------------------------------------------------------
# summarize
# ----------------------------------------------------------------------------------------------
def fus(x):
    if x is None:
        return "—"
    return f"{x / 1000:,.2f} ms" if x >= 10000 else f"{x:,.0f} µs"


def fmt_counts(d):
    return ", ".join(f"{k} ×{v}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) if d else "—"


def load_loops(run_dir):
    """loops.tsv: host, loop, pids, ok, wall_us, failed (pid:exit,... or -)."""
    loops = {}
    try:
        with open(os.path.join(run_dir, "loops.tsv")) as f:
            next(f)
            for line in f:
                host, loop, pids, ok, wall_us, failed = line.rstrip("\n").split("\t")
                loops.setdefault(host, []).append({"loop": int(loop), "pids": int(pids), "ok": int(ok),
                                                   "wall_ms": int(wall_us) / 1000,
                                                   "failed": "" if failed == "-" else failed})
    except OSError:
        pass
    return loops


def load_host_load(run_dir):
    rows = {}
    try:
        with open(os.path.join(run_dir, "host_load.tsv")) as f:
            next(f)
            for line in f:
                host, wall, cpu, sp, wa, wk = line.rstrip("\n").split("\t")
                rows[host] = {"wall_ms": int(wall), "cpu_ms": int(cpu), "spinners": sp, "wakers": wa,
                              "wakeups": int(wk) if wk.isdigit() else None}
    except OSError:
        pass
    return rows


def load_sessions(run_dir):
    out = {}
    for p in glob.glob(os.path.join(run_dir, "sessions", "*.json")):
        r = load_json(p)
        if r:
            out.setdefault(r["host"], []).append(r)
    for rs in out.values():
        rs.sort(key=lambda r: r["index"])
    return out


def host_figures(sessions, loops):
    """The figures of one host phase: session walls (cold apart), eu-stack loops, ratios, pauses."""
    cold = sessions[0] if sessions else None
    warm = sessions[1:]
    # The headline is the warm median; with a single session there is only the cold one.
    head = median([r["wall_ms"] for r in warm]) if warm else (cold["wall_ms"] if cold else None)
    eu_med = median([x["wall_ms"] for x in loops])
    last = sessions[-1] if sessions else None
    all_pauses = [p for r in sessions for p in r.get("pause_us", [])]
    return {
        "n": len(sessions), "cold": cold, "warm": warm, "head": head,
        "head_label": f"median of the {plural(len(warm), 'warm session')}" if warm else "the one (cold) session",
        "min": min((r["wall_ms"] for r in warm), default=None),
        "max": max((r["wall_ms"] for r in warm), default=None),
        "eu_med": eu_med, "eu_n": len(loops),
        "ratio": eu_med / head if eu_med and head else None,
        "ratio_cold": eu_med / cold["wall_ms"] if eu_med and cold else None,
        "eu_ok": bool(loops) and all(x["ok"] == x["pids"] for x in loops),
        "all_done": bool(sessions) and all(r["status"] == "done" and r["done"] == r["targets"] == r["expect"]
                                           and r["snapshots"]["ok"] == r["snapshots"]["requested"] for r in sessions),
        "last": last,
        "last_pauses": last.get("pause_us", []) if last else [],
        "all_pauses": all_pauses,
        "sched": last["snapshots"].get("capture_sched") if last else None,
        "sched_reasons": last["snapshots"].get("capture_sched_reasons") if last else None,
    }


def load_loads(run_dir):
    """loads.tsv: phase, targets_ms, host_load_ms (the part of "ours" that is load, not tools)."""
    rows = {}
    try:
        with open(os.path.join(run_dir, "loads.tsv")) as f:
            next(f)
            for line in f:
                phase, t, hl = line.rstrip("\n").split("\t")
                rows[phase] = (int(t), int(hl))
    except OSError:
        pass
    return rows


def cpu_rows_by_kind(cpu, loads, host):
    """cpu.tsv has one row per step ("HOST: session 2", "HOST: eu-stack loop 1", "HOST: whole phase");
    sum them per kind of step: [wall, nproc, others, ours, steal, steps, targets, host_load]."""
    kinds = {}
    for phase, wall, nproc, others, ours, steal in cpu:
        h, _, step = phase.partition(": ")
        if h != host:
            continue
        kind = "sessions" if step.startswith("session") else "eu-stack loops" if step.startswith("eu-stack") else step
        k = kinds.setdefault(kind, [0, nproc, 0, 0, 0, 0, 0, 0])
        t, hl = loads.get(phase, (0, 0))
        for i, v in ((0, wall), (2, others), (3, ours), (4, steal), (5, 1), (6, t), (7, hl)):
            k[i] += v
    return kinds


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def summarize(run_dir):
    meta = load_meta(run_dir)
    sessions = load_sessions(run_dir)
    loops = load_loops(run_dir)
    loads = load_host_load(run_dir)
    cpu = load_cpu(run_dir)
    cpu_loads = load_loads(run_dir)
    hosts = [h for h in HOSTS if h in sessions or h in loops]
    figs = {h: host_figures(sessions.get(h, []), loops.get(h, [])) for h in hosts}
    ntargets, nthreads = meta.get("targets", "?"), meta.get("threads", "?")
    L, goals = [], []  # goals: (goal, counted, measured, limit, ok, detail)

    start = meta.get("start", "?")
    L.append(f"## Busy-host session benchmark — run of {start}")
    L.append("")
    L.append(f"Command: `{meta.get('command', '?')}` (as root).")
    L.append("")
    L.append(f"Machine: {meta.get('nproc', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('kernel', '?')}; "
             f"load average {meta.get('load_start', '?')} at start, {meta.get('load_end', '?')} at end; "
             f"run {start} → {meta.get('end', '?')} (UTC).")
    if meta.get("build_rev"):  # binaries of another checkout (BUILD_DIR)
        build = (f"from `{meta.get('build_dir', '?')}`, built from `{meta.get('build_src', '?')}` at `{meta['build_rev']}` "
                 f"({meta.get('build_type') or '?'}, binary of {meta.get('binary_date', '?')}; this script at "
                 f"`{meta.get('rev', '?')}`)")
    else:
        build = f"at `{meta.get('rev', '?')}` ({meta.get('build_type') or '?'}, binary of {meta.get('binary_date', '?')})"
    L.append(f"Software: dbgcoord and dbg-worker {build}, {meta.get('eu_stack', '?')}, "
             f"{meta.get('gcc', '?')} (hiccup, host_load), Python {meta.get('python', '?')} (the benchmark's client).")
    L.append("")
    L.append(f"Targets: {ntargets} processes `hiccup {nthreads} {meta.get('target_seconds', '?')} {meta.get('depth', '?')}` "
             f"(shared bench/hiccup.c: {nthreads} threads each, {meta.get('depth', '?')} frames deep, every thread "
             "sleeping 100 µs in a loop, so the targets alone wake about "
             f"{int(ntargets) * int(nthreads) if str(ntargets).isdigit() and str(nthreads).isdigit() else '?'} × 10,000 "
             f"times a second), started once for the whole run from a symlink named `{meta.get('target_name', '?')}` "
             f"so that the session's `{{\"match\":\"^{meta.get('target_name', '?')}$\"}}` selects exactly them.")
    L.append("")
    L.append("Hosts, one phase each, in this order: *idle* (nothing else of ours runs) and *saturated* "
             f"(`{meta.get('host_load_cmd', 'host_load')}`, bench/host_load.c: 2 spinning threads per CPU and 8 threads "
             "waking every 100 µs, started for the phase and stopped after it). Each phase starts its own "
             "`dbgcoord --listen 127.0.0.1:0 --data-dir TMP --budget-cpu-percent 100` (fresh data directory, default "
             f"workers: {meta.get('default_workers', '?')}), so its first session runs on cold workers (the pool starts "
             "worker processes on demand), and runs its sessions and eu-stack loops interleaved: session, loop, "
             "session, loop, …")
    L.append("")
    if meta.get("harness_nice"):
        L.append(f"The tools and the load (dbgcoord and its workers, each eu-stack, the targets, host_load) run at nice "
                 f"{meta.get('nice', '?')}; the drivers, this script (which forks each eu-stack) and the session client "
                 f"(which posts each session and reads its end), at nice {meta['harness_nice']}, so that the targets' "
                 "run queues do not stretch the run's own steps (CPU accounting, starting the client) by tens of "
                 "seconds each.")
        L.append("")
    L.append("*ours*: one session `{\"source\":\"none\"}` timed from just before `POST /api/v1/sessions` is sent until "
             "its `session_done` event is read on the WebSocket `/api/v1/events?topics=session` (bench/api_bench.py's "
             "client); `GET /api/v1/sessions/{id}` must then show every target `done` with a `snapshot_id`, and every "
             "snapshot is read back (`GET /api/v1/snapshots/{id}`) for its threads' `pause_us` and its `capture_sched`. "
             "*eu-stack loop*: `eu-stack -p PID` over the same pids one after the other (each a fresh process, output "
             "to a file), total wall time, every exit code checked. All figures below come from this one run.")
    L.append("")
    L.append(f"Quiet-machine check before the run: {meta.get('quiet', '?')}.")
    L.append("")
    L.append("Reproduce (as root, with dbgcoord and dbg-worker built in `build/`, or `BUILD_DIR=…`): "
             "`bench/run_session_bench.sh` (raw data in `build/bench/session-run-<date>/`).")
    L.append("")

    # ---- CPU accounting ----------------------------------------------------------------------
    if cpu:
        L.append("CPU used by this benchmark and by *other* processes (`bench/cpumark.py`), summed over the steps of "
                 "each kind (a *whole phase* also holds the pauses between steps). *ours* splits into the targets, "
                 "host_load (saturated host) and the tools: dbgcoord, its workers, eu-stack, the client and this "
                 "script. Other load competes for the cores too.")
        L.append("")
        L.append("| host | steps | wall | CPU capacity | ours | of it: targets | of it: host_load | of it: tools | "
                 "others | others, % of capacity | steal |")
        L.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        busy = []
        for h in hosts:
            for kind, (wall, nproc, others, ours, steal, n, tgt, hl) in cpu_rows_by_kind(cpu, cpu_loads, h).items():
                cap = wall * nproc
                label = f"{kind} ({n})" if kind != "whole phase" else kind
                L.append(f"| {h} | {label} | {wall / 1000:.1f} s | {cap / 1000:.1f} s | {ours / 1000:.1f} s | "
                         f"{tgt / 1000:.1f} s | {hl / 1000:.1f} s | {max(0, ours - tgt - hl) / 1000:.1f} s | "
                         f"{others / 1000:.1f} s | {(100 * others / cap) if cap else 0:.0f}% | {steal / 1000:.1f} s |")
                if kind == "whole phase" and cap and others > 0.15 * cap:
                    busy.append(h)
        L.append("")
        for h, ld in loads.items():
            cap = ld["wall_ms"] * int(meta.get("nproc", "1"))
            rate = f" ({ld['wakeups'] / (ld['wall_ms'] / 1000):,.0f}/s)" if ld["wakeups"] and ld["wall_ms"] else ""
            L.append(f"host_load on the {h} host: {ld['spinners']} spinning + {ld['wakers']} waking threads used "
                     f"{ld['cpu_ms'] / 1000:.1f} s CPU in {ld['wall_ms'] / 1000:.1f} s "
                     f"({100 * ld['cpu_ms'] / cap if cap else 0:.0f}% of the capacity; counted in *ours* above), "
                     f"{format(ld['wakeups'], ',') if ld['wakeups'] is not None else '?'} wake-ups{rate}. Its spinners "
                     "alone would take every CPU of an otherwise free host: what they got says how much of the "
                     "CPU the targets and the tools already held.")
            L.append("")
        if busy:
            L.append(f"**Other processes used more than 15% of the CPU capacity during the {' and '.join(busy)} "
                     "phase**: those figures are stretched by load that is not ours; compare them only within "
                     "this run.")
            L.append("")

    # ---- per host: every step in the order it ran --------------------------------------------
    for h in hosts:
        f = figs[h]
        L.append(f"### {h.capitalize()} host: {plural(f['n'], 'session')} and {plural(f['eu_n'], 'eu-stack loop')} "
                 f"over {ntargets} processes × {nthreads} threads")
        L.append("")
        L.append("| step | wall | POST answered (202) after | server `total_ms` | targets done with snapshot id | pause per thread: median / p99 / max | `capture_sched` |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        rs, ls = sessions.get(h, []), loops.get(h, [])
        for i in range(max(len(rs), len(ls))):
            if i < len(rs):
                r = rs[i]
                errs = "" if not r["errors"] else " (" + ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) + ")"
                p = r.get("pause_us", [])
                L.append(f"| session {r['index'] + 1}{' (cold workers)' if r['cold'] else ''} | {fms(r['wall_ms'])} | "
                         f"{fms(r.get('post_ms'))} | {fms(r['server_total_ms'])} | {r['done']}/{r['targets']}{errs} | "
                         f"{fus(median(p))} / {fus(pct(p, 99))} / {fus(max(p, default=None))} ({len(p)} threads) | "
                         f"{fmt_counts(r['snapshots'].get('capture_sched')) if r['snapshots'].get('capture_sched') else 'absent'} |")
            if i < len(ls):
                x = ls[i]
                fail = f"; failed pid:exit {x['failed']}" if x["failed"] else ""
                L.append(f"| eu-stack loop {x['loop'] + 1} | {fms(x['wall_ms'])} | | | {x['ok']}/{x['pids']} exit 0{fail} | | |")
        L.append("")
        reasons = f['sched_reasons'] or {}
        if reasons:
            L.append(f"`capture_sched_reason` of the last session's snapshots on the {h} host: {fmt_counts(reasons)}.")
            L.append("")

    # ---- side by side ------------------------------------------------------------------------
    L.append("### Both hosts side by side")
    L.append("")
    L.append("| measure | " + " | ".join(hosts) + " |")
    L.append("| --- | " + " | ".join("---:" for _ in hosts) + " |")

    def row(label, fn):
        L.append(f"| {label} | " + " | ".join(fn(figs[h]) for h in hosts) + " |")

    row("session, first (cold workers)", lambda f: fms(f["cold"]["wall_ms"]) if f["cold"] else "—")
    row("session, warm: median", lambda f: fms(median([r["wall_ms"] for r in f["warm"]])) if f["warm"] else "—")
    row("session, warm: min / max", lambda f: f"{fms(f['min'])} / {fms(f['max'])}" if f["warm"] else "—")
    row("eu-stack loop: median (loops)", lambda f: f"{fms(f['eu_med'])} ({f['eu_n']})")
    row("speed-up: eu-stack loop ÷ session (warm median)", lambda f: fx(f["ratio"]))
    row("speed-up: eu-stack loop ÷ first session (cold)", lambda f: fx(f["ratio_cold"]))
    row("pause per thread, last session: median / p99 (threads)",
        lambda f: f"{fus(median(f['last_pauses']))} / {fus(pct(f['last_pauses'], 99))} ({len(f['last_pauses'])})")
    row("pause per thread, all sessions: median / p99 (threads)",
        lambda f: f"{fus(median(f['all_pauses']))} / {fus(pct(f['all_pauses'], 99))} ({len(f['all_pauses'])})")
    if any(figs[h]["sched"] for h in hosts):
        row("`capture_sched` of the last session's snapshots", lambda f: fmt_counts(f["sched"]) if f["sched"] else "absent")
    L.append("")
    src = {figs[h]["last"].get("pause_source") for h in hosts if figs[h]["last"]}
    L.append("Pauses: `threads[].pause_us` as the worker reported it, "
             + ("from the session JSON" if src == {"session"} else "from `GET /api/v1/snapshots/{id}` of each session's snapshots")
             + "; threads with an error are left out."
             + ("" if any(figs[h]["sched"] for h in hosts) else
                " The snapshots of this build carry no `capture_sched` field."))
    L.append("")

    # ---- goals -------------------------------------------------------------------------------
    for h in hosts:
        f = figs[h]
        if f["ratio"] is not None:
            shown = "" if h == "saturated" else " (shown; the issue's goal is the saturated host)"
            goals.append((f"{h} host: session over {ntargets} processes ≥ {GOAL_VS_EU_STACK:.0f}× faster than the eu-stack loop{shown}",
                          h == "saturated",
                          fx(f["ratio"]), fx(GOAL_VS_EU_STACK), f["ratio"] >= GOAL_VS_EU_STACK and f["eu_ok"],
                          f"{f['head_label']} {fms(f['head'])} vs eu-stack loop median {fms(f['eu_med'])} ({plural(f['eu_n'], 'loop')}"
                          + ("" if f["eu_ok"] else "; some eu-stack runs failed") + f"); cold session {fx(f['ratio_cold'])}"))
        goals.append((f"{h} host: every session has all {ntargets} targets `done` with a stored snapshot", True,
                      f"{sum(r['done'] for r in sessions.get(h, []))}/{sum(r['targets'] for r in sessions.get(h, []))}",
                      f"{ntargets} per session", f["all_done"], f"{f['n']} sessions; every snapshot read back"))
    L.append("### Goals")
    L.append("")
    L.append("| goal | measured | limit | result | detail |")
    L.append("| --- | ---: | ---: | --- | --- |")
    for g, counted, measured, limit, ok, detail in goals:
        L.append(f"| {g} | {measured} | {limit} | {'PASS' if ok else 'FAIL'} | {detail} |")
    L.append("")
    counted = [g for g in goals if g[1]]
    L.append(f"{sum(1 for g in counted if g[4])} of {len(counted)} goals pass in this run"
             + (" (the idle-host speed-up is shown, not counted)." if len(counted) < len(goals) else "."))
    L.append("")
    return "\n".join(L), goals


def write_section(md_path, section):
    block = BEGIN + "\n" + section.rstrip("\n") + "\n\n" + END + "\n"
    try:
        with open(md_path) as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    b, e = text.find(BEGIN_PREFIX), text.find(END)
    if b >= 0 and e > b:
        rest = text[e + len(END):].lstrip("\n")
        text = text[:b] + block + ("\n" + rest if rest else "")
    else:
        at = text.find("\n" + INSERT_BEFORE)
        if at >= 0:
            text = text[:at + 1].rstrip("\n") + "\n\n" + block + "\n" + text[at + 1:]
        else:
            text = text.rstrip("\n") + "\n\n" + block
    if INDEX_ROW.split(" | ")[0] + " |" not in text:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.startswith(INDEX_AFTER):
                lines.insert(i + 1, INDEX_ROW)
                break
        text = "\n".join(lines)
    with open(md_path, "w") as f:
        f.write(text)


def cmd_summarize(a):
    if not os.path.isfile(os.path.join(a.run_dir, "meta.env")):
        sys.exit(f"session_bench: {a.run_dir} is not a run directory (no meta.env)")
    section, _ = summarize(a.run_dir)
    print(section)
    if a.benchmarks_md:
        write_section(a.benchmarks_md, section)
        log(f"wrote the busy-host session section of {a.benchmarks_md}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("session")
    s.add_argument("--url", required=True)
    s.add_argument("--token-file", required=True)
    s.add_argument("--match", required=True)
    s.add_argument("--expect", type=int, required=True)
    s.add_argument("--host", required=True, choices=HOSTS)
    s.add_argument("--index", type=int, required=True)
    s.add_argument("--out", required=True)
    m = sub.add_parser("summarize")
    m.add_argument("run_dir")
    m.add_argument("--benchmarks-md")
    a = p.parse_args()
    {"session": cmd_session, "summarize": cmd_summarize}[a.cmd](a)


if __name__ == "__main__":
    main()
