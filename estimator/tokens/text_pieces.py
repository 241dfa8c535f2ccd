"""Plain text: a document read in pieces cut only where no tokenizer merges across the cut.

``TextReading`` is a mixin of ShardReader; ``safe_cut``, ``fallback_cut`` and ``align`` find the cut
points (also where a byte-range shard of a line-oriented file starts: the next line start).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

BLOCK = 1024 * 1024
TEXT_SPLIT_BYTES = 8 * 1024 * 1024  # text with no line break this long is cut inside a line
_SAFE_AFTER_NEWLINE = frozenset(range(0x21, 0x7F))  # a printable ASCII byte that starts a line


class TextReading:
    def _text(self, f: BinaryIO, length: int | None, start: int) -> Iterator[tuple[int, str]]:
        """Chunks of a document, cut only where no tokenizer merges across the cut."""
        carry, remaining, line = b"", length, 1
        first = start == 0
        while True:
            want = BLOCK if remaining is None else min(BLOCK, remaining)
            block = f.read(want) if want else b""
            if remaining is not None:
                remaining -= len(block)
            carry += block
            if first and carry.startswith(b"\xef\xbb\xbf"):
                carry = carry[3:]
            first = False
            if not block:
                cut = len(carry)
            else:
                cut = safe_cut(carry)
                if cut == 0 and len(carry) < TEXT_SPLIT_BYTES:
                    continue
                if cut == 0:
                    cut = fallback_cut(carry)
                    self.report("approximate_split", line, "no line break for a long stretch; split inside a line (count may differ by a token)")
            piece, carry = carry[:cut], carry[cut:]
            if piece:
                try:
                    yield line, piece.decode("utf-8")
                except UnicodeDecodeError as exc:
                    at = line + piece.count(b"\n", 0, exc.start)
                    self.report("encoding", at, f"not valid UTF-8 (byte 0x{piece[exc.start]:02x}); rest of file skipped")
                    return
                line += piece.count(b"\n")
            if not block:
                break
        self.lines = line - 1


def safe_cut(data: bytes) -> int:
    """Largest i with data[i-1] == '\\n' and data[i] printable ASCII (0 if none).

    For cl100k, o200k, p50k and r50k no pre-tokenizer piece spans such a point, so
    counting the two sides separately gives the same total as counting them together.
    """
    i = data.rfind(b"\n", 0, len(data) - 1)
    while i >= 0:
        if data[i + 1] in _SAFE_AFTER_NEWLINE:
            return i + 1
        i = data.rfind(b"\n", 0, i)
    return 0


def fallback_cut(data: bytes) -> int:
    """A cut before ' x' (space then ASCII letter, after a non-space), else at a UTF-8 character start."""
    i = len(data) - 2
    while i > 0:
        i = data.rfind(b" ", 0, i + 1)
        if i <= 0:
            break
        if chr(data[i + 1]).isalpha() and data[i + 1] < 0x80 and data[i - 1] not in b" \t\r\n":
            return i
        i -= 1
    j = len(data) - 1
    while j > 0 and (data[j] & 0xC0) == 0x80:
        j -= 1
    return j or len(data)


def align(f: BinaryIO, pos: int, text: bool) -> int:
    """First cut point at or after ``pos``: a line start, or for text a safe_cut point."""
    if pos == 0:
        return 0
    base = pos - 1
    f.seek(base)
    data = f.read(BLOCK)
    i = 0
    while True:
        i = data.find(b"\n", i)
        if i < 0 or i + 1 == len(data):  # none, or a final newline whose next byte is unread
            more = f.read(BLOCK)
            if not more:
                return base + len(data)
            base += len(data) - 1
            data = data[-1:] + more
            i = 0
            continue
        if not text or data[i + 1] in _SAFE_AFTER_NEWLINE:
            return base + i + 1
        i += 1
