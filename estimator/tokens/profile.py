"""DatasetProfile: the mergeable result of counting one shard, a file, or a whole corpus.

Every field is a sum, a counter or a capped list, so ``a.merge(b)`` is associative and
a corpus profile is the reduce of its shard profiles, in any grouping.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from estimator.tokens.findings import Finding, FindingLog

SETTINGS_KEYS = ("encoding", "factor", "approximate", "chat_format", "context", "example_cap", "seq_len", "micro_batch")


@dataclass
class CountSettings:
    """What a count is relative to; two profiles merge only if these agree."""

    encoding: str = "cl100k_base"
    factor: float = 1.0
    approximate: bool = False
    chat_format: str | int = "openai"
    context: int | None = None
    example_cap: int | None = None
    seq_len: int | None = None
    micro_batch: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in SETTINGS_KEYS}


@dataclass
class DatasetProfile:
    """Token statistics of a dataset (or of a shard of one)."""

    settings: CountSettings = field(default_factory=CountSettings)
    files: int = 0
    bytes: int = 0
    examples: int = 0
    messages: int = 0
    total_tokens: int = 0
    trainable_tokens: float = 0
    tokens_by_role: Counter = field(default_factory=Counter)
    lengths: Counter = field(default_factory=Counter)  # example length -> number of examples
    over_context_examples: int = 0
    over_limit_examples: int = 0
    skipped_lines: int = 0  # lines not counted because of an error finding
    findings: FindingLog = field(default_factory=FindingLog)
    sample: dict[str, Any] | None = None
    open_documents: Counter = field(default_factory=Counter)  # plain text: (file, piece) -> tokens so far
    tokenizer: dict[str, Any] | None = None  # where an exact tokenizer was found; the factor's measured error

    def close_documents(self) -> None:
        """Turn the token sums of plain-text pieces into examples (after the last merge)."""
        f = self.settings.factor
        for (path, _piece), tokens in sorted(self.open_documents.items()):
            length = tokens if f == 1.0 else round(tokens * f)
            self.add_example(length, tokens * f, {"text": tokens * f})
            s = self.settings
            if s.example_cap is not None and length > s.example_cap:
                self.findings.add(Finding(path, None, "over_example_cap", f"a text piece of {length:,} tokens > the {s.example_cap:,}-token cap"))
            if s.context is not None and length > s.context:
                self.findings.add(Finding(path, None, "over_context", f"a text piece of {length:,} tokens > the {s.context:,}-token context"))
        self.open_documents.clear()

    # -- building -------------------------------------------------------------------
    def add_example(self, length: int, trainable: float, by_role: dict[str, float], messages: int = 0) -> None:
        s = self.settings
        self.examples += 1
        self.messages += messages
        self.total_tokens += length
        self.trainable_tokens += trainable
        for role, n in by_role.items():
            self.tokens_by_role[role] += n
        self.lengths[length] += 1
        if s.example_cap is not None and length > s.example_cap:
            self.over_limit_examples += 1
        if s.context is not None and length > s.context:
            self.over_context_examples += 1

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """Fold ``other`` into this profile (in place) and return self."""
        if self.settings != other.settings:
            raise ValueError("cannot merge profiles counted with different settings")
        for name in ("files", "bytes", "examples", "messages", "total_tokens", "trainable_tokens",
                     "over_context_examples", "over_limit_examples", "skipped_lines"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.tokens_by_role.update(other.tokens_by_role)
        self.lengths.update(other.lengths)
        self.open_documents.update(other.open_documents)
        self.findings.merge(other.findings)
        self.sample = None  # an estimate does not survive a merge; re-estimate instead
        return self

    # -- derived (through the same rules an estimate uses) ----------------------------
    @property
    def billed_tokens_per_epoch(self) -> int:
        """Σ_examples min(cap, tokens): the `billed_tokens_per_epoch` rule over this profile's length table."""
        import numpy as np

        from estimator.rules.api_billing import billed_tokens_per_epoch

        if not self.lengths:
            return 0
        lengths = np.array(sorted(self.lengths), dtype=float)
        counts = np.array([self.lengths[int(k)] for k in lengths], dtype=float)
        cap = float(self.settings.example_cap) if self.settings.example_cap is not None else np.inf
        return int(round(float(billed_tokens_per_epoch(lengths[None, :], counts[None, :], cap))))

    def length_stats(self) -> dict[str, Any]:
        return length_stats(self.lengths)

    def default_epochs(self, examples: int | None = None) -> int | None:
        from estimator.rules.api_billing import default_epochs

        n = self.examples if examples is None else examples
        return default_epochs(n) if n > 0 else None

    def computed_tokens(self, examples: int | None = None, total_tokens: int | None = None) -> dict[str, Any] | None:
        """Tokens a GPU processes per epoch at ``seq_len`` s and micro-batch b.

        padded: every example padded (or truncated) to s, micro-batches filled:
        ceil(n / b)·b·s.  packed: examples concatenated into rows of s tokens:
        ceil(ceil(D / s) / b)·b·s. Examples longer than s are truncated when padded.
        """
        from estimator.rules.dataset import packed_tokens_per_epoch, padded_tokens_per_epoch

        s, b = self.settings.seq_len, self.settings.micro_batch
        if not s:
            return None
        n = self.examples if examples is None else examples
        d = self.total_tokens if total_tokens is None else total_tokens
        over = sum(c for length, c in self.lengths.items() if length > s)
        padded = int(padded_tokens_per_epoch(n, s, b))
        return {
            "seq_len": s,
            "micro_batch": b,
            "padded_tokens": padded,
            "packed_tokens": int(packed_tokens_per_epoch(d, s, b)),
            "padding_efficiency": (d / padded) if n else None,
            "examples_over_seq_len": over,
        }

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        est = (self.sample or {}).get("estimates", {})

        def top(name: str, value: Any) -> Any:
            return round(est[name]["estimate"]) if name in est else value

        examples = top("examples", self.examples)
        per_epoch = top("billed_tokens_per_epoch", self.billed_tokens_per_epoch)
        epochs = self.default_epochs(examples)
        total = top("total_tokens", self.total_tokens)
        out: dict[str, Any] = {
            "examples": examples,
            "total_tokens": total,
            "trainable_tokens": top("trainable_tokens", round(self.trainable_tokens)),
            "billed_tokens_per_epoch": per_epoch,
            "default_epochs": epochs,
            "billed_tokens": per_epoch * epochs if epochs else 0,
            "example_cap": s.example_cap,
            "over_limit_examples": top("over_limit_examples", self.over_limit_examples),
            "context": s.context,
            "over_context_examples": top("over_context_examples", self.over_context_examples),
            "approximate": bool(s.approximate or s.factor != 1.0),
            "encoding": s.encoding,
            "factor": s.factor,
            "tokenizer_source": (self.tokenizer or {}).get("source"),
            "factor_check": (self.tokenizer or {}).get("factor_check"),
            "chat_format": s.chat_format,
            "files": self.files,
            "bytes": self.bytes,
            "messages": self.messages,
            "tokens_by_role": {k: round(v) for k, v in sorted(self.tokens_by_role.items())},
            "length": self.length_stats(),
            "computed_tokens": self.computed_tokens(examples, total),
            "sampled": self.sample is not None,
            "sample": self.sample,
            "skipped_lines": self.skipped_lines,
            "finding_counts": dict(sorted(self.findings.counts.items())),
            "findings": [f.as_dict() for f in self.findings.items],
        }
        return out

    def summary_rows(self) -> dict[str, Any]:
        """Flat quantity -> value mapping for table/csv/markdown output."""
        d = self.to_dict()
        flat = {k: d[k] for k in ("examples", "total_tokens", "trainable_tokens", "billed_tokens_per_epoch",
                                  "default_epochs", "billed_tokens", "example_cap", "over_limit_examples",
                                  "context", "over_context_examples", "approximate", "encoding", "factor")}
        for role, n in d["tokens_by_role"].items():
            flat[f"tokens[{role}]"] = n
        for k in ("min", "p5", "median", "mean", "p95", "max"):
            flat[f"length_{k}"] = d["length"][k]
        if d["computed_tokens"]:
            flat["padded_tokens"] = d["computed_tokens"]["padded_tokens"]
            flat["packed_tokens"] = d["computed_tokens"]["packed_tokens"]
        for name, e in (d["sample"] or {}).get("estimates", {}).items():
            flat[f"{name}_ci95"] = f"{e['ci95_low']:,.0f} .. {e['ci95_high']:,.0f}" if e["ci95_low"] is not None else None
        if d["skipped_lines"]:
            flat["skipped_lines"] = d["skipped_lines"]
        for kind, n in d["finding_counts"].items():
            flat[f"findings[{kind}]"] = n
        return flat


