#!/usr/bin/env python3
"""Aggregate one run of bench/run_snapshot_bench.sh and judge the pause goals.

usage: summarize.py RUN_DIR [--benchmarks-md PATH]

RUN_DIR holds what the shell script wrote:
  meta.env          key=value: command, rounds, machine, versions, dates
  runs.tsv          one line per tool invocation: target, tool, round, wall_us, rc, clock_file, out_file
  raw/*.clock.jsonl ptrace_clock.so lines (one per process of the tool that exited; gdb's helper
                    children add lines with thread_pauses 0, which are ignored)
  raw/*.out         the tool's stdout (ptrace_floor JSON, dbg-worker JSON, eu-stack/gdb text)
  cpu.tsv           per phase: wall, CPUs, CPU time of other processes and of ours, steal
  hiccup.json       what target A felt over the whole interleaved run (all tools, gdb included)
  felt.*.json       what hiccup felt with no tool / dbg-worker only / eu-stack only

Prints the markdown section, writes RUN_DIR/summary.md and RUN_DIR/summary.json, and with
--benchmarks-md replaces (or appends) the section between the markers in that file.
Standard library only.
"""
import argparse
import csv
import json
import math
import os
import statistics
import sys
from bench_common import load_meta, median, pct

# One section per host kind: the idle host's and the saturated host's (--host).
def markers(host):
    name = "snapshot-pause-bench" if host == "idle" else "snapshot-pause-saturated-bench"
    return (f"<!-- {name}:begin (written by bench/summarize.py; do not edit by hand) -->",
            f"<!-- {name}:end -->")

INTRO = """# Benchmarks

## What is measured

How long one stack snapshot keeps each thread of a live process stopped (the *thread pause*),
how long the whole snapshot keeps the process disturbed (the *stop window*: first stop to last
release), and how long one snapshot command takes end to end (*wall time*: fork/exec to exit,
cold caches: a fresh tool process every time). `dbg-worker snapshot` is measured next to:

* the **floor** (`ptrace_floor`): seize, interrupt, wait, read registers, copy 64 KiB of stack,
  detach. Nothing that also unwinds a stack can stop a thread for less. `ptrace_floor PID 20`
  (20 passes over all threads, mostly warm) is the reference of the goals; `ptrace_floor PID 1`
  (one cold pass, like one snapshot) is shown next to it;
* **eu-stack** (`eu-stack -p PID`, elfutils) and **gdb** (`gdb -p PID -batch -ex 'thread apply all bt'`).

Thread pauses of every tool are timed from inside the tool by the same `LD_PRELOAD` library
(`ptrace_clock.so`: from the PTRACE_INTERRUPT/ATTACH call to the PTRACE_DETACH/CONT call);
dbg-worker also reports each thread's pause itself (`pause_us`, PTRACE_INTERRUPT sent to
PTRACE_DETACH returned, the same span `ptrace_floor` measures). The measuring tools live in
`../shared/bench` (see its README.md).

Reproduce (as root, on an otherwise idle machine; about a minute and a half once it is quiet):

```
bench/run_snapshot_bench.sh   # --rounds N (20), --gdb-rounds N (3), --felt-seconds N (10), --wait-quiet S (180)
```

It compiles the measuring tools into `build/bench/`, builds `dbg-worker` and `cpp_target`, waits
for the machine to be idle, measures, keeps the raw data in `build/bench/run-<date>/` and rewrites
the section below.

All figures in a section below come from **one run** of that command: the tools run interleaved,
round by round, against the same target processes, so they share the machine's noise. Compare
figures only within one run. The machine, the date and the exact command are listed with them.
"""


# ----------------------------------------------------------------------------------------------
# small statistics helpers (None-tolerant)
# ----------------------------------------------------------------------------------------------

def mean(xs):
    xs = [x for x in xs if x is not None]
    return statistics.fmean(xs) if xs else None



def fmax(xs):
    xs = [x for x in xs if x is not None]
    return max(xs) if xs else None


def us(x):
    return "—" if x is None else f"{x:,.0f} µs" if x >= 100 else f"{x:.1f} µs"


def ms(x_us):
    return "—" if x_us is None else f"{x_us / 1000:,.1f} ms"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def rx(x):
    return "—" if x is None else f"{x:.2f}×"


# ----------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------


def read_json_line(path):
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    return json.loads(line)
    except (OSError, ValueError):
        pass
    return None


