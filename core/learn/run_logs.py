"""A run's trainer output in the run store, for trainers whose log file no app server can read (Ray nodes).

A local trainer writes its stdout and stderr to HANDLAB_HOME/runs/ID/train.log, which the Train page shows when
a run fails. A run slot on a Ray node captures its process's file descriptors 1 and 2 instead (Python's prints and
tracebacks, and what TensorFlow's C++ code writes) while it trains a run, and appends them to the store's run_logs
table every half second. The output still reaches Ray's worker log too.
"""

import os
import select
import sys
import threading
import time
import uuid

from core.learn.runs import RunStore

MAX_LINES = 5_000  # Kept per run; a trainer that writes more is cut off with a note (Ray's log has it all).
MAX_LINE_CHARS = 2_000


class LogCapture:
    """While the block runs, copy what this process writes to stdout and stderr into a run's log in the store."""

    def __init__(self, store: RunStore, run_id: int, flush_every_s: float = 0.5):
        self.store, self.run_id, self.flush_every_s = store, run_id, flush_every_s
        self.marker = f"handlab-log-flush-{uuid.uuid4().hex}".encode()
        self.written = self.dropped = 0
        self.pending: list[str] = []
        self.partial = b""
        self.flushed = threading.Event()
        self.stopping = threading.Event()

    def __enter__(self) -> "LogCapture":
        _flush_python_streams()
        self.saved = {fd: os.dup(fd) for fd in (1, 2)}
        self.read_end, write_end = os.pipe()
        for fd in (1, 2):
            os.dup2(write_end, fd)
        os.close(write_end)
        self.reader = threading.Thread(target=self._read, name=f"log-of-run-{self.run_id}", daemon=True)
        self.reader.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.flush()
        for fd, saved in self.saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        self.stopping.set()
        self.reader.join(timeout=10)
        os.close(self.read_end)
        if self.dropped:
            self.pending = [f"… {self.dropped} more lines: see Ray's worker log on the node that trained it."]
            self._store()

    def flush(self) -> None:
        """Write everything printed so far into the store (a run must not read finished before its log does)."""
        _flush_python_streams()
        self.flushed.clear()
        os.write(1, self.marker + b"\n")
        self.flushed.wait(timeout=10)

    def _read(self) -> None:
        """Forward the pipe's bytes to where they went before and collect their lines; store them every so often.

        It never stops reading while the block runs: a full pipe would block the trainer's next print.
        """
        last_store = time.monotonic()
        while True:
            ready, _, _ = select.select([self.read_end], [], [], self.flush_every_s)
            chunk = os.read(self.read_end, 65536) if ready else b""
            if ready and not chunk:
                break  # Every write end is closed.
            self._take(chunk)
            if time.monotonic() - last_store >= self.flush_every_s:
                self._store()
                last_store = time.monotonic()
            if self.stopping.is_set() and not ready:
                break
        if self.partial:  # A last line without its newline.
            self._take(b"\n")
        self._store()

    def _take(self, chunk: bytes) -> None:
        """Split a chunk into lines; a flush marker stores the lines before it and wakes `flush`."""
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        for line in lines:
            if self.marker not in line:
                self._keep(line)
                os.write(self.saved[1], line + b"\n")
                continue
            if line := line.replace(self.marker, b""):  # The end of a line printed without its newline yet.
                self._keep(line)
            self._store()
            self.flushed.set()

    def _keep(self, line: bytes) -> None:
        text = line.decode("utf-8", errors="replace").replace("\x00", "")[:MAX_LINE_CHARS]
        if self.written + len(self.pending) < MAX_LINES:
            self.pending.append(text)
        else:
            self.dropped += 1

    def _store(self) -> None:
        """Append the lines read since the last call to the run's log in the store."""
        lines, self.pending = self.pending, []
        if not lines:
            return
        try:
            self.store.add_log_lines(self.run_id, self.written, lines)
        except Exception as error:  # noqa: BLE001 - the store out of reach must not stop the trainer's output
            os.write(self.saved[1], f"handlab: {len(lines)} log lines not stored: {error}\n".encode())
        self.written += len(lines)


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
