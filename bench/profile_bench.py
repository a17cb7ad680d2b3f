#!/usr/bin/env python3
"""The measuring and summarizing side of bench/run_profile_bench.sh (standard library only).

usage:
  profile_bench.py measure --host NAME --run-dir DIR --target EXE --worker EXE
                           --configs LIST --seconds M --skip S --rounds N [--seed N]
      One host phase: starts ONE target process (profile_hotcold 1 0 0 TICK_MS, one CPU-bound
      thread that prints a timestamped unit count every TICK_MS), then for ROUNDS rounds, each
      config of LIST once per round in a shuffled order, runs a *pair* of windows back to back:
      an "off" window (no profiler) and an "on" window (the config's profiler), in alternating
      order (off-on, then on-off next round) so that a steady drift cancels. A window lasts
      S + M + a short tail; only its M seconds after the first S (the profiler's start-up:
      exec, attach, reading ELF files) are measured. Appends one JSON line per window to
      DIR/windows.jsonl and keeps the target's tick lines in DIR/target.HOST.out.
  profile_bench.py summarize RUN_DIR [--benchmarks-md FILE]
      Turns the windows into throughputs (units between the interpolated tick counts at the
      measured span's ends, per second), the pairs into losses (1 - on/off), prints the markdown
      section, writes RUN_DIR/summary.md and summary.json and, with --benchmarks-md, replaces
      the section between the profile-bench markers in FILE.

Config names: none (both windows off: the noise floor of a paired loss), ours-SAMPLER-HZ
(dbg-worker profile; SAMPLER perf, ptrace, or default when the worker has no --sampler),
perf-HZ (perf record -F HZ --call-graph dwarf), gdb-HZ (gdb -batch 'thread apply all bt' in a
loop, HZ invocations per second at most; 0 = back to back).
"""
import argparse
import json
import math
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import load_meta, median, pct  # noqa: E402

BEGIN = "<!-- profile-bench:begin (written by bench/profile_bench.py; do not edit by hand) -->"
BEGIN_PREFIX = "<!-- profile-bench:begin"
END = "<!-- profile-bench:end -->"

TICK_MS = 100        # the target's tick period
TAIL_S = 0.2         # a profiler runs this much past the measured span (its shutdown is not measured)
# ("settle_in", --settle-in: how long after a profiler is seen sampling its measured span starts)
SETTLE_S = 0.3       # pause between windows, after the profiler has exited

# Goals (issue #19, item 3 and 4): saturated host, ours in perf mode.
GOAL_LOSS_PCT = {99: 1.0, 999: 5.0}
GOAL_OVERHEAD_RATIO = 2.0   # overhead_pct within 2x of the measured loss


