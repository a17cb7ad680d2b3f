#!/usr/bin/env python3
"""The write side and the event stream of bench/run_load_bench.sh, for DURATION seconds:

  - SESSION_CLIENTS threads, each: POST /api/v1/sessions (a snapshot of the given pids), then
    the next at once (sessions are not awaited: the backlog bound and its 503 are part of the
    test);
  - INGEST_CLIENTS threads, each: POST /api/v1/errors/events with a batch of BATCH events;
  - WS_CLIENTS WebSocket clients on /api/v1/events (all topics): all but SLOW read everything
    (one selector thread drains them); SLOW connect with a small receive buffer and never read,
    so the server must drop them (dbgcoord_websocket_dropped_clients_total) instead of queueing
    for them without bound;
  - dbgcoord's VmRSS every second (before, during, after: the caller samples before/after).

Writes OUT/mix.json: per route count, status histogram, latency percentiles; WebSocket clients
connected, closed by the server (slow and not), messages and bytes read; the RSS series.
"""
import argparse
import json
import os
import selectors
import socket
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_ws import WebSocket  # noqa: E402
from bench_common import pct  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


class Route:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.latencies_ms = []
        self.statuses = {}

    def record(self, status, ms):
        with self.lock:
            self.latencies_ms.append(ms)
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1

    def summary(self, seconds):
        ok = sum(n for s, n in self.statuses.items() if s.startswith("2"))
        return {"requests": len(self.latencies_ms), "per_s": round(len(self.latencies_ms) / seconds, 1),
                "ok": ok, "statuses": self.statuses,
                "p50_ms": pct(self.latencies_ms, 50), "p99_ms": pct(self.latencies_ms, 99),
                "max_ms": max(self.latencies_ms) if self.latencies_ms else None}


def post(base, token, path, body):
    req = urllib.request.Request(base + path, data=body, method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    except OSError:
        status = "conn_error"
    return status, (time.monotonic() - t0) * 1000


def session_client(base, token, pids, stop, route):
    body = json.dumps({"kind": "snapshot", "targets": {"pids": pids}, "options": {"source": "none"}}).encode()
    while not stop.is_set():
        status, ms = post(base, token, "/api/v1/sessions", body)
        route.record(status, ms)
        if status == 503:
            time.sleep(0.05)  # honour Retry-After in spirit, without idling the whole second


def ingest_client(base, token, n, batch, stop, route):
    seq = 0
    while not stop.is_set():
        events = [{"type": "LoadError", "message": f"load client {n} event {seq + i}",
                   "frames": [{"function": f"handler_{(seq + i) % 7}", "module": "svc", "offset": "0x10"},
                              {"function": "main", "module": "svc", "offset": "0x20"}]} for i in range(batch)]
        seq += batch
        status, ms = post(base, token, "/api/v1/errors/events", json.dumps({"events": events}).encode())
        route.record(status, ms)


class SlowClient:
    """Upgrades to a WebSocket and then never reads. Its receive buffer is made small BEFORE
    connecting (the TCP window is fixed at the handshake), so the server's sends back up after a
    few KiB and its per-client queue limit must do the rest."""

    def __init__(self, port, token):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall((f"GET /api/v1/events?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)  # byte by byte: not one byte of the stream beyond the head
            if not chunk:
                raise OSError("closed during the upgrade")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError("upgrade refused: " + head.split(b"\r\n", 1)[0].decode("latin-1"))


def open_ws(port, token, slow):
    if slow:
        return SlowClient(port, token)
    return WebSocket("127.0.0.1", port, f"/api/v1/events?token={token}")


def drain(readers, stop, stats):
    """Reads raw bytes from every fast client until stop; counts bytes and closes by the server."""
    sel = selectors.DefaultSelector()
    for ws in readers:
        ws.sock.setblocking(False)
        sel.register(ws.sock, selectors.EVENT_READ, ws)
    while not stop.is_set() and sel.get_map():
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                stats["fast_closed_by_server"] += 1
                sel.unregister(key.fileobj)
                continue
            stats["bytes_read"] += len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, required=True, help="dbgcoord's pid (RSS)")
    ap.add_argument("--targets", required=True, help="comma-separated pids to snapshot")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--session-clients", type=int, default=2)
    ap.add_argument("--ingest-clients", type=int, default=4)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--ws-clients", type=int, default=500)
    ap.add_argument("--slow", type=int, default=50)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    base = f"http://127.0.0.1:{a.port}"
    pids = [int(p) for p in a.targets.split(",") if p]

    rss = [{"t": 0.0, "phase": "before", "kib": rss_kib(a.pid)}]
    t_start = time.monotonic()
    clients, connect_errors = [], 0
    for i in range(a.ws_clients):
        try:
            clients.append((open_ws(a.port, a.token, i < a.slow), i < a.slow))
        except Exception as e:  # noqa: BLE001 - counted, the run goes on
            connect_errors += 1
            if connect_errors == 1:
                print(f"load_mix: WebSocket connect failed: {e}", file=sys.stderr)
    rss.append({"t": round(time.monotonic() - t_start, 1), "phase": "ws_connected", "kib": rss_kib(a.pid)})

    stop = threading.Event()
    ws_stats = {"bytes_read": 0, "fast_closed_by_server": 0}
    fast = [ws for ws, slow in clients if not slow]
    slow = [ws for ws, s in clients if s]
    sessions, ingest = Route("POST /api/v1/sessions"), Route("POST /api/v1/errors/events")
    threads = [threading.Thread(target=drain, args=(fast, stop, ws_stats), daemon=True)]
    threads += [threading.Thread(target=session_client, args=(base, a.token, pids, stop, sessions), daemon=True)
                for _ in range(a.session_clients)]
    threads += [threading.Thread(target=ingest_client, args=(base, a.token, n, a.batch, stop, ingest), daemon=True)
                for n in range(a.ingest_clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() - t0 < a.duration:
        time.sleep(1)
        rss.append({"t": round(time.monotonic() - t_start, 1), "phase": "during", "kib": rss_kib(a.pid)})
    stop.set()
    for t in threads:
        t.join(timeout=40)
    elapsed = time.monotonic() - t0

    # Which slow clients did the server close? A closed socket reads EOF (or a reset) once the
    # bytes it had sent are consumed; drain what is buffered and look for the end.
    slow_closed = 0
    for ws in slow:
        ws.sock.settimeout(2)
        try:
            while True:
                data = ws.sock.recv(1 << 16)
                if not data:
                    slow_closed += 1
                    break
        except (socket.timeout, TimeoutError):
            pass
        except OSError:
            slow_closed += 1
    for ws, _ in clients:
        try:
            ws.sock.close()
        except OSError:
            pass
    out = {
        "duration_s": round(elapsed, 1),
        "routes": [sessions.summary(elapsed), ingest.summary(elapsed)],
        "route_names": [sessions.name, ingest.name],
        "ws": {"requested": a.ws_clients, "connected": len(clients), "connect_errors": connect_errors,
               "slow": len(slow), "slow_closed_by_server": slow_closed, "fast": len(fast),
               "fast_closed_by_server": ws_stats["fast_closed_by_server"], "bytes_read_by_fast": ws_stats["bytes_read"]},
        "rss": rss,
    }
    with open(os.path.join(a.out, "mix.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
