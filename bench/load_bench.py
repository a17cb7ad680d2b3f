#!/usr/bin/env python3
"""Summarizes a run of bench/run_load_bench.sh (RUN_DIR: meta.env, wrk.N.txt/.route, mix.json,
metrics.after.txt) as the "Load benchmark" section of BENCHMARKS.md, between
<!-- load-bench:begin --> and <!-- load-bench:end -->.

usage: load_bench.py RUN_DIR [--write BENCHMARKS.md]
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_bench import parse_wrk  # noqa: E402
from bench_common import load_meta  # noqa: E402

BEGIN_PREFIX = "<!-- load-bench:begin"
BEGIN = "<!-- load-bench:begin (written by bench/load_bench.py; do not edit by hand) -->"
END = "<!-- load-bench:end -->"


def fmt(x, digits=1):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}" if isinstance(x, float) else f"{x:,}"


def metric(text, name):
    m = re.search(rf"^{re.escape(name)}(?:{{[^}}]*}})?\s+([0-9.eE+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


def summarize(run_dir):
    meta = load_meta(run_dir)
    with open(os.path.join(run_dir, "mix.json")) as f:
        mix = json.load(f)
    try:
        with open(os.path.join(run_dir, "metrics.after.txt")) as f:
            metrics = f.read()
    except OSError:
        metrics = ""
    lines = [f"## Load benchmark — run of {meta.get('start', '?')}", ""]
    lines += [
        f"Command: `{meta.get('command')}` (root; {meta.get('wrk')}). Machine: {meta.get('cpu')}, "
        f"{meta.get('nproc')} CPUs, {meta.get('kernel')}; {meta.get('build_type')} build at {meta.get('rev')}. "
        f"Load average {meta.get('load_start')} at the start, {meta.get('load_end')} at the end: "
        f"{machine_note(meta.get('load_start'))}. Everything below ran at the same time for "
        f"{meta.get('duration')} s against one dbgcoord (default `--io-threads`, `--max-connections 1024`) "
        f"and {meta.get('targets')} targets `chain 4`.",
        "",
        "| load | requests | req/s | p50 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    i = 0
    while os.path.exists(os.path.join(run_dir, f"wrk.{i}.txt")):
        with open(os.path.join(run_dir, f"wrk.{i}.route")) as f:
            route = f.read().strip()
        w = parse_wrk(os.path.join(run_dir, f"wrk.{i}.txt")) or {}
        errors = f"{w.get('non2xx', 0)} non-2xx, {w.get('socket_errors', 0)} socket"
        lines.append(f"| wrk -t1 -c8 GET {route} | {fmt(w.get('requests'))} | {fmt(w.get('rps'))} | "
                     f"{fmt(w.get('p50_ms'), 2)} | {fmt(w.get('p99_ms'), 2)} | {errors} |")
        i += 1
    for name, r in zip(mix["route_names"], mix["routes"]):
        bad = {s: n for s, n in r["statuses"].items() if not s.startswith("2")}
        errors = ", ".join(f"{n} × {s}" for s, n in sorted(bad.items())) or "none"
        lines.append(f"| load_mix.py {name} | {fmt(r['requests'])} | {fmt(r['per_s'])} | {fmt(r['p50_ms'], 2)} | "
                     f"{fmt(r['p99_ms'], 2)} | {errors} |")
    ws = mix["ws"]
    rss = [p["kib"] for p in mix["rss"] if p["phase"] == "during" and p["kib"]]
    before = int(meta.get("rss_before_kib") or 0)
    after = int(meta.get("rss_after_kib") or 0)
    connected = [p["kib"] for p in mix["rss"] if p["phase"] == "ws_connected"]
    hwm = None
    try:
        with open(os.path.join(run_dir, "hwm.kib")) as f:
            hwm = int(f.read().strip())
    except (OSError, ValueError):
        pass
    mib = lambda k: f"{k / 1024:.1f} MiB" if k else "–"  # noqa: E731
    lines += [
        "",
        f"WebSocket: {ws['connected']} of {ws['requested']} clients connected ({ws['connect_errors']} refused); "
        f"{ws['slow']} never read, {ws['fast']} read (all from one Python thread, {ws['bytes_read_by_fast'] / 1e6:.1f} MB "
        f"received). The server dropped **{fmt(metric(metrics, 'dbgcoord_websocket_dropped_clients_total'), 0)}** clients "
        f"for being too slow (`dbgcoord_websocket_dropped_clients_total`; the same count of \"closing a slow "
        f"event-stream client\" log lines), i.e. the 50 that never read and every reader the one Python thread "
        f"could not keep up with (more than 1,024 events or 1 MiB queued); `dbgcoord_websocket_clients` was "
        f"{fmt(metric(metrics, 'dbgcoord_websocket_clients'), 0)} afterwards. (The client-side count of closes, "
        f"{ws['slow_closed_by_server']} slow / {ws['fast_closed_by_server']} reading, is not reliable: a dropped "
        "client that does not read never sees the FIN behind its unread bytes.)",
        "",
        f"dbgcoord VmRSS: {mib(before)} before, {mib(connected[0] if connected else 0)} with the clients connected, "
        f"{mib(min(rss) if rss else 0)}–{mib(max(rss) if rss else 0)} during the load (sampled every second), "
        f"{mib(after)} 5 s after; peak (VmHWM) {mib(hwm)}. SIGTERM afterwards: exit {meta.get('stop_exit')}.",
    ]
    return "\n".join(lines) + "\n"


def machine_note(load_start):
    """What the load average at the start says about the figures (the run's own load shows in the
    average at the end, so only the start tells whether others were busy)."""
    try:
        one_minute = float(str(load_start).split()[0])
    except (ValueError, IndexError):
        one_minute = None
    if one_minute is not None and one_minute < 1.0:
        return ("the machine was otherwise idle when the run started, so these are this machine's figures for "
                "one run, not a capacity rating")
    return ("**the machine was busy with other work** (builds, tests), so these are one run's figures on a "
            "noisy machine, not a capacity rating")


def write_section(md_path, section):
    block = BEGIN + "\n" + section.rstrip("\n") + "\n\n" + END + "\n\n"
    with open(md_path) as f:
        text = f.read()
    b, e = text.find(BEGIN_PREFIX), text.find(END)
    if b >= 0 and e > b:
        text = text[:b] + block + text[e + len(END):].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(md_path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--write", metavar="BENCHMARKS_MD")
    a = ap.parse_args()
    section = summarize(a.run_dir)
    print(section)
    if a.write:
        write_section(a.write, section)


if __name__ == "__main__":
    main()
