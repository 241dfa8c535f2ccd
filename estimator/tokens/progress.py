"""A progress line on stderr (bytes, tokens/s, time left), only when stderr is a terminal.

Counts arrive from wherever the work runs: ``tick`` from this process (any thread, e.g. a
Dask event handler), or ``poll`` sources read on each redraw (counters shared with worker
processes). A background thread redraws every ``interval`` seconds, so the line moves
while a long shard is still being counted.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class Progress:
    """Context manager. Silent unless ``enabled`` and the stream is a terminal."""

    def __init__(self, total_bytes: int, enabled: bool, stream=None, interval: float = 0.5, label: str = "counting"):
        self.stream = stream or sys.stderr
        self.enabled = bool(enabled) and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total, self.interval, self.label = total_bytes, interval, label
        self.done_bytes = self.done_tokens = 0
        self._lock = threading.Lock()
        self._polls: list[Callable[[], tuple[int, int]]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    def tick(self, nbytes: int, tokens: int) -> None:
        """Add bytes read and tokens counted (thread-safe)."""
        with self._lock:
            self.done_bytes += nbytes
            self.done_tokens += tokens

    def poll(self, source: Callable[[], tuple[int, int]]) -> None:
        """Also add ``source()`` = (bytes, tokens) so far, read at each redraw."""
        self._polls.append(source)

    def totals(self) -> tuple[int, int]:
        nbytes, tokens = self.done_bytes, self.done_tokens
        for source in self._polls:
            b, t = source()
            nbytes, tokens = nbytes + b, tokens + t
        return nbytes, tokens

    def line(self) -> str:
        nbytes, tokens = self.totals()
        nbytes = min(nbytes, self.total)
        elapsed = max(time.monotonic() - self._t0, 1e-9)
        rate = nbytes / elapsed
        pct = 100 * nbytes / self.total if self.total else 100.0
        left = _duration((self.total - nbytes) / rate) if rate > 0 and nbytes else "?"
        return (f"{self.label} {pct:5.1f}%  {nbytes / 2**20:,.1f}/{self.total / 2**20:,.1f} MiB  "
                f"{rate / 2**20:,.1f} MiB/s  {tokens / elapsed / 1e6:,.2f} M tokens/s  {left} left")

    def draw(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line() + "\033[K")
            self.stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.draw()

    def __enter__(self) -> Progress:
        self._t0 = time.monotonic()
        if self.enabled:
            self.draw()
            self._thread = threading.Thread(target=self._run, name="estimator-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()