def load_clock(path):
    """Combine the ptrace_clock lines of one tool invocation (ignoring processes that stopped nothing)."""
    if not path or path == "-" or not os.path.exists(path):
        return None
    lines = []
    with open(path) as f:
        for line in f:
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if d.get("thread_pauses", 0) > 0:
                lines.append(d)
    if not lines:
        return None
    n = sum(d["thread_pauses"] for d in lines)
    return {
        "thread_pauses": n,
        "mean_us": sum(d["mean_thread_pause_us"] * d["thread_pauses"] for d in lines) / n,
        "worst_us": max(d["worst_thread_pause_us"] for d in lines),
        "stop_window_us": max(d["stop_window_us"] for d in lines),
    }


def load_run(row):
    run = {
        "target": row["target"],
        "tool": row["tool"],
        "round": int(row["round"]),
        "wall_us": float(row["wall_us"]),
        "rc": int(row["rc"]),
        "clock": load_clock(row["clock_file"]),
    }
    out = row["out_file"]
    tool = row["tool"]
    if tool in ("floor", "floor1"):
        run["floor"] = read_json_line(out)
    elif tool.startswith("worker") or tool == "base_none":
        try:
            with open(out) as f:
                snap = json.load(f)
            threads = snap.get("threads", [])
            run["worker"] = {
                "threads": len(threads),
                "errors": sum(1 for t in threads if t.get("error")),
                "pauses": [t["pause_us"] for t in threads if t.get("pause_us") is not None],
                "frames": [len(t.get("frames") or []) for t in threads],
                "capture_us": snap.get("capture_us"),
                "unwind_us": snap.get("unwind_us"),
            }
        except (OSError, ValueError):
            run["worker"] = None
    elif tool == "eu_stack":
        try:
            with open(out) as f:
                run["threads_seen"] = sum(1 for line in f if line.startswith("TID "))
        except OSError:
            run["threads_seen"] = None
    elif tool == "gdb":
        try:
            with open(out, errors="replace") as f:
                run["threads_seen"] = sum(1 for line in f if line.startswith("Thread "))
        except OSError:
            run["threads_seen"] = None
    return run


# ----------------------------------------------------------------------------------------------
# aggregation
# ----------------------------------------------------------------------------------------------
def aggregate(runs):
    """Per-(target, tool) figures."""
    out = {}
    for key in sorted({(r["target"], r["tool"]) for r in runs}):
        rs = [r for r in runs if (r["target"], r["tool"]) == key]
        a = {
            "runs": len(rs),
            "failed_runs": sum(1 for r in rs if r["rc"] != 0),
            "wall_median_us": median(r["wall_us"] for r in rs),
            "wall_min_us": min(r["wall_us"] for r in rs),
            "wall_max_us": max(r["wall_us"] for r in rs),
        }
        clocks = [r["clock"] for r in rs if r["clock"]]
        if clocks:
            n = sum(c["thread_pauses"] for c in clocks)
            a["clock"] = {
                "runs": len(clocks),
                "thread_pauses": n,
                "pauses_per_run": median(c["thread_pauses"] for c in clocks),
                # ptrace_clock only prints a mean and a worst per run: the "median" is the median
                # of the per-run means; the mean is over every thread pause of every run.
                "median_of_run_means_us": median(c["mean_us"] for c in clocks),
                "mean_us": sum(c["mean_us"] * c["thread_pauses"] for c in clocks) / n,
                "median_of_run_worsts_us": median(c["worst_us"] for c in clocks),
                "worst_us": max(c["worst_us"] for c in clocks),
                "stop_window_median_us": median(c["stop_window_us"] for c in clocks),
                "stop_window_max_us": max(c["stop_window_us"] for c in clocks),
            }
        floors = [r["floor"] for r in rs if r.get("floor")]
        if floors:
            a["floor"] = {
                "runs": len(floors),
                "threads": floors[0]["threads"],
                "samples": sum(f["samples"] for f in floors),
                "median_us": median(f["pause_us_median"] for f in floors),
                "min_us": min(f["pause_us_min"] for f in floors),
                "p99_median_us": median(f["pause_us_p99"] for f in floors),
                "max_us": max(f["pause_us_max"] for f in floors),
            }
        workers = [r["worker"] for r in rs if r.get("worker")]
        if workers:
            allp = [p for w in workers for p in w["pauses"]]
            first = [w["pauses"][0] for w in workers if w["pauses"]]
            rest = [p for w in workers for p in w["pauses"][1:]]
            a["worker"] = {
                "runs": len(workers),
                "threads_per_run": median(w["threads"] for w in workers),
                "thread_errors": sum(w["errors"] for w in workers),
                "frames_median": median(f for w in workers for f in w["frames"]),
                "pause_samples": len(allp),
                "pause_median_us": median(allp),
                "pause_mean_us": mean(allp),
                "pause_p90_us": pct(allp, 90),
                "pause_p99_us": pct(allp, 99),
                "pause_max_us": fmax(allp),
                "first_thread_median_us": median(first),
                "other_threads_median_us": median(rest),
                "capture_median_us": median(w["capture_us"] for w in workers),
                "unwind_median_us": median(w["unwind_us"] for w in workers),
            }
        seen = [r.get("threads_seen") for r in rs if r.get("threads_seen") is not None]
        if seen:
            a["threads_seen_median"] = median(seen)
        out[key] = a
    return out