def _quantile(keys: list[int], cum: list[int], n: int, q: float) -> float:
    """numpy's default (linear) quantile over a value -> count table."""
    import bisect

    h = (n - 1) * q
    lo = math.floor(h)

    def value_at(rank: int) -> int:  # 0-based rank into the sorted expansion
        return keys[bisect.bisect_right(cum, rank)]

    a = value_at(lo)
    if h == lo:
        return float(a)
    return a + (h - lo) * (value_at(lo + 1) - a)


def length_stats(lengths: Counter) -> dict[str, Any]:
    """min, max, mean, median, p5, p95 and a power-of-two histogram of example lengths."""
    n = sum(lengths.values())
    if n == 0:
        return {"min": None, "max": None, "mean": None, "median": None, "p5": None, "p95": None, "histogram": []}
    keys = sorted(lengths)
    cum, running = [], 0
    for k in keys:
        running += lengths[k]
        cum.append(running)
    buckets: Counter = Counter()
    for k, c in lengths.items():
        buckets[0 if k <= 0 else k.bit_length()] += c
    hist = [{"lo": 0 if b == 0 else 1 << (b - 1), "hi": 0 if b == 0 else (1 << b) - 1, "count": buckets[b]}
            for b in sorted(buckets)]
    return {
        "min": keys[0],
        "max": keys[-1],
        "mean": round(sum(k * c for k, c in lengths.items()) / n, 3),
        "median": round(_quantile(keys, cum, n, 0.5), 3),
        "p5": round(_quantile(keys, cum, n, 0.05), 3),
        "p95": round(_quantile(keys, cum, n, 0.95), 3),
        "histogram": hist,
    }


__all__ = ["CountSettings", "DatasetProfile", "Finding", "length_stats"]
