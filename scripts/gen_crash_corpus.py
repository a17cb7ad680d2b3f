#!/usr/bin/env python3
"""Generates the classifier's labeled corpus (models/corpus/crashes.jsonl) from the project's
own crash programs (tests/targets/corpus/), run under a real crash watch of a real dbgcoord.

usage: scripts/gen_crash_corpus.py [--build-dir build] [--out models/corpus/crashes.jsonl]
                                   [--runs 1] [--only MODE,...]

Each program mode is built four ways (gcc/clang x -O0/-O2): a *variant* is (build, mode). A crash
mode is started, watched through POST /api/v1/watches, told to crash, and its event is read back
from GET /api/v1/errors/{id}: the same JSON the coordinator stores (type, message, frames,
context). Deadlock and busy-hang rows: the hang programs are snapshotted through a snapshot
session, and the event the deadlock/hang detector reports (source "detector", kind "deadlock" |
"hang", type "DEADLOCK" | "BUSY_HANG", frames of the first waiting or spinning thread, context
{"threads": [...]}) is built from those real stacks. "unknown" rows: watched non-zero exits plus
a few application reports (kind "reported", no crash context), written by hand below.

A mode that does not die the expected way in some build (an optimiser removed the bug) is
skipped and listed on stderr, never labeled with a guess. Python standard library only.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "tests", "targets", "corpus")

BUILDS = [("gcc", "O0"), ("gcc", "O2"), ("clang", "O0"), ("clang", "O2")]
CXX = {"gcc": "g++", "clang": "clang++"}

S = signal
# (program, mode, label, expected: signal number or ("exit", status))
CRASHES = [
    ("crash_corpus", "null_write", "null_dereference", S.SIGSEGV),
    ("crash_corpus", "null_read", "null_dereference", S.SIGSEGV),
    ("crash_corpus", "null_strlen", "null_dereference", S.SIGSEGV),
    ("crash_corpus", "null_call", "null_dereference", S.SIGSEGV),
    ("crash_corpus", "null_thread", "null_dereference", S.SIGSEGV),
    ("crash_corpus_cxx", "cxx_null_member", "null_dereference", S.SIGSEGV),
    ("crash_corpus", "wild_write", "invalid_address", S.SIGSEGV),
    ("crash_corpus", "wild_read", "invalid_address", S.SIGSEGV),
    ("crash_corpus", "after_unmap", "invalid_address", S.SIGSEGV),
    ("crash_corpus", "use_after_free", "invalid_address", S.SIGSEGV),
    ("crash_corpus", "read_only_write", "invalid_address", S.SIGSEGV),
    ("crash_corpus", "jump_wild", "invalid_address", S.SIGSEGV),
    ("crash_corpus", "wild_thread", "invalid_address", S.SIGSEGV),
    ("crash_corpus", "recurse", "stack_overflow", S.SIGSEGV),
    ("crash_corpus", "recurse_big", "stack_overflow", S.SIGSEGV),
    ("crash_corpus", "mutual_recursion", "stack_overflow", S.SIGSEGV),
    ("crash_corpus", "recurse_thread", "stack_overflow", S.SIGSEGV),
    ("crash_corpus", "assert_eq", "assertion_failure", S.SIGABRT),
    ("crash_corpus", "assert_ptr", "assertion_failure", S.SIGABRT),
    ("crash_corpus", "assert_index", "assertion_failure", S.SIGABRT),
    ("crash_corpus", "assert_thread", "assertion_failure", S.SIGABRT),
    ("crash_corpus", "double_free", "heap_corruption", S.SIGABRT),
    ("crash_corpus", "free_not_heap", "heap_corruption", S.SIGABRT),
    ("crash_corpus", "free_middle", "heap_corruption", S.SIGABRT),
    ("crash_corpus", "corrupt_size", "heap_corruption", S.SIGABRT),
    ("crash_corpus", "fastbin_double_free", "heap_corruption", S.SIGABRT),
    ("crash_corpus", "corrupt_top", "heap_corruption", S.SIGABRT),
    ("crash_corpus", "double_free_thread", "heap_corruption", S.SIGABRT),
    ("crash_corpus", "smash_loop", "stack_smashing", S.SIGABRT),
    ("crash_corpus", "smash_memcpy", "stack_smashing", S.SIGABRT),
    ("crash_corpus", "smash_thread", "stack_smashing", S.SIGABRT),
    ("crash_corpus_cxx", "throw_runtime", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_out_of_range", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_custom", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_int", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_bad_alloc", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_invalid_argument", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_noexcept", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_map_at", "uncaught_exception", S.SIGABRT),
    ("crash_corpus_cxx", "throw_thread", "uncaught_exception", S.SIGABRT),
    ("crash_corpus", "div_int", "division_by_zero", S.SIGFPE),
    ("crash_corpus", "mod_int", "division_by_zero", S.SIGFPE),
    ("crash_corpus", "div_long", "division_by_zero", S.SIGFPE),
    ("crash_corpus", "div_overflow", "division_by_zero", S.SIGFPE),
    ("crash_corpus", "div_thread", "division_by_zero", S.SIGFPE),
    ("crash_corpus", "trap", "illegal_instruction", S.SIGILL),
    ("crash_corpus", "ud2", "illegal_instruction", S.SIGILL),
    ("crash_corpus", "ud0", "illegal_instruction", S.SIGILL),
    ("crash_corpus", "trap_thread", "illegal_instruction", S.SIGILL),
    ("crash_corpus", "bus_write", "bus_error", S.SIGBUS),
    ("crash_corpus", "bus_read", "bus_error", S.SIGBUS),
    ("crash_corpus", "bus_align", "bus_error", S.SIGBUS),
    ("crash_corpus", "bus_thread", "bus_error", S.SIGBUS),
    ("crash_corpus", "abort", "abort", S.SIGABRT),
    ("crash_corpus", "abort_logged", "abort", S.SIGABRT),
    ("crash_corpus", "raise_abort", "abort", S.SIGABRT),
    ("crash_corpus", "abort_thread", "abort", S.SIGABRT),
    ("crash_corpus_cxx", "cxx_terminate", "abort", S.SIGABRT),
    ("crash_corpus_cxx", "cxx_abort", "abort", S.SIGABRT),
    ("crash_corpus", "exit3", "unknown", ("exit", 3)),
    ("crash_corpus", "exit1", "unknown", ("exit", 1)),
]
# (mode, label): hang_corpus modes, snapshotted while stuck.
HANGS = [
    ("deadlock_pair", "deadlock"),
    ("deadlock_ring", "deadlock"),
    ("deadlock_relock", "deadlock"),
    ("deadlock_main", "deadlock"),
    ("spin_flag", "busy_hang"),
    ("spin_hash", "busy_hang"),
    ("spin_trylock", "busy_hang"),
    ("spin_main", "busy_hang"),
]
# Application reports: no signal, no crash context. One per build (so every build, the held-out
# one included, has some), type and frames as applications send them.
REPORTS = [
    ("ValueError", "invalid literal for int() with base 10: 'abc'", ["parse_qty", "handle_order", "dispatch"], "shop.py"),
    ("TimeoutError", "upstream payments did not answer within 5000 ms", ["call_payments", "checkout", "serve"], "gateway"),
    ("HTTP 500", "GET /api/cart failed: internal server error", ["render_cart", "route", "serve_http"], "web"),
    ("KeyError", "'customer_id'", ["load_profile", "handle_login", "dispatch"], "auth.py"),
    ("io.EOF", "unexpected EOF while reading config", ["readConfig", "main.init", "main.main"], "agent"),
    ("SQLITE_BUSY", "database is locked", ["db_exec", "save_session", "worker_loop"], "sessiond"),
    ("PermissionError", "[Errno 13] Permission denied: '/var/lib/app/state'", ["open_state", "restore", "main"], "app.py"),
    ("ConnectionResetError", "connection reset by peer", ["recv_frame", "pump", "run"], "proxy"),
]

# Context keys the corpus keeps: what the classifier and its tests read. Registers, variables and
# timings are dropped to keep the committed file small; they carry no class information the
# features use.
KEEP_CONTEXT = ("signal", "signal_name", "code", "code_name", "fault", "threads", "abort_message", "exception",
                "tid", "thread_name", "status", "omitted_threads")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def compile_all(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for cc, opt in BUILDS:
        tag = f"{cc}-{opt}"
        common = [f"-{opt}", "-g", "-pthread", "-fno-omit-frame-pointer" if opt == "O0" else "-fomit-frame-pointer"]
        c_flags = common + ["-fstack-protector-strong", "-U_FORTIFY_SOURCE"]
        jobs = [
            ([cc] + c_flags + ["-o", os.path.join(out_dir, f"crash_corpus-{tag}"), os.path.join(SRC, "crash_corpus.c")]),
            ([cc] + common + ["-o", os.path.join(out_dir, f"hang_corpus-{tag}"), os.path.join(SRC, "hang_corpus.c")]),
            ([CXX[cc]] + common + ["-o", os.path.join(out_dir, f"crash_corpus_cxx-{tag}"),
                                   os.path.join(SRC, "crash_corpus_cxx.cpp")]),
        ]
        for cmd in jobs:
            subprocess.run(cmd, check=True)


class Coordinator:
    def __init__(self, build_dir):
        self.data = tempfile.mkdtemp(prefix="corpus-dbgcoord-")
        exe = os.path.join(build_dir, "bin", "dbgcoord")
        self.proc = subprocess.Popen([exe, "--listen", "127.0.0.1:0", "--data-dir", self.data],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not m:
            raise RuntimeError("dbgcoord did not start: " + line)
        self.base = f"http://127.0.0.1:{m.group(1)}"
        with open(os.path.join(self.data, "token")) as f:
            self.token = f.read().strip()

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        shutil.rmtree(self.data, ignore_errors=True)


def start(cmd):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if p.stdout.readline().strip() != "ready":
        p.kill()
        p.wait()
        raise RuntimeError("no ready line from " + " ".join(cmd))
    return p


def trim(context):
    return {k: v for k, v in context.items() if k in KEEP_CONTEXT}


def stored_event(coord, pid):
    """The event of this pid as the coordinator stored it (waits for its commit)."""
    for _ in range(500):
        _, recent = coord.call("GET", "/api/v1/errors/events?limit=50")
        for e in recent["events"]:
            if e["pid"] == pid:
                _, group = coord.call("GET", f"/api/v1/errors/{e['group_id']}?events=100")
                for full in group["events"]:
                    if full["id"] == e["id"]:
                        return full
        time.sleep(0.02)
    raise RuntimeError(f"no stored event for pid {pid}")


def crash_row(coord, exe, mode, expected):
    p = start([exe, mode])
    status, body = coord.call("POST", "/api/v1/watches", {"pid": p.pid})
    if status != 201:
        p.kill()
        p.wait()
        raise RuntimeError(f"watch refused: {status} {body}")
    p.stdin.write("go\n")
    p.stdin.flush()
    rc = p.wait(60)
    if isinstance(expected, tuple):
        ok = rc == expected[1]
    else:
        ok = rc == -expected
    if not ok:
        return None, rc
    e = stored_event(coord, p.pid)
    return {k: e[k] for k in ("source", "kind", "type", "message", "frames")} | {"context": trim(e["context"])}, rc


def snapshot_threads(coord, pid):
    status, session = coord.call("POST", "/api/v1/sessions", {"kind": "snapshot", "targets": {"pids": [pid]}})
    if status != 202:
        raise RuntimeError(f"session refused: {status} {session}")
    for _ in range(1000):
        _, s = coord.call("GET", "/api/v1/sessions/" + session["id"])
        if s["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.02)
    target = s["batches"][0]["targets"][0]
    if not target.get("snapshot_id"):
        raise RuntimeError(f"snapshot failed: {s}")
    _, snap = coord.call("GET", f"/api/v1/snapshots/{target['snapshot_id']}")
    return snap["threads"]


def fn_names(thread):
    return [f.get("function") or "" for f in thread.get("frames", [])]


def waiting_on_mutex(thread):
    names = fn_names(thread)
    return any("pthread_mutex_lock" in n or "lll_lock_wait" in n for n in names)


def detector_event(mode, label, threads):
    """The event the deadlock/hang detector reports for these stacks (see the module doc)."""
    slim = [{k: t[k] for k in ("tid", "name", "state", "frames") if k in t} for t in threads]
    if label == "deadlock":
        waiting = [t for t in slim if waiting_on_mutex(t)]
        if not waiting:
            return None
        # Mutex addresses are not in a snapshot's JSON: the detector reads them from rdi; the
        # corpus uses placeholders of the same shape.
        mutexes = ", ".join(f"0x55d0c0de{4040 + 40 * i:04x}" for i in range(len(waiting)))
        n = len(waiting)
        message = (f"deadlock: {n} threads wait on each other (mutexes {mutexes})" if n > 1
                   else f"deadlock: thread {waiting[0]['tid']} waits on a mutex it holds (mutex {mutexes})")
        first = waiting[0]
        return {"source": "detector", "kind": "deadlock", "type": "DEADLOCK", "message": message,
                "frames": first["frames"], "context": {"threads": slim}}
    running = [t for t in slim if t.get("state") == "R"] or [t for t in slim if t.get("frames")]
    first = running[0]
    top = next((f.get("function") for f in first["frames"] if f.get("function")), "?")
    message = f"busy hang: thread {first['tid']} ({first.get('name', '')}) spins in {top} at 100% CPU for 5 s"
    return {"source": "detector", "kind": "hang", "type": "BUSY_HANG", "message": message,
            "frames": first["frames"], "context": {"threads": slim}}


def report_event(i):
    type_, message, functions, module = REPORTS[i % len(REPORTS)]
    frames = [{"function": f, "module": module, "offset": hex(0x1000 + 0x40 * j), "pc": "0x0", "file": None,
               "line": None, "inlined": False} for j, f in enumerate(functions)]
    return {"source": "api", "kind": "reported", "type": type_, "message": message, "frames": frames,
            "context": {}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "corpus", "crashes.jsonl"))
    ap.add_argument("--runs", type=int, default=1, help="runs per variant")
    ap.add_argument("--only", default="", help="comma-separated modes (for trying one out)")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    bin_dir = os.path.join(args.build_dir, "corpus")
    compile_all(bin_dir)
    coord = Coordinator(args.build_dir)
    rows, skipped = [], []
    try:
        for cc, opt in BUILDS:
            build = f"{cc}-{opt}"
            for program, mode, label, expected in CRASHES:
                if only and mode not in only:
                    continue
                exe = os.path.join(bin_dir, f"{program}-{build}")
                for run in range(args.runs):
                    event, rc = crash_row(coord, exe, mode, expected)
                    if event is None:
                        skipped.append(f"{build}/{mode}: rc {rc}, expected {expected}")
                        break
                    rows.append({"label": label, "build": build, "program": program, "mode": mode,
                                 "variant": f"{build}/{program}/{mode}", "origin": "watch", "event": event})
                log(f"{build} {mode}: {label}")
            for mode, label in HANGS:
                if only and mode not in only:
                    continue
                exe = os.path.join(bin_dir, f"hang_corpus-{build}")
                for run in range(args.runs):
                    p = start([exe, mode])
                    time.sleep(0.3)
                    try:
                        event = detector_event(mode, label, snapshot_threads(coord, p.pid))
                    finally:
                        p.kill()
                        p.wait()
                    if event is None:
                        skipped.append(f"{build}/{mode}: no thread waiting on a mutex")
                        break
                    rows.append({"label": label, "build": build, "program": "hang_corpus", "mode": mode,
                                 "variant": f"{build}/hang_corpus/{mode}", "origin": "snapshot", "event": event})
                log(f"{build} {mode}: {label}")
            if not only:
                for k in range(2):
                    i = BUILDS.index((cc, opt)) * 2 + k
                    rows.append({"label": "unknown", "build": build, "program": "report", "mode": f"report{i}",
                                 "variant": f"{build}/report/report{i}", "origin": "synthetic",
                                 "event": report_event(i)})
    finally:
        coord.close()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    log(f"{len(rows)} rows -> {args.out}")
    for s in skipped:
        log("skipped " + s)


if __name__ == "__main__":
    main()
