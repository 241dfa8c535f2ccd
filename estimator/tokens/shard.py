"""The map step: count one shard into a DatasetProfile. Pure function of (shard, job)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from estimator.errors import DatasetError
from estimator.tokens.encodings import Counter, TokenizerSpec
from estimator.tokens.examples import Batch, ExampleBuilder
from estimator.tokens.files import Shard
from estimator.tokens.findings import SKIPPING_KINDS, Finding
from estimator.tokens.profile import CountSettings, DatasetProfile
from estimator.tokens.readers import ShardReader
from estimator.tokens.record_format import file_format

BATCH_CHARS = 2_000_000  # text handed to the tokenizer per call
BATCH_EXAMPLES = 8192


@dataclass(frozen=True)
class Job:
    """Everything a worker needs besides the shard; small and picklable."""

    settings: CountSettings
    tokenizer: TokenizerSpec
    column: str | None = None


@lru_cache(maxsize=4)
def counter_for(spec: TokenizerSpec) -> Counter:
    return Counter(spec)


Tick = Callable[[int, int], None]  # (bytes read since the last call, tokens counted since the last call)


def count_shard(shard: Shard, job: Job, tick: Tick | None = None) -> tuple[DatasetProfile, int]:
    """Profile of one shard, and the number of lines it covered (to make line numbers absolute).

    A line with an error finding is not counted; ``profile.skipped_lines`` says how many such lines there were.
    ``tick``, if given, hears about progress every few MB; its byte figures add up to ``shard.size``.
    """
    profile = DatasetProfile(settings=job.settings)
    counter = counter_for(job.tokenizer)
    skipped: set[int] = set()

    def report(kind: str, line: int | None, message: str) -> None:
        profile.findings.add(Finding(shard.path, line, kind, message))
        if line is not None and kind in SKIPPING_KINDS:
            skipped.add(line)

    reader = ShardReader(shard, report, job.column)
    meter = _Meter(reader, profile, shard.size, tick)
    builder = ExampleBuilder(job.settings.chat_format, counter.count_small, report)
    builder.expected = file_format(shard, job.column) if shard.container not in ("text", "lines") else None
    batch = Batch()
    doc_tokens, doc_chunks, doc_chars = 0, [], 0
    try:
        for line, item in reader:
            builder.json_values = reader.container in ("jsonl", "json")
            if reader.document_mode:  # plain text: the whole shard is one example
                doc_chunks.append(item)
                doc_chars += len(item)
                if doc_chars >= BATCH_CHARS:
                    doc_tokens += sum(counter.count_batch(doc_chunks))
                    doc_chunks, doc_chars = [], 0
                    meter.update(doc_tokens)
                continue
            builder.add(batch, line, item)
            if batch.chars >= BATCH_CHARS or len(batch) >= BATCH_EXAMPLES:
                flush(batch, counter, profile, report)
                batch = Batch()
                meter.update()
    except RecursionError:
        raise DatasetError(f"{shard.path}: JSON nested too deeply to read") from None
    flush(batch, counter, profile, report)
    if doc_chunks or doc_tokens:
        doc_tokens += sum(counter.count_batch(doc_chunks))
        profile.open_documents[(shard.path, shard.doc)] += doc_tokens
    profile.files = 1 if shard.start == 0 else 0
    profile.bytes = shard.size
    profile.skipped_lines = len(skipped)
    # line order, whatever the batching: findings made when a batch is flushed come after later lines' otherwise
    profile.findings.items.sort(key=lambda f: (f.line is not None, f.line or 0))
    meter.finish(doc_tokens)
    return profile, reader.lines


class _Meter:
    """Turns the reader's position and the profile's token total into progress ticks."""

    def __init__(self, reader: ShardReader, profile: DatasetProfile, size: int, tick: Tick | None):
        self.reader, self.profile, self.size, self.tick = reader, profile, size, tick
        self.sent_bytes = self.sent_tokens = 0

    def update(self, doc_tokens: int = 0) -> None:
        if self.tick is None:
            return
        nbytes = min(self.size, self.reader.consumed()) - self.sent_bytes
        tokens = self.profile.total_tokens + doc_tokens - self.sent_tokens
        if nbytes > 0 or tokens > 0:
            self.tick(max(0, nbytes), tokens)
            self.sent_bytes += max(0, nbytes)
            self.sent_tokens += tokens

    def finish(self, doc_tokens: int) -> None:
        if self.tick is not None:
            self.tick(self.size - self.sent_bytes, self.profile.total_tokens + doc_tokens - self.sent_tokens)


def flush(batch: Batch, counter: Counter, profile: DatasetProfile, report) -> None:
    """Count a batch's texts in one tokenizer call, then add its examples to the profile."""
    n = len(batch)
    if n == 0:
        return
    counts = counter.count_batch(batch.texts) if batch.texts else []
    content: list[dict[str, int]] = [{} for _ in range(n)]
    trainable = [0] * n
    for c, owner, bucket, train, mult in zip(counts, batch.owner, batch.bucket, batch.train, batch.mult):
        c *= mult
        d = content[owner]
        d[bucket] = d.get(bucket, 0) + c
        if train:
            trainable[owner] += c
    s = profile.settings
    factor, cap, context = s.factor, s.example_cap, s.context
    for i in range(n):
        fixed = batch.fixed[i]
        by_role: dict[str, float] = dict(fixed)
        body = 0
        for bucket, c in content[i].items():
            by_role[bucket] = by_role.get(bucket, 0) + c * factor
            body += c
        length = sum(fixed.values()) + (body if factor == 1.0 else round(body * factor))
        profile.add_example(length, trainable[i] * factor, by_role, batch.messages[i])
        if cap is not None and length > cap:
            report("over_example_cap", batch.lines[i],
                   f"{length:,} tokens > the {cap:,}-token per-example cap; only the first {cap:,} are billed and trained")
        if context is not None and length > context:
            report("over_context", batch.lines[i], f"{length:,} tokens > the model's {context:,}-token context; will be truncated")