def g(agg, target, tool, *path):
    d = agg.get((target, tool))
    for p in path:
        if d is None:
            return None
        d = d.get(p)
    return d


# ----------------------------------------------------------------------------------------------
# goals
# ----------------------------------------------------------------------------------------------
def goals(agg, runs, targets, host="idle"):
    res = []

    def add(name, target, value, limit, ok, detail, counts=True):
        res.append({"goal": name, "target": target, "value": value, "limit": limit,
                    "pass": bool(ok) if ok is not None else None, "detail": detail, "counts": counts})

    if host == "saturated":
        saturated_goals(agg, targets, add)
        return res

    for t in targets:
        w = g(agg, t, "worker_none", "worker", "pause_median_us")
        f = g(agg, t, "floor", "floor", "median_us")
        cm = g(agg, t, "worker_none", "clock", "mean_us")
        r = ratio(w, f)
        add("median thread pause ≤ 1.5× floor median", t, rx(r), "1.50×",
            None if r is None else r <= 1.5,
            f"dbg-worker pause_us median {us(w)} vs floor median {us(f)} "
            f"(ptrace_clock mean of dbg-worker: {us(cm)}, {rx(ratio(cm, f))} of the floor; "
            f"one cold floor pass: median {us(g(agg, t, 'floor1', 'floor', 'median_us'))}, "
            f"dbg-worker {rx(ratio(w, g(agg, t, 'floor1', 'floor', 'median_us')))} of it)")

    if "cpp_target" in targets:
        t = "cpp_target"
        wm = g(agg, t, "worker_none", "clock", "mean_us")
        em = g(agg, t, "eu_stack", "clock", "mean_us")
        r = ratio(wm, em)
        add("mean thread pause < 0.5× eu-stack's (cold worker)", t, rx(r), "0.50×",
            None if r is None else r < 0.5, f"ptrace_clock mean: dbg-worker {us(wm)} vs eu-stack {us(em)}")
        ww = g(agg, t, "worker_none", "clock", "worst_us")
        ew = g(agg, t, "eu_stack", "clock", "worst_us")
        add("worst thread pause < eu-stack's worst", t, us(ww), us(ew),
            None if ww is None or ew is None else ww < ew,
            f"ptrace_clock worst over all runs: dbg-worker {us(ww)} vs eu-stack {us(ew)} "
            f"(median of per-run worsts: {us(g(agg, t, 'worker_none', 'clock', 'median_of_run_worsts_us'))} vs "
            f"{us(g(agg, t, 'eu_stack', 'clock', 'median_of_run_worsts_us'))})")

    # Worst pause on hiccup: every dbg-worker run against a hiccup process, by both clocks
    # (ptrace_clock and the worker's own pause_us), separately for the interleaved run (target A)
    # and for the dbg-worker-only "felt" run (also a hiccup 8 x 20 process): both count.
    for tgt, what in (("hiccup", "interleaved run, --source none and all"), ("felt_worker", "dbg-worker-only felt run")):
        hic = [r for r in runs if r["target"] == tgt and r["tool"].startswith("worker")]
        if not hic:
            continue
        by_clock = fmax(r["clock"]["worst_us"] for r in hic if r["clock"])
        by_self = fmax(p for r in hic if r.get("worker") for p in r["worker"]["pauses"])
        worst = fmax([by_clock, by_self])
        over = sum(1 for r in hic if (fmax([(r["clock"] or {}).get("worst_us"),
                                            fmax((r.get("worker") or {}).get("pauses", []))]) or 0) >= 1000)
        add(f"worst thread pause < 1 ms ({what})", "hiccup", us(worst), "1,000 µs",
            None if worst is None else worst < 1000,
            f"{len(hic)} dbg-worker runs, {over} with a pause ≥ 1 ms: "
            f"ptrace_clock worst {us(by_clock)}, own pause_us max {us(by_self)}")

    for t in targets:
        e = g(agg, t, "eu_stack", "wall_median_us")
        for tool, label, counts in (("worker_none", "--source none", True), ("worker_all", "--source all", False)):
            w = g(agg, t, tool, "wall_median_us")
            r = ratio(w, e)
            add(f"wall time of one snapshot ({label}) < eu-stack's" + ("" if counts else " (shown, not a goal)"),
                t, rx(r), "1.00×", None if r is None else r < 1.0,
                f"median wall: dbg-worker {label} {ms(w)} vs eu-stack {ms(e)}", counts)
    return res


