"""Streaming readers: one shard in, ``(line, item)`` pairs out, memory bounded by MAX_LINE_BYTES.

ShardReader opens the shard, checks its head and aligns its byte range; the formats are read by its
mixins: json_lines (JSONL, lines, JSON arrays), tables (CSV, TSV, Parquet), text_pieces (plain text).

Items are parsed JSON values (jsonl, json), strings (lines, csv, tsv, text chunks) or
column values (parquet). Problems become findings through ``report(kind, line, message)``;
only a user error that no line can fix (a missing column, a missing optional package)
raises DatasetError.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from estimator.errors import DatasetError
from estimator.tokens import remote
from estimator.tokens.files import Shard
from estimator.tokens.json_lines import MAX_LINE_BYTES, LineReading
from estimator.tokens.streams import Stream, looks_binary, stream_errors
from estimator.tokens.tables import TableReading
from estimator.tokens.text_pieces import TEXT_SPLIT_BYTES, TextReading, align, fallback_cut, safe_cut

__all__ = ["MAX_LINE_BYTES", "TEXT_SPLIT_BYTES", "Report", "ShardReader", "align", "fallback_cut", "safe_cut"]
HEAD = 8192

Report = Callable[[str, "int | None", str], None]


class ShardReader(LineReading, TableReading, TextReading):
    """Iterate one shard. After iteration, ``lines`` holds the number of lines it covered."""

    def __init__(self, shard: Shard, report: Report, column: str | None = None):
        self.shard, self.report, self.column = shard, report, column
        self.lines = 0
        self.container = shard.container
        self.document_mode = False  # text: every item of the shard is a chunk of one example
        self._raw: BinaryIO | None = None
        self._origin = 0
        self.block_size = remote.BLOCK_SIZE  # remote read-ahead; smaller when only the head is wanted

    def consumed(self) -> int:
        """Bytes of the file (compressed, as stored) read so far by this shard, for progress."""
        try:
            return max(0, self._raw.tell() - self._origin) if self._raw is not None else 0
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        """Items of the shard; a damaged compressed stream is one DatasetError naming the file and the reason."""
        if self.shard.compression is None:
            yield from self._items()
            return
        try:
            yield from self._items()
        except stream_errors() as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatasetError(f"{self.shard.path}: truncated or corrupt {self.shard.compression} data ({reason})") from None

    def _items(self) -> Iterator[tuple[int, Any]]:
        if self.container == "parquet":
            yield from self._parquet()
            return
        head = self._head()
        if head is None:
            return
        if self.container == "auto":
            first = head.lstrip()[:1]
            self.container = "jsonl" if first == b"{" else "json" if first == b"[" else "text"
        self.document_mode = self.container == "text"
        opened = Stream(self.shard, self.block_size)
        with opened as f:
            start, length = self._range(f)
            self._raw = opened.raw
            self._origin = opened.raw.tell() if self.shard.compression is None else 0
            if self.container in ("jsonl", "lines"):
                yield from self._jsonl_or_lines(f, length)
            elif self.container == "text":
                yield from self._text(f, length, start)
            elif self.container == "json":
                yield from self._json_values(f)
            elif self.container in ("csv", "tsv"):
                yield from self._csv(f)
            else:
                raise DatasetError(f"{self.shard.path}: unknown format '{self.container}'")

    # -- file checks and byte ranges ----------------------------------------------------
    def _head(self) -> bytes | None:
        try:
            with Stream(self.shard, remote.PROBE_BLOCK_SIZE) as f:
                head = f.read(HEAD)
        except DatasetError:
            raise
        except (OSError, EOFError, ValueError) as exc:
            if self.shard.compression:
                raise
            self.report("unreadable", None, f"cannot read: {exc}")
            return None
        if not head.strip():
            if self.shard.start == 0:
                self.report("empty_file", None, "empty file (no data)")
            return None
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            self.report("encoding", 1, "file is UTF-16; convert it to UTF-8")
            return None
        if looks_binary(head):
            self.report("binary", None, "binary file (NUL bytes), not text; skipped")
            return None
        return head

    def _range(self, f: BinaryIO) -> tuple[int, int | None]:
        """Aligned [start, start+length) of the shard; length None means to the end."""
        s = self.shard
        if s.whole_file:
            return 0, None
        text = self.container == "text"
        start = align(f, s.start, text)
        end = align(f, s.end, text) if s.end is not None else f.seek(0, io.SEEK_END)
        f.seek(start)
        return start, max(0, end - start)