def log(msg):
    print(time.strftime("[%H:%M:%S]"), msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# measure
# ----------------------------------------------------------------------------------------------

def parse_config(name):
    """('none', None, None) | ('ours', sampler, hz) | ('perf', None, hz) | ('gdb', None, hz)."""
    parts = name.split("-")
    if parts == ["none"]:
        return "none", None, None
    if parts[0] == "ours" and len(parts) == 3:
        return "ours", parts[1], int(parts[2])
    if parts[0] in ("perf", "gdb") and len(parts) == 2:
        return parts[0], None, float(parts[1]) if parts[0] == "gdb" else int(parts[1])
    raise SystemExit(f"profile_bench.py: unknown config {name!r}")


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sleep_until(t):
    while True:
        left = t - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


def sampling_seen(tool_pid, target_pid):
    """True once a profiler samples the target: the target has a tracer (ptrace sampler, gdb),
    or the profiler holds a perf event (perf sampler)."""
    try:
        with open(f"/proc/{target_pid}/status") as f:
            if any(l.startswith("TracerPid:") and l.split()[1] != "0" for l in f):
                return True
        fd_dir = f"/proc/{tool_pid}/fd"
        return any(os.readlink(os.path.join(fd_dir, fd)) == "anon_inode:[perf_event]" for fd in os.listdir(fd_dir))
    except OSError:
        return False


def wait_started(proc, seen, timeout):
    """Polls seen() every 5 ms until it holds (returns the time) or the tool exits / times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if seen():
            return time.monotonic()
        time.sleep(0.005)
    return None


def stop_tool(proc, at):
    """SIGINT at time `at` (both dbg-worker and perf record stop early on it and still write
    what they collected), then wait for the exit."""
    sleep_until(at)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run_ours(args, pid, sampler, hz, out_path):
    """dbg-worker profile, started with a long --duration and stopped by SIGINT once the measured
    span is over. The span starts when the worker is seen sampling (TracerPid / a perf event fd)."""
    cmd = [args.worker, "profile", str(pid), "--hz", str(hz), "--duration", str(args.seconds + args.skip + 30)]
    if sampler != "default":
        cmd += ["--sampler", sampler]
    with open(out_path, "w") as out, open(out_path + ".err", "w") as err:
        proc = start_tool(cmd, stdout=out, stderr=err)
        t_seen = wait_started(proc, lambda: sampling_seen(proc.pid, pid), args.skip + 5)
        start = time.monotonic() + args.skip if t_seen is None else t_seen + args.settle_in
        span = (start, start + args.seconds)
        rc = stop_tool(proc, span[1] + TAIL_S)
    info = {"rc": rc, "span": span, "started_after_s": None if t_seen is None else t_seen}
    try:
        with open(out_path) as f:
            p = json.load(f)
    except (OSError, ValueError) as e:
        info["error"] = f"no profile JSON: {e}"
        return info
    for key in ("samples", "hz_effective", "overhead_pct", "sampler", "samples_lost",
                "overhead_per_sample_us", "elapsed_s", "stop_reason"):
        if key in p:
            info[key] = p[key]
    return info


def run_perf(args, pid, hz, out_path):
    """perf record, started with its events disabled (-D -1) and enabled through its control
    FIFO: the measured span starts when perf acknowledges the enable (its start-up, which
    synthesizes the target's mappings, can take seconds on a busy host) and ends before SIGINT."""
    data = out_path + ".data"
    ctl, ack = out_path + ".ctl", out_path + ".ack"
    for fifo in (ctl, ack):
        if os.path.exists(fifo):
            os.unlink(fifo)
        os.mkfifo(fifo)
    # O_RDWR on our side never blocks on open, whichever end perf opens first.
    ctl_fd = os.open(ctl, os.O_RDWR)
    ack_fd = os.open(ack, os.O_RDWR | os.O_NONBLOCK)
    cmd = ["perf", "record", "-F", str(hz), "--call-graph", "dwarf", "-o", data, "-p", str(pid),
           "-D", "-1", "--control", f"fifo:{ctl},{ack}"]
    t_seen = None
    with open(out_path, "w") as out:
        proc = start_tool(cmd, stdout=subprocess.DEVNULL, stderr=out)
        os.write(ctl_fd, b"enable\n")
        deadline = time.monotonic() + args.skip + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if b"ack" in os.read(ack_fd, 64):
                    t_seen = time.monotonic()
                    break
            except BlockingIOError:
                pass
            time.sleep(0.005)
        start = time.monotonic() + args.skip if t_seen is None else t_seen + args.settle_in
        span = (start, start + args.seconds)
        sleep_until(span[1])
        os.write(ctl_fd, b"disable\n")  # sampling ends with the span; perf's write-out follows
        rc = stop_tool(proc, span[1] + TAIL_S)
    os.close(ctl_fd)
    os.close(ack_fd)
    for fifo in (ctl, ack):
        os.unlink(fifo)
    info = {"rc": 0 if rc in (0, -signal.SIGINT, 130) else rc, "span": span, "started_after_s": t_seen}
    try:
        info["data_bytes"] = os.path.getsize(data)
        os.unlink(data)  # up to ~8 MB a second at 999 Hz: only its counts are kept
    except OSError:
        pass
    text = open(out_path).read()
    m = re.search(r"\((\d+) samples\)", text)
    if m:
        info["samples"] = int(m.group(1))
        info["hz_effective"] = info["samples"] / (span[1] - span[0] + TAIL_S)
    elif "Captured and wrote" in text:
        info["samples"] = 0
    lost = re.findall(r"lost (\d+) chunks|(\d+) samples? lost", text)
    if lost:
        info["samples_lost"] = sum(int(a or b) for a, b in lost)
    return info


def run_gdb(args, pid, hz, out_path):
    """gdb-pmp: one `thread apply all bt` after another (HZ at most; 0 = back to back) from the
    window's start until the measured span ends; gdb's start-up is part of every sample, so
    nothing is skipped."""
    n, failed = 0, 0
    period = 1.0 / hz if hz > 0 else 0.0
    t0 = time.monotonic()
    span = (t0, t0 + args.seconds)
    with open(out_path, "w") as out:
        while True:
            start = time.monotonic()
            if start >= span[1]:
                break
            rc = subprocess.call(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off",
                                  "-ex", "thread apply all bt"], stdout=out, stderr=subprocess.STDOUT)
            n += 1
            failed += rc != 0
            if period:
                sleep_until(min(start + period, span[1]))
    return {"rc": 1 if failed else 0, "span": span, "samples": n, "failed": failed,
            "hz_effective": n / (time.monotonic() - t0)}


def run_window(args, pid, config, raw_prefix):
    """One window: returns its record (measured span in CLOCK_MONOTONIC seconds, tool figures).
    config None is a baseline window: no profiler, no start-up to skip."""
    if config is None:
        t0 = time.monotonic()
        span = (t0, t0 + args.seconds)
        sleep_until(span[1])
        return {"on": False, "t0": t0, "span": span}
    kind, sampler, hz = parse_config(config)
    cpu0 = children_cpu_s()
    t0 = time.monotonic()
    if kind == "ours":
        info = run_ours(args, pid, sampler, hz, raw_prefix + ".json")
    elif kind == "perf":
        info = run_perf(args, pid, hz, raw_prefix + ".perf.txt")
    else:
        info = run_gdb(args, pid, hz, raw_prefix + ".gdb.txt")
    t_exit = time.monotonic()
    if info.get("started_after_s") is not None:
        info["started_after_s"] -= t0
    elif kind != "gdb":
        info["start_not_seen"] = True  # measured from t0 + skip instead
    rec = {"on": True, "t0": t0, "tool_exit": t_exit, "tool_cpu_s": children_cpu_s() - cpu0, **info}
    if kind == "ours" and rec.get("stop_reason") not in (None, "cancelled"):
        rec["early_exit"] = rec["stop_reason"]  # SIGINT gives "cancelled": it ended otherwise
    if kind != "gdb" and t_exit < rec["span"][1]:
        rec["early_exit"] = "exited before the span ended"
    # Whatever the profiler left behind (page cache, its exit) settles before the next baseline.
    time.sleep(SETTLE_S)
    return rec


def last_tick_s(path):
    last = None
    with open(path) as f:
        for line in f:
            if line.startswith("tick "):
                last = int(line.split()[1]) / 1e9
    return last


RUNNING = []  # the profiler process of the window under way, for the cleanup after a failure


def start_tool(cmd, **kw):
    proc = subprocess.Popen(cmd, **kw)
    RUNNING.append(proc)
    return proc


def on_sigterm(signum, frame):
    raise SystemExit(f"profile_bench.py: stopped by signal {signum}")


def measure(args):
    """Windows in the sequence  base, c1, base, c2, base, ... cK, base, c1', base, ...  where each
    round runs every config once in a shuffled order: every profiler window lies between two
    baseline windows, and its loss is measured against their mean (which cancels a steady drift
    of the host's load), the same way for "none" (a profiler window with no profiler)."""
    # SIGTERM (the shell's trap) must still reach the finally below, which stops the target.
    signal.signal(signal.SIGTERM, on_sigterm)
    os.makedirs(os.path.join(args.run_dir, "raw"), exist_ok=True)
    configs = args.configs.split(",")
    for c in configs:
        parse_config(c)
    rng = random.Random(args.seed)
    target_out = os.path.join(args.run_dir, f"target.{args.host}.out")
    out = open(target_out, "w")
    # Normal priority, and the session (so the autogroup) of this script, host_load's too: on the
    # saturated host the target competes thread against thread with the load, as the issue's
    # "2 busy threads per core besides the target" means, and the profilers compete the same way.
    target = subprocess.Popen([args.target, "1", "0", "0", str(TICK_MS)], stdout=out, stderr=subprocess.STDOUT)
    if args.pin:
        os.sched_setaffinity(target.pid, {0})
    windows = open(os.path.join(args.run_dir, "windows.jsonl"), "a")
    seq = 0

    def record(rec, config, r):
        nonlocal seq
        rec.update(host=args.host, config=config, round=r, seq=seq)
        seq += 1
        windows.write(json.dumps(rec) + "\n")
        windows.flush()

    try:
        deadline = time.monotonic() + 10
        while "tick" not in open(target_out).read():
            if target.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"profile_bench.py: the target did not start (see {target_out})")
            time.sleep(0.02)
        time.sleep(1.0)  # warm up: caches, the scheduler's view of the new task
        n, done = args.rounds * len(configs), 0
        record(run_window(args, target.pid, None, None), None, 0)
        for r in range(args.rounds):
            order = configs[:]
            rng.shuffle(order)
            for config in order:
                prefix = os.path.join(args.run_dir, "raw", f"{args.host}.{config}.r{r}")
                rec = run_window(args, target.pid, None if config == "none" else config, prefix)
                rec["on"] = True  # "none": the profiler slot, left empty
                record(rec, config, r)
                record(run_window(args, target.pid, None, None), None, r)
                done += 1
                log(f"{args.host} round {r + 1}/{args.rounds} {config}: window {done}/{n}"
                    + (f", rc {rec['rc']}" if rec.get("rc") else "")
                    + (f", {rec['samples']} samples" if "samples" in rec else ""))
                if target.poll() is not None:
                    raise SystemExit("profile_bench.py: the target exited during the run")
        # The last span needs a tick after it (a starved target may print late).
        end = time.monotonic()
        while (last_tick_s(target_out) or 0) <= end and time.monotonic() < end + 10:
            time.sleep(0.05)
    finally:
        for proc in RUNNING:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if target.poll() is None:
            target.send_signal(signal.SIGTERM)
            target.wait()
        out.close()
        windows.close()


