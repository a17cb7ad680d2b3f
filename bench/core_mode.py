"""The crash handler installed for a benchmark: core_pattern pointing at `dbg-worker core` with a
crash dir of the benchmark's own, selecting every process (docs/crash-capture.md). A context
manager: core_pattern is written back on exit, on an exception and on SIGTERM/SIGINT."""
import json
import os
import signal
import tempfile

CORE_PATTERN = "/proc/sys/kernel/core_pattern"
SPECIFIERS = "%P %i %I %s %c %d %t %u %g %p %h %e %E"


def read_core_pattern():
    with open(CORE_PATTERN) as f:
        return f.read().rstrip("\n")


def write_core_pattern(value):
    with open(CORE_PATTERN, "w") as f:
        f.write(value + "\n")


class InstalledHandler:
    def __init__(self, worker):
        self.worker = os.path.abspath(worker)
        self.dir = None
        self.previous = None
        self._old_term = None

    def __enter__(self):
        self.previous = read_core_pattern()
        if self.previous.startswith("|") and " core " in self.previous:
            raise SystemExit(f"core_pattern is already a dbgcoord handler ({self.previous}); not benchmarking over it")
        self.dir = tempfile.mkdtemp(prefix="dbgc-bench-crash-")
        handler = {"v": 1, "owner_pid": os.getpid(), "instance": "bench", "previous": {"core_pattern": self.previous},
                   "watches": [{"id": "bench", "all": True, "match": None, "options": {}}], "limits": {}}
        with open(os.path.join(self.dir, "handler.json"), "w") as f:
            json.dump(handler, f)
        with open(os.path.join(self.dir, "previous_core_pattern"), "w") as f:
            f.write(self.previous + "\n")
        self._old_term = signal.signal(signal.SIGTERM, self._on_term)
        write_core_pattern(f"|{self.worker} core {self.dir} {SPECIFIERS}")
        return self

    def _on_term(self, signum, frame):
        raise KeyboardInterrupt()

    def __exit__(self, *exc):
        write_core_pattern(self.previous)
        signal.signal(signal.SIGTERM, self._old_term or signal.SIG_DFL)
        return False
