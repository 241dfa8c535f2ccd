"""Streaming readers: one shard in, ``(line, item)`` pairs out, memory bounded by MAX_LINE_BYTES.

Items are parsed JSON values (jsonl, json), strings (lines, csv, tsv, text chunks) or
column values (parquet). Problems become findings through ``report(kind, line, message)``;
only a user error that no line can fix (a missing column, a missing optional package)
raises DatasetError.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from estimator.errors import DatasetError
from estimator.tokens import remote
from estimator.tokens.files import Shard
from estimator.tokens.streams import Stream, looks_binary, stream_errors

MAX_LINE_BYTES = 64 * 1024 * 1024  # longer lines (or JSON values, CSV fields) are skipped with a finding
BLOCK = 1024 * 1024
HEAD = 8192
TEXT_SPLIT_BYTES = 8 * 1024 * 1024  # text with no line break this long is cut inside a line
_SAFE_AFTER_NEWLINE = frozenset(range(0x21, 0x7F))  # a printable ASCII byte that starts a line

Report = Callable[[str, "int | None", str], None]


class ShardReader:
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

    # -- line formats ---------------------------------------------------------------------
    def _raw_lines(self, f: BinaryIO, length: int | None) -> Iterator[tuple[int, bytes]]:
        consumed, lineno = 0, 0
        readline = f.readline
        while length is None or consumed < length:
            line = readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            consumed += len(line)
            lineno += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                skipped = len(line)
                while not line.endswith(b"\n"):
                    line = readline(BLOCK)
                    if not line:
                        break
                    consumed += len(line)
                    skipped += len(line)
                self.report("line_too_long", lineno, f"line of {skipped:,} bytes exceeds the {MAX_LINE_BYTES:,}-byte limit; skipped")
                continue
            yield lineno, line
        self.lines = lineno

    def _jsonl_or_lines(self, f: BinaryIO, length: int | None) -> Iterator[tuple[int, Any]]:
        as_json = self.container == "jsonl"
        loads = json.loads
        for lineno, line in self._raw_lines(f, length):
            if not line.strip():
                continue
            if b"\x00" in line:
                self.report("binary", lineno, "line holds NUL bytes (binary data), not text; skipped")
                continue
            try:
                yield lineno, (loads(line) if as_json else line.decode("utf-8").rstrip("\r\n"))
            except UnicodeDecodeError as exc:
                self.report("encoding", lineno, f"not valid UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1})")
            except json.JSONDecodeError as exc:
                self.report("invalid_json", lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")

    def _json_values(self, f: BinaryIO) -> Iterator[tuple[int, Any]]:
        """Values of a JSON array (or of concatenated JSON values), streamed."""
        decoder = json.JSONDecoder()
        text = io.TextIOWrapper(f, encoding="utf-8-sig")
        buf, pos, line, eof, want = "", 0, 1, False, BLOCK
        while True:
            n = len(buf)
            while pos < n and buf[pos] in " \t\r\n,[]":
                if buf[pos] == "\n":
                    line += 1
                pos += 1
            if pos == n and eof:
                break
            try:
                if pos == n:
                    raise json.JSONDecodeError("need data", buf, pos)
                value, end = decoder.raw_decode(buf, pos)
                if end == n and not eof and isinstance(value, (int, float)):
                    raise json.JSONDecodeError("number may continue", buf, pos)
            except json.JSONDecodeError as exc:
                if not eof and n - pos <= MAX_LINE_BYTES:
                    buf, pos = buf[pos:], 0
                    try:
                        chunk = text.read(want)
                    except UnicodeDecodeError as uexc:
                        self.report("encoding", line, f"not valid UTF-8 ({uexc.reason})")
                        return
                    eof = not chunk
                    buf += chunk
                    want = min(2 * want, MAX_LINE_BYTES)
                    continue
                if n - pos > MAX_LINE_BYTES:
                    self.report("line_too_long", line, f"JSON value longer than {MAX_LINE_BYTES:,} characters; rest of file skipped")
                else:
                    where = line + buf.count("\n", pos, exc.pos)
                    self.report("invalid_json", where, f"invalid JSON: {exc.msg}; rest of file skipped")
                return
            yield line, value
            line += buf.count("\n", pos, end)
            pos = end
            want = BLOCK
        self.lines = line

    def _csv(self, f: BinaryIO) -> Iterator[tuple[int, Any]]:
        import sys

        csv.field_size_limit(min(MAX_LINE_BYTES, sys.maxsize))
        text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter="\t" if self.container == "tsv" else ",")
        try:
            header = next(reader)
            index = self._column_index(header)
            for row in reader:
                if not row:
                    continue
                if index >= len(row):
                    self.report("invalid_row", reader.line_num, f"row has {len(row)} fields, no '{header[index]}'")
                    continue
                value = row[index]
                if header[index] == "messages":  # a chat column holds JSON text: count it as messages
                    try:
                        value = json.loads(value)
                    except ValueError as exc:
                        self.report("invalid_json", reader.line_num, f"'messages' is not valid JSON ({exc})")
                        continue
                yield reader.line_num, value
        except UnicodeDecodeError as exc:
            self.report("encoding", reader.line_num + 1, f"not valid UTF-8 ({exc.reason}); rest of file skipped")
        except csv.Error as exc:
            self.report("invalid_row", reader.line_num, f"{exc}; rest of file skipped")
        except StopIteration:
            self.report("empty_file", None, "no header row")
        self.lines = reader.line_num

    def _column_index(self, names: list[str]) -> int:
        wanted = self.column or ("text" if "text" in names else "messages" if "messages" in names else None)
        if wanted is None or wanted not in names:
            what = f"no column '{self.column}'" if self.column else "no 'text' column; choose one with --column"
            raise DatasetError(f"{self.shard.path}: {what} (columns: {', '.join(names)})")
        return names.index(wanted)

    def _parquet(self) -> Iterator[tuple[int, Any]]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DatasetError(f"{self.shard.path}: reading Parquet needs the 'pyarrow' package") from None
        with remote.open_raw(self.shard.path) as raw:
            try:
                pf = pq.ParquetFile(raw)
            except Exception as exc:  # pyarrow raises ArrowInvalid / OSError with long text
                self.report("binary", None, f"not a readable Parquet file ({str(exc).splitlines()[0]})")
                return
            names = pf.schema_arrow.names
            name = names[self._column_index(names)]
            end = self.shard.end if self.shard.end is not None else pf.metadata.num_row_groups
            groups = list(range(self.shard.start, end))
            if not groups:
                return
            self._raw = raw
            row = 0
            for batch in pf.iter_batches(batch_size=4096, columns=[name], row_groups=groups):
                for value in batch.column(0).to_pylist():
                    row += 1
                    yield row, value
            self.lines = row

    # -- plain text -------------------------------------------------------------------------
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