def saturated_goals(agg, targets, add):
    """Issue #19's goals for a busy host: median pause within 2x the floor's, mean under half of
    eu-stack's, on both targets; what the normal-class worker gets is shown beside them."""
    for t in targets:
        w = g(agg, t, "worker_none", "worker", "pause_median_us")
        f = g(agg, t, "floor", "floor", "median_us")
        r = ratio(w, f)
        add("median thread pause ≤ 2× floor median (saturated host)", t, rx(r), "2.00×",
            None if r is None else r <= 2.0,
            f"dbg-worker pause_us median {us(w)} vs floor median {us(f)}; normal-class window "
            f"(`--capture-priority normal`): {us(g(agg, t, 'worker_normal', 'worker', 'pause_median_us'))}, "
            f"{rx(ratio(g(agg, t, 'worker_normal', 'worker', 'pause_median_us'), f))} of the floor")
        wm = g(agg, t, "worker_none", "clock", "mean_us")
        em = g(agg, t, "eu_stack", "clock", "mean_us")
        r = ratio(wm, em)
        add("mean thread pause ≤ 0.5× eu-stack's (saturated host)", t, rx(r), "0.50×",
            None if r is None else r <= 0.5,
            f"ptrace_clock mean: dbg-worker {us(wm)} vs eu-stack {us(em)}; normal-class window "
            f"{us(g(agg, t, 'worker_normal', 'clock', 'mean_us'))} "
            f"({rx(ratio(g(agg, t, 'worker_normal', 'clock', 'mean_us'), em))} of eu-stack's)")
        ww = g(agg, t, "worker_none", "clock", "worst_us")
        ew = g(agg, t, "eu_stack", "clock", "worst_us")
        add("worst thread pause < eu-stack's worst (saturated host, shown, not a goal)", t, us(ww), us(ew),
            None if ww is None or ew is None else ww < ew,
            f"ptrace_clock worst over all runs: dbg-worker {us(ww)} vs eu-stack {us(ew)}", False)


# ----------------------------------------------------------------------------------------------
# markdown
# ----------------------------------------------------------------------------------------------
TOOL_LABEL = {
    "floor": "floor (`ptrace_floor PID 20`)",
    "floor1": "floor, one cold pass (`ptrace_floor PID 1`)",
    "worker_none": "dbg-worker `--source none`",
    "worker_all": "dbg-worker `--source all`",
    "worker_normal": "dbg-worker `--source none --capture-priority normal` (window in the normal class)",
    "eu_stack": "eu-stack `-p PID`",
    "base_none": "dbg-worker of the compared build (`--compare-worker`), `--source none`",
    "gdb": "gdb `-batch -ex 'thread apply all bt'`",
}
TOOLS = ["floor", "floor1", "worker_none", "worker_all", "worker_normal", "base_none", "eu_stack", "gdb"]
TARGET_LABEL = {"hiccup": "A: `hiccup 8 SECONDS 20`", "cpp_target": "B: `cpp_target 20`"}
SATURATED_TARGET_LABEL = {"hiccup": "A: `hiccup 8 SECONDS 20`",
                          "cpp_target": "B: `cpp_target 18 2` (18 parked threads, 2 spinning)"}


