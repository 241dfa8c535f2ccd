"""JSON Lines, plain lines and JSON arrays: the line-oriented readers of a shard, memory bounded by MAX_LINE_BYTES.

A mixin of ShardReader (``self.container``, ``self.report``, ``self.lines``); problems become findings.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

MAX_LINE_BYTES = 64 * 1024 * 1024  # longer lines (or JSON values, CSV fields) are skipped with a finding
BLOCK = 1024 * 1024


class LineReading:
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
