"""count_tokens: plan shards, map them over all cores, reduce the profiles."""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from estimator.errors import DatasetError, EstimatorError
from estimator.tokens.encodings import TokenizerSpec
from estimator.tokens.files import SHARD_BYTES, Shard, expand_paths, plan_shards
from estimator.tokens.profile import CountSettings, DatasetProfile
from estimator.tokens.progress import Progress
from estimator.tokens.shard import Job, count_shard, counter_for

MIN_SHARD_BYTES = 1024 * 1024
SINGLE_PROCESS_BYTES = 4 * 1024 * 1024  # below this a process pool costs more than it saves


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def count_tokens(
    paths,
    encoding: str = "cl100k_base",
    factor: float = 1.0,
    approximate: bool = False,
    chat_format: str | int = "openai",
    context: int | None = None,
    example_cap: int | None = None,
    seq_len: int | None = None,
    micro_batch: int = 1,
    workers: int | None = None,
    sample: float | None = None,
    sample_bytes: int | None = None,
    seed: int = 0,
    strict: bool = False,
    format_in: str | None = None,
    column: str | None = None,
    progress: bool = False,
    tokenizer_file: str | os.PathLike | None = None,
) -> DatasetProfile:
    """Count the tokens of the dataset at ``paths`` (files, directories, globs).

    Returns a DatasetProfile; raises DatasetError (one line, file:line) when nothing can be
    counted, or with ``strict`` at the first broken line.
    """
    _check_args(factor, chat_format, context, example_cap, seq_len, micro_batch, workers, sample, sample_bytes)
    spec = TokenizerSpec(encoding=encoding, tokenizer_file=os.fspath(tokenizer_file) if tokenizer_file else None)
    settings = CountSettings(
        encoding=spec.name, factor=float(factor), approximate=bool(approximate) and not spec.tokenizer_file,
        chat_format=chat_format, context=context, example_cap=example_cap, seq_len=seq_len, micro_batch=micro_batch,
    )
    job = Job(settings=settings, tokenizer=spec, column=column)
    counter_for(spec)  # load the tokenizer now: fails early, and forked workers inherit it
    files = expand_paths(paths)
    workers = workers or available_cores()
    if sample is not None or sample_bytes is not None:
        from estimator.tokens.sampling import sample_count

        profile = sample_count(files, job, format_in, sample, sample_bytes, seed, workers, progress)
    else:
        total = sum(f.stat().st_size for f in files)
        shard_bytes = min(SHARD_BYTES, max(MIN_SHARD_BYTES, math.ceil(total / (8 * workers))))
        shards = plan_shards(files, format_in, shard_bytes)
        results = map_shards(shards, job, workers, progress)
        profile = reduce_profiles(shards, results, settings)
    return finish(profile, files, strict)


def _check_args(factor, chat_format, context, example_cap, seq_len, micro_batch, workers, sample, sample_bytes) -> None:
    if not factor or factor <= 0:
        raise EstimatorError(f"factor must be positive, got {factor}")
    if chat_format != "openai" and not (isinstance(chat_format, int) and chat_format >= 0):
        raise EstimatorError(f"chat_format must be 'openai' or a non-negative int, got {chat_format!r}")
    for name, value in (("context", context), ("example_cap", example_cap), ("seq_len", seq_len),
                        ("micro_batch", micro_batch), ("workers", workers), ("sample_bytes", sample_bytes)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise EstimatorError(f"{name} must be a positive integer, got {value!r}")
    if sample is not None and not 0 < sample <= 1:
        raise EstimatorError(f"sample must be a fraction in (0, 1], got {sample}")
    if sample is not None and sample_bytes is not None:
        raise EstimatorError("give sample or sample_bytes, not both")


def _work(args: tuple[int, Shard, Job]) -> tuple[int, DatasetProfile, int]:
    index, shard, job = args
    profile, lines = count_shard(shard, job)
    return index, profile, lines


def map_shards(shards: list[Shard], job: Job, workers: int, progress: bool = False,
               on_result: Callable[[int, DatasetProfile], None] | None = None) -> dict[int, tuple[DatasetProfile, int]]:
    """Count every shard, in this process or a pool of ``workers``; results keyed by shard index."""
    results: dict[int, tuple[DatasetProfile, int]] = {}
    total = sum(s.size for s in shards)
    tasks = [(s.index, s, job) for s in sorted(shards, key=lambda s: -s.size)]  # big first: better balance
    with Progress(total, progress) as bar:
        def collect(items: Iterable[tuple[int, DatasetProfile, int]]) -> None:
            for index, profile, lines in items:
                results[index] = (profile, lines)
                bar.advance(profile.bytes, profile.examples)

        if workers <= 1 or len(shards) <= 1 or total < SINGLE_PROCESS_BYTES:
            collect(map(_work, tasks))
        else:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            ctx = multiprocessing.get_context(method)
            with ctx.Pool(min(workers, len(shards))) as pool:
                collect(pool.imap_unordered(_work, tasks, chunksize=1))
    return results


def reduce_profiles(shards: list[Shard], results: dict[int, tuple[DatasetProfile, int]],
                    settings: CountSettings) -> DatasetProfile:
    """Merge shard profiles in file order, making shard-relative line numbers absolute."""
    total = DatasetProfile(settings=settings)
    offsets: dict[str, int] = {}
    for shard in sorted(shards, key=lambda s: s.index):
        profile, lines = results[shard.index]
        offset = offsets.get(shard.path, 0)
        if offset:
            profile.findings.shift_lines(shard.path, offset)
        offsets[shard.path] = offset + lines
        total.merge(profile)
    return total


def finish(profile: DatasetProfile, files: list[Path], strict: bool) -> DatasetProfile:
    """Close plain-text pieces; turn 'nothing counted' and, with strict, any broken line into errors."""
    profile.close_documents()
    first = profile.findings.first_error()
    if strict and first is not None:
        raise DatasetError(f"{first} (--strict)")
    if profile.examples == 0:
        if profile.findings.items:
            raise DatasetError(f"no examples could be read: {profile.findings.items[0]}")
        where = files[0] if len(files) == 1 else f"{len(files)} files"
        raise DatasetError(f"{where}: no examples found")
    return profile