# ----------------------------------------------------------------------------------------------
# summarize
# ----------------------------------------------------------------------------------------------

def load_ticks(path):
    """[(t_s, units, cpu_s)] from a target.HOST.out file, in time order."""
    ticks = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 4 and p[0] == "tick":
                ticks.append((int(p[1]) / 1e9, int(p[2]), int(p[3]) / 1e9))
    return ticks


def interp(ticks, t, col):
    """The value of column col (1 units, 2 cpu) at time t, linear between the ticks around t."""
    lo, hi = 0, len(ticks) - 1
    if not ticks or t < ticks[0][0] or t > ticks[-1][0]:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ticks[mid][0] <= t:
            lo = mid
        else:
            hi = mid
    (t0, *a), (t1, *b) = ticks[lo], ticks[hi]
    if t1 == t0:
        return a[col - 1]
    return a[col - 1] + (b[col - 1] - a[col - 1]) * (t - t0) / (t1 - t0)


def window_rates(ticks, span):
    """(units per second, CPU share of the target thread) over span."""
    u0, u1 = interp(ticks, span[0], 1), interp(ticks, span[1], 1)
    c0, c1 = interp(ticks, span[0], 2), interp(ticks, span[1], 2)
    if None in (u0, u1, c0, c1):
        return None, None
    dt = span[1] - span[0]
    return (u1 - u0) / dt, (c1 - c0) / dt


