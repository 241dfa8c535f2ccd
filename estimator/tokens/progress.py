"""A progress bar on stderr (bytes, examples, ETA), only when stderr is a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    """Context manager; ``advance(bytes, examples)`` after each shard. Silent unless enabled and a TTY."""

    def __init__(self, total_bytes: int, enabled: bool, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = bool(enabled) and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total, self.done, self.examples = total_bytes, 0, 0
        self._bar = None
        self._t0 = time.monotonic()

    def __enter__(self) -> Progress:
        if self.enabled:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=self.total, unit="B", unit_scale=True, unit_divisor=1024,
                                 file=self.stream, desc="counting", leave=False)
            except ImportError:
                self._bar = None
        return self

    def advance(self, nbytes: int, examples: int) -> None:
        self.done += nbytes
        self.examples += examples
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(nbytes)
            self._bar.set_postfix(examples=f"{self.examples:,}", refresh=False)
            return
        elapsed = time.monotonic() - self._t0
        rate = self.done / elapsed if elapsed > 0 else 0
        eta = (self.total - self.done) / rate if rate else 0
        pct = 100 * self.done / self.total if self.total else 100
        self.stream.write(f"\rcounting {pct:5.1f}%  {self.done / 2**20:,.0f}/{self.total / 2**20:,.0f} MiB"
                          f"  {self.examples:,} examples  ETA {eta:,.0f}s ")
        self.stream.flush()

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()
