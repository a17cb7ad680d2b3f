#!/usr/bin/env python3
"""A tiny WebSocket client (RFC 6455), standard library only, for bench/api_bench.py.

Client side only: the HTTP/1.1 upgrade with a random Sec-WebSocket-Key (the server's
Sec-WebSocket-Accept is checked), reading server frames (unmasked, as RFC 6455 5.1 requires of a
server; a masked one is unmasked anyway) with 7-, 16- and 64-bit payload lengths, fragmented
messages put back together, pings answered with a masked pong carrying the same payload, and a
masked close frame on close().
"""
import base64
import hashlib
import os
import socket
import struct
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocketError(Exception):
    pass


class WebSocket:
    def __init__(self, host, port, path, headers=None, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WebSocketError("connection closed during the upgrade")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status, *hdr_lines = head.decode("latin-1").split("\r\n")
        if status.split(" ")[1:2] != ["101"]:
            raise WebSocketError(f"upgrade refused: {status}")
        hdrs = {}
        for line in hdr_lines:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if hdrs.get("sec-websocket-accept") != want:
            raise WebSocketError(f"bad Sec-WebSocket-Accept {hdrs.get('sec-websocket-accept')!r} (want {want!r})")

    # -- low level ------------------------------------------------------------------------------
    def _need(self, n, deadline):
        while len(self.buf) < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no WebSocket frame in time")
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WebSocketError("connection closed by the server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_frame(self, deadline):
        b0, b1 = self._need(2, deadline)
        fin, opcode = bool(b0 & 0x80), b0 & 0x0F
        masked, length = bool(b1 & 0x80), b1 & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._need(2, deadline))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._need(8, deadline))
        mask = self._need(4, deadline) if masked else None
        payload = self._need(length, deadline) if length else b""
        if mask:
            payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        return fin, opcode, payload

    def _send_frame(self, opcode, payload=b""):
        # Client frames are always masked (RFC 6455 5.3).
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        body = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        self.sock.sendall(head + mask + body)

    # -- messages -------------------------------------------------------------------------------
    def recv(self, timeout=None):
        """The next text (str) or binary (bytes) message; pings are answered on the way."""
        deadline = None if timeout is None else time.monotonic() + timeout
        parts, first_op = [], None
        while True:
            fin, opcode, payload = self._read_frame(deadline)
            if opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                self.closed = True
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise WebSocketError(f"server closed the WebSocket (code {code}, {payload[2:]!r})")
            if opcode in (OP_TEXT, OP_BINARY):
                first_op, parts = opcode, [payload]
            elif opcode == OP_CONT:
                parts.append(payload)
            else:
                raise WebSocketError(f"unexpected opcode {opcode}")
            if fin:
                data = b"".join(parts)
                return data.decode("utf-8") if first_op == OP_TEXT else data

    def close(self):
        if self.closed:
            self.sock.close()
            return
        try:
            self._send_frame(OP_CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.closed = True
        self.sock.close()