def load_cpu(run_dir):
    path = os.path.join(run_dir, "cpu.tsv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for r in rows:
        for k in ("wall_ms", "nproc", "others_ms", "ours_ms", "steal_ms"):
            r[k] = int(r[k])
        r["capacity_ms"] = r["wall_ms"] * r["nproc"]
    return rows


def render(meta, agg, gres, felt, hiccup_main, targets, cpu):
    L = []
    saturated = meta.get("host") == "saturated"
    labels = SATURATED_TARGET_LABEL if saturated else TARGET_LABEL
    L.append(f"## Snapshot pause benchmark{', saturated host' if saturated else ''} — run of {meta.get('start', '?')}")
    L.append("")
    L.append(f"Command: `{meta.get('command', 'bench/run_snapshot_bench.sh')}` (as root).")
    L.append("")
    L.append(f"Machine: {meta.get('nproc', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('kernel', '?')}; "
             f"load average {meta.get('load_start', '?')} at start, {meta.get('load_end', '?')} at end; "
             f"run {meta.get('start', '?')} → {meta.get('end', '?')} (UTC).")
    if saturated:
        L.append("Host load, for the whole run: `bench/host_load --spin-per-cpu 2 --wakers 8` (2 threads that never "
                 "sleep per CPU, 8 threads that sleep 100 µs and wake again, in a loop); target B has 2 spinning "
                 "threads of its own. `worker_normal` is our worker with its capture window in the normal "
                 "scheduling class, as before issue #19.")
    L.append(f"Tools: dbg-worker at `{meta.get('worker_rev', '?')}` ({meta.get('build_type', '?')}), "
             f"{meta.get('eu_stack', 'eu-stack ?')}, {meta.get('gdb', 'gdb ?')}, {meta.get('gcc', 'gcc ?')}.")
    L.append("")
    L.append(f"Rounds per target: {meta.get('rounds')} for the fast tools (each round runs each once, in a "
             f"rotating order), {meta.get('gdb_rounds')} for gdb; `ptrace_floor` does {meta.get('floor_rounds')} "
             "passes over all threads per invocation. Every dbg-worker, eu-stack and gdb run is a fresh process "
             "(cold caches). All figures below come from this one run.")
    L.append("")
    if cpu:
        L.append("CPU used during each phase by this benchmark (its targets and tools) and by *other* processes "
                 "(`bench/cpumark.py`: CPU time of every process outside the benchmark's process tree); other "
                 "load competes with the tracer for the cores and stretches pauses.")
        L.append("")
        L.append("| phase | wall | CPU capacity | ours | others | others, % of capacity | steal |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in cpu:
            L.append(f"| {r['phase']} | {r['wall_ms'] / 1000:.1f} s | {r['capacity_ms'] / 1000:.1f} s | {r['ours_ms'] / 1000:.1f} s | "
                     f"{r['others_ms'] / 1000:.1f} s | {100 * r['others_ms'] / max(1, r['capacity_ms']):.0f}% | {r['steal_ms'] / 1000:.1f} s |")
        L.append("")

    for t in targets:
        L.append(f"### Target {labels.get(t, t)}")
        L.append("")
        L.append("Thread pauses as timed by `ptrace_clock.so` inside each tool (floor: its own timing). "
                 "*median* = median of the per-run means (floor: of the per-run medians); *mean* = over every "
                 "thread pause of every run; *worst* = the longest single thread pause of any run.")
        L.append("")
        L.append("| tool | runs | thread pauses / run | median | mean | worst (median run) | worst (any run) | stop window (median) | wall time (median) |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for tool in TOOLS:
            a = agg.get((t, tool))
            if not a:
                continue
            fail = f" ({a['failed_runs']} failed)" if a["failed_runs"] else ""
            if tool in ("floor", "floor1") and a.get("floor"):
                f = a["floor"]
                passes = meta.get("floor_rounds") if tool == "floor" else 1
                L.append(f"| {TOOL_LABEL[tool]} | {a['runs']}{fail} | {f['threads']} × {passes} | "
                         f"{us(f['median_us'])} | — | p99 {us(f['p99_median_us'])} | {us(f['max_us'])} | — | {ms(a['wall_median_us'])} |")
                continue
            c = a.get("clock") or {}
            L.append(f"| {TOOL_LABEL[tool]} | {a['runs']}{fail} | {c.get('pauses_per_run', '—')} | "
                     f"{us(c.get('median_of_run_means_us'))} | {us(c.get('mean_us'))} | {us(c.get('median_of_run_worsts_us'))} | "
                     f"{us(c.get('worst_us'))} | {ms(c.get('stop_window_median_us'))} | {ms(a['wall_median_us'])} |")
        L.append("")
        L.append("dbg-worker's own per-thread `pause_us` (INTERRUPT sent → DETACH returned, the floor's span), "
                 "over all threads of all runs:")
        L.append("")
        L.append("| run | samples | median | mean | p90 | p99 | max | first thread of a snapshot (median) | other threads (median) | errors | frames / thread (median) |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for tool in ("worker_none", "worker_all", "base_none"):
            w = g(agg, t, tool, "worker")
            if not w:
                continue
            L.append(f"| {TOOL_LABEL[tool]} | {w['pause_samples']} | {us(w['pause_median_us'])} | {us(w['pause_mean_us'])} | "
                     f"{us(w['pause_p90_us'])} | {us(w['pause_p99_us'])} | {us(w['pause_max_us'])} | "
                     f"{us(w['first_thread_median_us'])} | {us(w['other_threads_median_us'])} | {w['thread_errors']} | {w['frames_median']} |")
        L.append("")
        # Ratios against the floor and the peers.
        fm = g(agg, t, "floor", "floor", "median_us")
        wpm = g(agg, t, "worker_none", "worker", "pause_median_us")
        wcm = g(agg, t, "worker_none", "clock", "mean_us")
        wcw = g(agg, t, "worker_none", "clock", "worst_us")
        wwall = g(agg, t, "worker_none", "wall_median_us")
        wwall_all = g(agg, t, "worker_all", "wall_median_us")
        wsw = g(agg, t, "worker_none", "clock", "stop_window_median_us")
        L.append("Ratios (dbg-worker `--source none` ÷ other):")
        L.append("")
        L.append("| compared with | median pause | mean pause | worst pause | stop window | wall time (`none`) | wall time (`all`) |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        L.append(f"| floor | {rx(ratio(wpm, fm))} (own pause_us) / {rx(ratio(g(agg, t, 'worker_none', 'clock', 'median_of_run_means_us'), fm))} (ptrace_clock) | "
                 f"{rx(ratio(wcm, fm))} (vs floor median) | {rx(ratio(wcw, g(agg, t, 'floor', 'floor', 'max_us')))} | — | "
                 f"{rx(ratio(wwall, g(agg, t, 'floor', 'wall_median_us')))} | {rx(ratio(wwall_all, g(agg, t, 'floor', 'wall_median_us')))} |")
        f1 = g(agg, t, "floor1", "floor", "median_us")
        if f1 is not None:
            L.append(f"| {TOOL_LABEL['floor1']} | {rx(ratio(wpm, f1))} (own pause_us) / {rx(ratio(g(agg, t, 'worker_none', 'clock', 'median_of_run_means_us'), f1))} (ptrace_clock) | "
                     f"{rx(ratio(wcm, f1))} (vs its median) | {rx(ratio(wcw, g(agg, t, 'floor1', 'floor', 'max_us')))} | — | "
                     f"{rx(ratio(wwall, g(agg, t, 'floor1', 'wall_median_us')))} | {rx(ratio(wwall_all, g(agg, t, 'floor1', 'wall_median_us')))} |")
        for peer in ("base_none", "eu_stack", "gdb"):
            if (t, peer) not in agg:
                continue
            L.append(f"| {TOOL_LABEL[peer]} | {rx(ratio(g(agg, t, 'worker_none', 'clock', 'median_of_run_means_us'), g(agg, t, peer, 'clock', 'median_of_run_means_us')))} | "
                     f"{rx(ratio(wcm, g(agg, t, peer, 'clock', 'mean_us')))} | {rx(ratio(wcw, g(agg, t, peer, 'clock', 'worst_us')))} | "
                     f"{rx(ratio(wsw, g(agg, t, peer, 'clock', 'stop_window_median_us')))} | "
                     f"{rx(ratio(wwall, g(agg, t, peer, 'wall_median_us')))} | {rx(ratio(wwall_all, g(agg, t, peer, 'wall_median_us')))} |")
        L.append("")

    L.append("### What the target felt (hiccup's own `max_gap_us` at exit)")
    L.append("")
    L.append("Each hiccup thread sleeps 100 µs in a loop and records how late it woke. On a 2-core machine "
             "8 such threads already wake late without any tool; the *no tool* row is that noise floor.")
    L.append("")
    L.append("| hiccup run | tool runs | max gap | gaps > 1 ms | sum of gaps > 1 ms |")
    L.append("| --- | --- | ---: | ---: | ---: |")
    if hiccup_main:
        counts = ", ".join(f"{agg[('hiccup', tool)]['runs']} {tool}" for tool in TOOLS if ("hiccup", tool) in agg)
        L.append(f"| target A, whole interleaved run (gdb included) | {counts} | {us(hiccup_main.get('max_gap_us'))} | "
                 f"{hiccup_main.get('gaps_over_1ms')} | {ms(hiccup_main.get('sum_gaps_over_1ms_us'))} |")
    for label, tool, name in (("none", None, "no tool (noise floor)"), ("worker", "worker_none", "dbg-worker `--source none` only, every 250 ms"),
                              ("eu_stack", "eu_stack", "eu-stack only, every 250 ms")):
        d = felt.get(label)
        if not d:
            continue
        n = agg.get((f"felt_{label}", tool), {}).get("runs", 0) if tool else 0
        worst = g(agg, f"felt_{label}", tool, "clock", "worst_us") if tool else None
        extra = f" (worst thread pause {us(worst)})" if worst is not None else ""
        L.append(f"| {meta.get('felt_seconds')} s, {name} | {n}{extra} | {us(d.get('max_gap_us'))} | {d.get('gaps_over_1ms')} | "
                 f"{ms(d.get('sum_gaps_over_1ms_us'))} |")
    L.append("")

    L.append("### Goals")
    L.append("")
    L.append("| goal | target | measured | limit | result | detail |")
    L.append("| --- | --- | ---: | ---: | --- | --- |")
    for r in gres:
        verdict = "n/a" if r["pass"] is None else ("PASS" if r["pass"] else "**FAIL**")
        if not r["counts"]:
            verdict = "(" + verdict.replace("**", "") + ")"
        L.append(f"| {r['goal']} | {r['target']} | {r['value']} | {r['limit']} | {verdict} | {r['detail']} |")
    counted = [r for r in gres if r["counts"]]
    npass = sum(1 for r in counted if r["pass"])
    L.append("")
    L.append(f"{npass} of {len(counted)} goals pass in this run.")
    L.append("")
    return "\n".join(L)


def write_benchmarks_md(path, section, host):
    BEGIN, END = markers(host)
    block = f"{BEGIN}\n{section}\n{END}\n"
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            text = head + block + tail.lstrip("\n")
        else:
            text = text.rstrip("\n") + "\n\n" + block
    else:
        text = INTRO + "\n" + block
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--benchmarks-md", help="write/replace the section in this markdown file")
    ap.add_argument("--host", choices=("idle", "saturated"), default="idle",
                    help="which section the run belongs to (run_snapshot_bench.sh --host)")
    args = ap.parse_args()

    meta = load_meta(args.run_dir)
    with open(os.path.join(args.run_dir, "runs.tsv")) as f:
        runs = [load_run(row) for row in csv.DictReader(f, delimiter="\t")]
    if not runs:
        sys.exit("summarize.py: no runs recorded")
    agg = aggregate(runs)
    targets = [t for t in ("hiccup", "cpp_target") if any(r["target"] == t for r in runs)]
    hiccup_main = read_json_line(os.path.join(args.run_dir, "hiccup.json"))
    felt = {}
    for label in ("none", "worker", "eu_stack"):
        d = read_json_line(os.path.join(args.run_dir, f"felt.{label}.json"))
        if d:
            felt[label] = d
    gres = goals(agg, runs, targets, args.host)
    cpu = load_cpu(args.run_dir)
    section = render(meta, agg, gres, felt, hiccup_main, targets, cpu)

    print(section)
    with open(os.path.join(args.run_dir, "summary.md"), "w") as f:
        f.write(section + "\n")
    with open(os.path.join(args.run_dir, "summary.json"), "w") as f:
        json.dump({"meta": meta,
                   "aggregate": {f"{t}/{tool}": a for (t, tool), a in agg.items()},
                   "hiccup_felt": {"main": hiccup_main, **felt},
                   "cpu": cpu,
                   "goals": gres}, f, indent=2)
    if args.benchmarks_md:
        write_benchmarks_md(args.benchmarks_md, section, args.host)
        print(f"summarize.py: wrote section to {args.benchmarks_md}", file=sys.stderr)


if __name__ == "__main__":
    main()
