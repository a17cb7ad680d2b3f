#!/usr/bin/env python3
"""Crash-watch overhead: the target's own throughput with no watch and under each watch mode.

Rounds alternate runs of bench/watch_bench_target with no watch, under the ptrace watch and
under the core mode (so all see the same machine noise); each reports work units per second of
its main thread while it receives SIGUSR1 at a fixed rate and creates threads at a fixed rate.
ptrace: `dbg-worker watch` holding the target (every signal then passes through a ptrace stop,
every new thread is seized). core: `dbg-worker core` installed in core_pattern for every process
(bench/core_mode.py), which costs nothing until a crash.
Then (--crashes N > 0) crash-to-group latency through a real coordinator in each mode: a crasher
is told to crash and the time until its error group's count grows through the API is taken,
with the core handler's own elapsed time and peak RSS from the event it stored.
Prints one JSON object: per-round numbers, medians and the overheads in percent.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from core_mode import InstalledHandler


def run_target(target, seconds, sig_rate, thr_rate, watcher=None, args=None):
    p = subprocess.Popen([target] + (args or [str(seconds), str(sig_rate), str(thr_rate)]), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    if watcher:
        watcher.stdin.write(json.dumps({"v": 1, "id": f"a{p.pid}", "kind": "watch_add", "pid": p.pid}) + "\n")
        watcher.stdin.flush()
        while True:
            answer = json.loads(watcher.stdout.readline())
            if answer.get("id") == f"a{p.pid}":
                assert answer["type"] == "result", answer
                break
    p.stdin.write("go\n")
    p.stdin.flush()
    out = json.loads(p.stdout.readline())
    p.wait()
    out["status"] = p.returncode
    if watcher:
        # The watch ends with the process (watch_ended): read up to it.
        while True:
            line = json.loads(watcher.stdout.readline())
            if line.get("type") == "watch_ended" and line.get("pid") == p.pid:
                out["watch_ended"] = line["reason"]
                break
    return out


def idle_settings():
    """What decides the cost of waking an idle vCPU, which a watched signal does twice (BENCHMARKS.md)."""
    def read(path):
        try:
            with open(path) as f:
                return f.read().strip()
        except OSError:
            return None
    return {"cpuidle_driver": read("/sys/devices/system/cpu/cpuidle/current_driver"),
            "guest_halt_poll_ns": read("/sys/module/haltpoll/parameters/guest_halt_poll_ns")}


class Coordinator:
    """A dbgcoord on a fresh data dir, on a free loopback port."""

    def __init__(self, build, extra):
        self.data = tempfile.mkdtemp(prefix="dbgc-bench-watch-")
        self.proc = subprocess.Popen([os.path.join(build, "bin", "dbgcoord"), "--listen", "127.0.0.1:0",
                                      "--data-dir", self.data] + extra,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = None
        for line in self.proc.stdout:
            m = re.search(r"http://127\.0\.0\.1:[0-9]+", line)
            if m:
                self.url = m.group(0)
                break
        if not self.url:
            raise SystemExit("dbgcoord printed no listening line")
        with open(os.path.join(self.data, "token")) as f:
            self.token = f.read().strip()

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.url + "/api/v1" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def stop(self):
        self.proc.terminate()  # a clean stop: core mode writes core_pattern back
        self.proc.wait(timeout=30)
        shutil.rmtree(self.data, ignore_errors=True)


def group_total(coord):
    groups = coord.call("GET", "/errors?limit=1000").get("groups", [])
    return sum(g.get("count", 0) for g in groups), groups


def crash_latency(build, mode, crashes):
    """Crash-to-group latency: from telling a crasher to crash to its group's count growing, as a
    client polling every 5 ms sees it; in core mode also the handler's own figures."""
    crasher = os.path.join(build, "tests", "targets", "crasher_O2")
    extra = ["--crash-capture", "host"] if mode == "core" else []
    coord = Coordinator(build, extra)
    kinds = ["null", "abort", "thread", "divzero", "assert"]
    latencies, handler_ms, handler_rss = [], [], []
    try:
        for i in range(crashes):
            before, _ = group_total(coord)
            p = subprocess.Popen([crasher, kinds[i % len(kinds)]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert p.stdout.readline().strip() == "ready"
            if mode == "ptrace":
                coord.call("POST", "/watches", {"pid": p.pid})  # 201 once every thread is held
            t0 = time.monotonic()
            p.stdin.write("go\n")
            p.stdin.flush()
            while True:
                total, groups = group_total(coord)
                if total > before:
                    break
                if time.monotonic() - t0 > 30:
                    raise SystemExit(f"{mode}: crash {i} never reached a group")
                time.sleep(0.005)
            latencies.append(1000 * (time.monotonic() - t0))
            p.wait()
            if mode == "core":
                newest = max(groups, key=lambda g: g.get("last_seen", ""))
                events = coord.call("GET", f"/errors/{newest['id']}?events=1").get("events", [])
                handler = events[0].get("context", {}).get("handler", {}) if events else {}
                if "elapsed_ms" in handler:
                    handler_ms.append(handler["elapsed_ms"])
                if "peak_rss_kb" in handler:
                    handler_rss.append(handler["peak_rss_kb"])
    finally:
        coord.stop()
    out = {"crashes": crashes, "latency_ms": latencies, "median_latency_ms": statistics.median(latencies),
           "max_latency_ms": max(latencies)}
    if handler_ms:
        out["handler_median_elapsed_ms"] = statistics.median(handler_ms)
        out["handler_max_peak_rss_kb"] = max(handler_rss) if handler_rss else None
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--signals", type=float, default=1000, help="SIGUSR1 per second to the main thread")
    ap.add_argument("--threads", type=float, default=100, help="threads created per second")
    ap.add_argument("--raises", type=int, default=20000, help="signals raised back to back to time one round trip")
    ap.add_argument("--modes", default="ptrace,core", help="watch modes measured against no watch (ptrace, core)")
    ap.add_argument("--crashes", type=int, default=10, help="crashes per mode for the crash-to-group latency (0: skip)")
    a = ap.parse_args()
    modes = [m for m in a.modes.split(",") if m]
    target = os.path.join(a.build, "bench", "watch_bench_target")
    worker = os.path.join(a.build, "bin", "dbg-worker")
    watcher = subprocess.Popen([worker, "watch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert json.loads(watcher.stdout.readline())["type"] == "hello"
    rounds = []
    for i in range(a.rounds):
        # The order rotates each round, so no mode always runs first after the previous one.
        order = ["plain"] + modes
        order = order[i % len(order):] + order[:i % len(order)]
        r = {}
        for arm in order:
            if arm == "plain":
                r["plain"] = run_target(target, a.seconds, a.signals, a.threads)
                r["raise_plain_ns"] = run_target(target, 0, 0, 0, args=["raise", str(a.raises)])["raise_ns"]
            elif arm == "ptrace":
                r["watched"] = run_target(target, a.seconds, a.signals, a.threads, watcher)
                r["raise_watched_ns"] = run_target(target, 0, 0, 0, watcher, args=["raise", str(a.raises)])["raise_ns"]
            elif arm == "core":
                with InstalledHandler(worker):
                    r["core"] = run_target(target, a.seconds, a.signals, a.threads)
                    r["raise_core_ns"] = run_target(target, 0, 0, 0, args=["raise", str(a.raises)])["raise_ns"]
        rounds.append(r)
        line = f"round {i + 1}: plain {r['plain']['work_per_s']:.0f}/s"
        if "watched" in r:
            line += f", ptrace {r['watched']['work_per_s']:.0f}/s"
        if "core" in r:
            line += f", core {r['core']['work_per_s']:.0f}/s"
        print(line, file=sys.stderr)
    watcher.stdin.close()
    watcher.wait()
    result = {"seconds": a.seconds, "signals_per_s": a.signals, "threads_per_s": a.threads, "idle": idle_settings(),
              "modes": modes, "rounds": rounds,
              "median_plain_work_per_s": statistics.median(r["plain"]["work_per_s"] for r in rounds),
              "median_raise_plain_ns": statistics.median(r["raise_plain_ns"] for r in rounds)}
    for arm, key in (("ptrace", "watched"), ("core", "core")):
        if arm not in modes:
            continue
        per_round = [100.0 * (1 - r[key]["work_per_s"] / r["plain"]["work_per_s"]) for r in rounds]
        result[arm] = {"median_work_per_s": statistics.median(r[key]["work_per_s"] for r in rounds),
                       "overhead_pct_per_round": per_round,
                       "overhead_pct_median_of_rounds": statistics.median(per_round),
                       "median_raise_ns": statistics.median(r["raise_" + key + "_ns"] for r in rounds)}
    if a.crashes > 0:
        result["crash_to_group"] = {m: crash_latency(a.build, m, a.crashes) for m in modes}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
