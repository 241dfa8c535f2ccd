"""A file's record format, decided once per file from its first records, so a stray line cannot change shape.

Shapes: ``chat`` ({"messages": [...]} or a bare list of messages), ``preference``,
``prompt_completion``, ``instruction`` (Alpaca) and ``text`` ({"text": "..."}). A file's format
is the most common shape among its first FIRST_RECORDS records that have one (earliest wins a
tie), looking at no more than HEAD_ITEMS items from the start of the file. Every shard of a file
computes the same answer from the same head, so the decision does not depend on sharding.
"""

from __future__ import annotations

import os
from collections import Counter
from functools import lru_cache
from typing import Any

from estimator.tokens import remote
from estimator.tokens.files import Shard

FIRST_RECORDS = 5
HEAD_ITEMS = 200
SHAPES = ("chat", "preference", "prompt_completion", "instruction", "text")
DESCRIBE = {"chat": "a 'messages' list", "preference": "a preference pair", "prompt_completion": "prompt/completion",
            "instruction": "instruction/output", "text": "a 'text' string"}


def shape(item: Any) -> str | None:
    """The record shape of one parsed item, or None if it has none of the known shapes."""
    if isinstance(item, list):
        return "chat" if item and all(isinstance(m, dict) for m in item) else None
    if not isinstance(item, dict):
        return None
    if "messages" in item:
        return "chat"
    if "preferred_output" in item or "non_preferred_output" in item:
        return "preference"
    if "prompt" in item and "completion" in item:
        return "prompt_completion"
    if "instruction" in item and "output" in item:
        return "instruction"
    if isinstance(item.get("text"), str):
        return "text"
    return None


def file_format(shard: Shard, column: str | None) -> tuple[str, int] | None:
    """(shape, line of the first record with it) for the file ``shard`` belongs to, or None (no locking)."""
    if shard.container in ("text", "lines"):
        return None
    stamp = None
    if remote.protocol(shard.path) is None:
        st = os.stat(remote.local_path(shard.path))
        stamp = (st.st_size, st.st_mtime_ns)
    return _file_format(shard.path, shard.container, shard.compression, column, stamp)


@lru_cache(maxsize=256)
def _file_format(path: str, container: str, compression: str | None, column: str | None,
                 stamp: tuple | None) -> tuple[str, int] | None:
    from estimator.tokens.readers import ShardReader

    head = Shard(path, container, compression)
    reader = ShardReader(head, lambda kind, line, message: None, column)
    reader.block_size = remote.PROBE_BLOCK_SIZE
    seen: Counter = Counter()
    first_line: dict[str, int] = {}
    for n, (line, item) in enumerate(reader, 1):
        if isinstance(item, str) and reader.container not in ("jsonl", "json"):
            return None  # text lines, CSV text, text documents: nothing to lock
        s = shape(item)
        if s is not None:
            seen[s] += 1
            first_line.setdefault(s, line)
            if sum(seen.values()) >= FIRST_RECORDS:
                break
        if n >= HEAD_ITEMS:
            break
    if not seen:
        return None
    best = max(seen.values())
    winner = min((s for s in seen if seen[s] == best), key=lambda s: first_line[s])
    return winner, first_line[winner]


def mismatch(expected: tuple[str, int], found: str | None, keys: list[str]) -> tuple[str, str]:
    """(finding kind, message) for a record whose shape is not the file's."""
    want, line = expected
    what = DESCRIBE[found] if found else f"none of the known shapes (keys: {', '.join(keys[:6]) or 'none'})"
    if want == "chat":
        return "missing_messages_list", (f"no 'messages' list: record has {what}, but the file is chat format "
                                         f"(decided from its first records, line {line}); skipped")
    return "format_mismatch", (f"record has {what}, but the file's records have {DESCRIBE[want]} "
                               f"(decided from its first records, line {line}); skipped")