def median_ci(xs, level=0.95):
    """Distribution-free confidence interval of the median (order statistics, sign test):
    (lo, hi, achieved level) or None when there are too few values for any interval."""
    xs = sorted(xs)
    n = len(xs)
    if n < 2:
        return None
    best = None
    for k in range(0, n // 2):
        # P(x_(k+1) <= median <= x_(n-k)) = 1 - 2 * P(Bin(n, 1/2) <= k)
        cover = 1 - 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
        if cover >= level:
            best = (xs[k], xs[n - 1 - k], cover)
        else:
            break
    if best is None:  # n too small for the level: the widest interval, with what it achieves
        best = (xs[0], xs[-1], 1 - 2 / 2 ** n)
    return best


def label(config, meta):
    kind, sampler, hz = parse_config(config)
    if kind == "none":
        return "none (a profiler window without a profiler: the noise floor)"
    if kind == "ours":
        name = {"perf": "dbg-worker, perf sampler", "ptrace": "dbg-worker, ptrace sampler",
                "default": "dbg-worker, ptrace sampler (no `--sampler` in this build)"}[sampler]
        return f"{name}, {hz} Hz"
    if kind == "perf":
        return f"`perf record -F {hz} --call-graph dwarf`"
    rate = "back to back" if hz == 0 else f"{hz:g} Hz"
    return f"gdb-pmp (`gdb -batch 'thread apply all bt'`), {rate}"


def fmt(x, spec="{:,.0f}", none="—"):
    return none if x is None else spec.format(x)


def fpct(x, digits=2):
    return "—" if x is None else f"{x:+.{digits}f} %"


def summarize_config(config, host_windows, ticks):
    """host_windows: every window of one host, in run order (baselines have config None)."""
    by_seq = {w["seq"]: w for w in host_windows}
    rates = {w["seq"]: window_rates(ticks, w["span"]) for w in host_windows}
    losses, cpu_losses, work_losses, on_thr, off_thr, off_cpu = [], [], [], [], [], []
    tool = {"samples": [], "hz_effective": [], "overhead_pct": [], "samples_lost": [],
            "overhead_per_sample_us": [], "tool_cpu_s": [], "sampler": set(), "invalid": 0,
            "data_bytes": [], "started_after_s": []}
    for on in (w for w in host_windows if w["config"] == config):
        base = [rates[q] for q in (on["seq"] - 1, on["seq"] + 1)
                if q in by_seq and by_seq[q]["config"] is None and rates[q][0]]
        u_on, c_on = rates[on["seq"]]
        if on.get("rc") or on.get("early_exit") or "error" in on or u_on is None or not base:
            tool["invalid"] += 1
            continue
        u_off = statistics.fmean(b[0] for b in base)
        c_off = statistics.fmean(b[1] for b in base)
        losses.append(100 * (1 - u_on / u_off))
        cpu_losses.append(100 * (1 - c_on / c_off) if c_off > 0 else None)
        # work per CPU second: what the thread got done with the CPU it had (no scheduler noise)
        w_off = statistics.fmean(b[0] / b[1] for b in base if b[1] > 0) if all(b[1] > 0 for b in base) else None
        work_losses.append(100 * (1 - (u_on / c_on) / w_off) if w_off and c_on > 0 else None)
        on_thr.append(u_on)
        off_thr.append(u_off)
        off_cpu.append(c_off)
        for k in ("samples", "hz_effective", "overhead_pct", "samples_lost", "overhead_per_sample_us",
                  "data_bytes"):
            if k in on:
                tool[k].append(on[k])
        if "tool_cpu_s" in on:
            tool["tool_cpu_s"].append(on["tool_cpu_s"] / (on["tool_exit"] - on["t0"]))
        if "started_after_s" in on and on["started_after_s"] is not None:
            tool["started_after_s"].append(on["started_after_s"])
        if "sampler" in on:
            tool["sampler"].add(on["sampler"])
    ci = median_ci(losses)
    s = {
        "pairs": len(losses),
        "invalid": tool["invalid"],
        "throughput_on": median(on_thr),
        "throughput_off": median(off_thr),
        "cpu_share_off": median(off_cpu),
        "loss_pct": median(losses),
        "loss_p25": pct(losses, 25),
        "loss_p75": pct(losses, 75),
        "loss_ci": ci,
        "cpu_share_loss_pct": median(cpu_losses),
        "work_per_cpu_loss_pct": median(work_losses),
        "losses": losses,
        "samples": median(tool["samples"]),
        "hz_effective": median(tool["hz_effective"]),
        "overhead_pct": median(tool["overhead_pct"]),
        "samples_lost": sum(tool["samples_lost"]) if tool["samples_lost"] else None,
        "overhead_per_sample_us": median(tool["overhead_per_sample_us"]),
        "tool_cpu_share": median(tool["tool_cpu_s"]),
        "started_after_s": median(tool["started_after_s"]),
        "sampler_reported": sorted(tool["sampler"]),
    }
    s["ci_ok"] = bool(ci and ci[2] >= 0.95)   # enough windows for a 95 % interval
    s["above_noise"] = bool(s["ci_ok"] and ci[0] > 0)
    if s["overhead_pct"] is not None and s["loss_pct"] is not None and s["loss_pct"] > 0:
        s["ratio"] = s["overhead_pct"] / s["loss_pct"]
    else:
        s["ratio"] = None
    return s


def host_table(host, configs, stats, meta):
    lines = [
        "| profiler | windows | throughput with it, median (units/s) | loss vs its baselines: median | IQR | 95 % CI of the median | of which: CPU share lost | work per CPU-s lost | samples / window | effective Hz | lost samples | overhead_pct (ours) | overhead_pct ÷ loss | profiler's own CPU |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in configs:
        s = stats[c]
        ci = s["loss_ci"]
        ci_txt = "—" if not ci else f"{ci[0]:+.2f} .. {ci[1]:+.2f} %" + ("" if ci[2] >= 0.95 else f" ({100 * ci[2]:.0f} %)")
        iqr = "—" if s["loss_p25"] is None else f"{s['loss_p25']:+.2f} .. {s['loss_p75']:+.2f} %"
        kind = parse_config(c)[0]
        if kind == "ours" and s["ratio"] is not None:
            ratio = f"{s['ratio']:.2f}" + ("" if s["above_noise"] else " (loss within noise)" if s["ci_ok"] else " (too few windows)")
        else:
            ratio = "—"
        invalid = f" ({s['invalid']} invalid)" if s["invalid"] else ""
        lines.append(
            f"| {label(c, meta)} | {s['pairs']}{invalid} | {fmt(s['throughput_on'])} | {fpct(s['loss_pct'])} | {iqr} | {ci_txt} | "
            f"{fpct(s['cpu_share_loss_pct'], 1)} | {fpct(s['work_per_cpu_loss_pct'], 1)} | {fmt(s['samples'])} | {fmt(s['hz_effective'], '{:.1f}')} | "
            f"{fmt(s['samples_lost'])} | {fmt(s['overhead_pct'], '{:.3f} %')} | {ratio} | {fmt(s['tool_cpu_share'] and 100 * s['tool_cpu_share'], '{:.1f} %')} |")
    return lines


def goals(stats_by_host, configs, meta):
    rows = []
    perf_mode = [c for c in configs if c.startswith("ours-perf-")]
    sat = stats_by_host.get("saturated")
    for hz, limit in GOAL_LOSS_PCT.items():
        c = f"ours-perf-{hz}"
        goal = f"saturated host, ours (perf mode) at {hz} Hz: loss < {limit:g} %"
        if sat is None:
            rows.append((goal, "not measured (no saturated phase in this run)", "—"))
        elif c not in sat:
            alt = next((x for x in (f"ours-ptrace-{hz}", f"ours-default-{hz}") if x in sat), None)
            txt = "not measured: this dbg-worker has no perf sampler (`--sampler`)"
            if alt:
                s = sat[alt]
                txt += f"; {label(alt, meta)}: {fpct(s['loss_pct'])} (CI {ci_text(s)})"
            rows.append((goal, txt, "not judged"))
        else:
            s = sat[c]
            verdict = "met" if s["loss_pct"] is not None and s["loss_pct"] < limit else "not met"
            if not s["ci_ok"]:
                verdict += " by the median (too few windows for a 95 % CI)"
            elif verdict == "met" and s["loss_ci"][1] >= limit:
                verdict = "met by the median (the CI reaches the limit)"
            rows.append((goal, f"{fpct(s['loss_pct'])} (CI {ci_text(s)})", verdict))
    for host, stats in stats_by_host.items():
        for c in configs:
            if not c.startswith("ours-"):
                continue
            s = stats[c]
            goal = f"{host} host, {label(c, meta)}: overhead_pct within {GOAL_OVERHEAD_RATIO:g}x of the loss"
            op = fmt(s["overhead_pct"], "{:.3f} %")
            if s["overhead_pct"] is None:
                rows.append((goal, "no overhead_pct", "—"))
            elif not s["ci_ok"]:
                rows.append((goal, f"overhead_pct {op}; loss {fpct(s['loss_pct'])} over {s['pairs']} windows", "not judged (too few windows for a 95 % CI)"))
            elif not s["above_noise"]:
                inside = s["loss_ci"] and s["loss_ci"][0] <= s["overhead_pct"] <= s["loss_ci"][1]
                rows.append((goal, f"overhead_pct {op}; loss {fpct(s['loss_pct'])} is within the noise (CI {ci_text(s)})",
                             "not judged (loss not above noise); overhead_pct " + ("inside" if inside else "outside") + " the CI"))
            else:
                r = s["ratio"]
                ok = r is not None and 1 / GOAL_OVERHEAD_RATIO <= r <= GOAL_OVERHEAD_RATIO
                rows.append((goal, f"overhead_pct {op} / loss {fpct(s['loss_pct'])} = {r:.2f}", "met" if ok else "not met"))
    # peers: our loss against perf record's and gdb-pmp's, same host and rate
    for host, stats in stats_by_host.items():
        for c in configs:
            kind, _, hz = parse_config(c)
            if kind not in ("perf", "gdb"):
                continue
            peer = stats[c]
            ours = [x for x in perf_mode if parse_config(x)[2] == hz] or \
                   [x for x in configs if x.startswith("ours-") and parse_config(x)[2] == hz] or \
                   [x for x in configs if x.startswith("ours-") and parse_config(x)[2] == 99]
            if not ours:
                continue
            o = stats[ours[0]]
            if peer["above_noise"] and o["loss_pct"] is not None and peer["loss_pct"]:
                ratio = f"ours ÷ peer = {o['loss_pct'] / peer['loss_pct']:.2f}"
            else:
                ratio = "ratio not meaningful (peer's loss within noise)"
            rows.append((f"{host} host, peer {label(c, meta)} against {label(ours[0], meta)}",
                         f"peer {fpct(peer['loss_pct'])} (CI {ci_text(peer)}), ours {fpct(o['loss_pct'])}; {ratio}", "peer (no goal)"))
    out = ["| goal | measured | verdict |", "| --- | --- | --- |"]
    out += [f"| {g} | {m} | {v} |" for g, m, v in rows]
    return out


def ci_text(s):
    ci = s["loss_ci"]
    return "—" if not ci else f"{ci[0]:+.2f} .. {ci[1]:+.2f} %"


def summarize(args):
    meta = load_meta(args.run_dir)
    windows = [json.loads(l) for l in open(os.path.join(args.run_dir, "windows.jsonl")) if l.strip()]
    hosts = [h for h in meta.get("HOSTS", "idle,saturated").split(",") if any(w["host"] == h for w in windows)]
    configs = meta["CONFIGS"].split(",")
    stats_by_host = {}
    md = [BEGIN, f"## Profiling overhead benchmark — run of {meta.get('DATE_START', '?')}", ""]
    md += [
        f"Command: `{meta.get('COMMAND', 'bench/run_profile_bench.sh')}` (as root).",
        "",
        f"Machine: {meta.get('MACHINE', '?')}; load average {meta.get('LOAD_START', '?')} at start, "
        f"{meta.get('LOAD_END', '?')} at end; run {meta.get('DATE_START', '?')} → {meta.get('DATE_END', '?')} (UTC).",
        f"Tools: dbg-worker at `{meta.get('REV', '?')}` ({meta.get('SAMPLER_NOTE', '')}), {meta.get('PERF_VERSION', 'perf ?')}, "
        f"{meta.get('GDB_VERSION', 'gdb ?')}.",
        "",
        "Method: one target process per host (`tests/targets/profile_hotcold 1 0 0 100`: one CPU-bound "
        "thread at normal priority that prints its unit count and CPU time every 100 ms). The run is one "
        "sequence of windows against it, every profiler window between two baseline windows without a "
        f"profiler; each round runs every profiler once, in a shuffled order: {meta.get('ROUNDS_IDLE', '?')} rounds on the idle host, "
        f"{meta.get('ROUNDS_SATURATED', '?')} on the saturated one. "
        f"A window measures {meta.get('SECONDS', '?')} s of throughput. A profiler window measures from "
        f"{meta.get('SETTLE_IN', '0.1')} s after the profiler is seen sampling (dbg-worker: the target has a "
        "tracer or the worker holds a perf event; perf record: it acknowledged the `enable` sent to its "
        "`--control` FIFO, having started with `-D -1`) to the end of the span, then stops the profiler "
        "(SIGINT): start-up and shutdown are not measured, the time spent sampling is. gdb-pmp is measured "
        "from its first invocation: each `bt` is a start-up. A window's loss is 1 − (units/s in it) ÷ (mean units/s of its two baselines), which "
        "cancels a steady drift of the host's load. The `none` row is a profiler window with no profiler: "
        "its spread is the noise floor of one window's loss. A loss is above the noise when its 95 % "
        "confidence interval of the median (order statistics, distribution-free) lies above zero. "
        "\"CPU share lost\" is the same ratio on the thread's CPU time per wall second (what the scheduler "
        "gave it), \"work per CPU-s lost\" on its units per CPU second (what it did with it: this kernel "
        "charges a perf sample's interrupt time to the interrupted thread, and a sample can cost it its "
        "caches); the loss is about their sum, and the second is free of the scheduler's noise. \"Profiler's own CPU\" is the CPU time of its "
        "processes per second of its window. The saturated host is `bench/host_load "
        f"{meta.get('HOST_LOAD_ARGS', '')}` for the whole phase; it, the target and the profilers run at "
        "normal priority in one session (one autogroup), so they compete thread against thread"
        + ("; the target is pinned to CPU 0 and host_load's threads round-robin to all CPUs (`--pin`), "
           "the profilers are not." if meta.get("PIN") == "1" else "; nothing is pinned."),
        "",
    ]
    summary = {"meta": meta, "hosts": {}}
    for host in hosts:
        ticks = load_ticks(os.path.join(args.run_dir, f"target.{host}.out"))
        host_windows = sorted((w for w in windows if w["host"] == host), key=lambda w: w["seq"])
        stats = {c: summarize_config(c, host_windows, ticks) for c in configs}
        stats_by_host[host] = stats
        summary["hosts"][host] = stats
        none = stats.get("none")
        md.append(f"### {host.capitalize()} host")
        md.append("")
        extra = []
        if none and none["throughput_off"]:
            extra.append(f"the target ran at {fmt(none['throughput_off'])} units/s with "
                         f"{100 * none['cpu_share_off']:.0f} % of a CPU")
        if meta.get(f"OTHERS_{host.upper()}"):
            extra.append(f"processes outside this benchmark used {meta[f'OTHERS_{host.upper()}']}")
        if meta.get(f"HOST_LOAD_{host.upper()}"):
            extra.append(f"host_load reported {meta[f'HOST_LOAD_{host.upper()}']}")
        if extra:
            md += ["Unprofiled, " + "; ".join(extra) + ".", ""]
        starts = [f"{label(c, meta)} {stats[c]['started_after_s']:.2f} s" for c in configs
                  if stats[c].get("started_after_s") is not None]
        if starts:
            md += ["Seen sampling after (median from its launch; its measured span starts "
                   f"{meta.get('SETTLE_IN', '0.1')} s later): " + "; ".join(starts) + ".", ""]
        md += host_table(host, configs, stats, meta)
        if none and none["loss_ci"]:
            md += ["", f"Noise floor (`none`): median {fpct(none['loss_pct'])}, IQR {fpct(none['loss_p25'])} .. "
                   f"{fpct(none['loss_p75'])}, 95 % CI {ci_text(none)} over {none['pairs']} windows."]
        md.append("")
    md += ["### Goals", ""]
    md += goals(stats_by_host, configs, meta)
    md += ["", END]
    text = "\n".join(md) + "\n"
    print(text)
    with open(os.path.join(args.run_dir, "summary.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.run_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=list)
    if args.benchmarks_md:
        write_section(args.benchmarks_md, text)


def write_section(path, text):
    doc = open(path).read()
    b, e = doc.find(BEGIN_PREFIX), doc.find(END)
    if b >= 0 and e > b:
        doc = doc[:b] + text.rstrip("\n") + doc[e + len(END):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(path, "w") as f:
        f.write(doc)
    log(f"wrote the profile section of {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--host", required=True)
    m.add_argument("--run-dir", required=True)
    m.add_argument("--target", required=True)
    m.add_argument("--worker", required=True)
    m.add_argument("--configs", required=True)
    m.add_argument("--seconds", type=float, required=True)
    m.add_argument("--skip", type=float, required=True)
    m.add_argument("--rounds", type=int, required=True)
    m.add_argument("--settle-in", type=float, default=0.1)
    m.add_argument("--pin", action="store_true", help="pin the target to CPU 0")
    m.add_argument("--seed", type=int, default=19)
    s = sub.add_parser("summarize")
    s.add_argument("run_dir")
    s.add_argument("--benchmarks-md")
    args = ap.parse_args()
    if args.cmd == "measure":
        measure(args)
    else:
        summarize(args)


if __name__ == "__main__":
    main()
