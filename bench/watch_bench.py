#!/usr/bin/env python3
"""Crash-watch overhead: the target's own throughput with and without a watch.

Rounds alternate unwatched / watched runs of bench/watch_bench_target (so both see the same
machine noise); each reports work units per second of its main thread while it receives
SIGUSR1 at a fixed rate and creates threads at a fixed rate. The watch is `dbg-worker watch`
holding the target (every signal then passes through a ptrace stop, every new thread is seized).
Prints one JSON object: per-round numbers, medians and the overhead in percent.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--signals", type=float, default=1000, help="SIGUSR1 per second to the main thread")
    ap.add_argument("--threads", type=float, default=100, help="threads created per second")
    ap.add_argument("--raises", type=int, default=20000, help="signals raised back to back to time one round trip")
    a = ap.parse_args()
    target = os.path.join(a.build, "bench", "watch_bench_target")
    worker = os.path.join(a.build, "bin", "dbg-worker")
    watcher = subprocess.Popen([worker, "watch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert json.loads(watcher.stdout.readline())["type"] == "hello"
    rounds = []
    for i in range(a.rounds):
        plain = run_target(target, a.seconds, a.signals, a.threads)
        watched = run_target(target, a.seconds, a.signals, a.threads, watcher)
        raise_plain = run_target(target, 0, 0, 0, args=["raise", str(a.raises)])
        raise_watched = run_target(target, 0, 0, 0, watcher, args=["raise", str(a.raises)])
        rounds.append({"plain": plain, "watched": watched, "raise_plain_ns": raise_plain["raise_ns"],
                       "raise_watched_ns": raise_watched["raise_ns"]})
        print(f"round {i + 1}: plain {plain['work_per_s']:.0f}/s, watched {watched['work_per_s']:.0f}/s "
              f"({watched['signals_received']} signals, {watched['threads']} threads); one signal "
              f"{rounds[-1]['raise_plain_ns']:.0f} ns plain, {rounds[-1]['raise_watched_ns']:.0f} ns watched", file=sys.stderr)
    watcher.stdin.close()
    watcher.wait()
    plain = statistics.median(r["plain"]["work_per_s"] for r in rounds)
    watched = statistics.median(r["watched"]["work_per_s"] for r in rounds)
    per_round = [100.0 * (1 - r["watched"]["work_per_s"] / r["plain"]["work_per_s"]) for r in rounds]
    print(json.dumps({
        "seconds": a.seconds, "signals_per_s": a.signals, "threads_per_s": a.threads, "idle": idle_settings(),
        "rounds": rounds,
        "median_plain_work_per_s": plain, "median_watched_work_per_s": watched,
        "overhead_pct_of_medians": 100.0 * (1 - watched / plain),
        "overhead_pct_per_round": per_round, "overhead_pct_median_of_rounds": statistics.median(per_round),
        "median_raise_plain_ns": statistics.median(r["raise_plain_ns"] for r in rounds),
        "median_raise_watched_ns": statistics.median(r["raise_watched_ns"] for r in rounds),
    }, indent=1))


if __name__ == "__main__":
    main()
