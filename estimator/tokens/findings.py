"""Validation findings (file, line, kind, message), after the OpenAI cookbook's data checks.

Kinds the cookbook counts as format errors (examples/Chat_finetuning_data_prep.ipynb):
data_type, missing_messages_list, message_missing_key, message_unrecognized_key,
unrecognized_role, missing_content, example_missing_assistant_message. We add
reading problems (invalid_json, encoding, binary, line_too_long, empty_file, ...)
and warnings (missing_system_message, missing_user_message, over_example_cap, ...).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Kinds that make an example or a line unusable; --strict stops at the first one.
ERROR_KINDS = frozenset({
    "data_type", "missing_messages_list", "message_missing_key", "message_unrecognized_key",
    "unrecognized_role", "missing_content", "example_missing_assistant_message",
    "invalid_json", "encoding", "binary", "line_too_long", "unknown_format", "invalid_row", "format_mismatch",
})
# Errors whose example is still counted (every other error kind means the line is skipped): a conversation with
# no assistant message has no training target for the OpenAI API, but its tokens are still read and billed by
# trainers that accept it (e.g. user-only data for an open model), so it stays in the totals, flagged.
COUNTED_ERROR_KINDS = frozenset({"example_missing_assistant_message"})
SKIPPING_KINDS = ERROR_KINDS - COUNTED_ERROR_KINDS
KEEP_PER_KIND = 20  # findings kept with their line; every one is counted in ``counts``


@dataclass
class Finding:
    file: str
    line: int | None
    kind: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.kind in ERROR_KINDS

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "kind": self.kind, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass
class FindingLog:
    """Findings in file order, at most KEEP_PER_KIND kept per kind, all counted."""

    items: list[Finding] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def add(self, finding: Finding) -> None:
        if self.counts[finding.kind] < KEEP_PER_KIND:
            self.items.append(finding)
        self.counts[finding.kind] += 1

    def merge(self, other: FindingLog) -> None:
        kept = Counter(f.kind for f in self.items)
        for f in other.items:
            if kept[f.kind] < KEEP_PER_KIND:
                self.items.append(f)
                kept[f.kind] += 1
        self.counts.update(other.counts)

    def shift_lines(self, file: str, offset: int) -> None:
        """Make shard-relative line numbers of ``file`` absolute."""
        for f in self.items:
            if f.file == file and f.line is not None:
                f.line += offset

    def forget_lines(self, file: str, where: str) -> None:
        """Sampled ranges do not know their absolute line numbers: say where instead (``where``: 'byte 1234')."""
        for f in self.items:
            if f.file == file and f.line is not None:
                f.message = f"{f.message} (line {f.line} of the sampled range starting at {where})"
                f.line = None

    def first_error(self) -> Finding | None:
        return next((f for f in self.items if f.is_error), None)
