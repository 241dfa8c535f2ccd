"""count_tokens: plan shards, map them over all cores (or a Dask cluster), reduce the profiles."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

from estimator.errors import DatasetError, EstimatorError
from estimator.tokens.encodings import TokenizerSpec
from estimator.tokens.files import SHARD_BYTES, DataFile, Shard, expand_paths, plan_shards
from estimator.tokens.profile import CountSettings, DatasetProfile
from estimator.tokens.progress import Progress
from estimator.tokens.shard import Job, count_shard, counter_for

MIN_SHARD_BYTES = 1024 * 1024
SINGLE_PROCESS_BYTES = 4 * 1024 * 1024  # below this a process pool costs more than it saves

OnResult = Callable[[int, DatasetProfile, int], None]


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def count_tokens(
    paths,
    encoding: str | None = None,
    factor: float | None = None,
    approximate: bool | None = None,
    chat_format: str | int | None = None,
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
    model: str | None = None,
    catalogs: Sequence[str] = (),
    scheduler: str | None = None,
) -> DatasetProfile:
    """Count the tokens of the dataset at ``paths`` (files, directories, globs, s3:// gs:// az:// https:// URLs).

    ``model`` takes the tokenizer, chat overhead, context and API cap from the catalog (and the model's own
    tokenizer.json when one is on this machine); explicit arguments override it. ``scheduler`` runs the shards
    on Dask: ``"local"`` starts a LocalCluster of ``workers`` processes, ``"tcp://host:8786"`` uses a running
    cluster. Returns a DatasetProfile; raises DatasetError (one line, file:line) when nothing can be counted,
    or with ``strict`` at the first broken line.
    """
    resolved = _resolve(model, catalogs, encoding, factor, approximate, chat_format, context, example_cap)
    if tokenizer_file is None and resolved.tokenizer_file is not None:
        tokenizer_file = resolved.tokenizer_file
    s = resolved.settings
    _check_args(s["factor"], s["chat_format"], s["context"], s["example_cap"], seq_len, micro_batch, workers, sample,
                sample_bytes)
    spec = TokenizerSpec(encoding=s["encoding"], tokenizer_file=os.fspath(tokenizer_file) if tokenizer_file else None)
    settings = CountSettings(
        encoding=spec.name, factor=1.0 if spec.tokenizer_file else float(s["factor"]),
        approximate=bool(s["approximate"]) and not spec.tokenizer_file, chat_format=s["chat_format"],
        context=s["context"], example_cap=s["example_cap"], seq_len=seq_len, micro_batch=micro_batch,
    )
    job = Job(settings=settings, tokenizer=spec, column=column)
    counter_for(spec)  # load the tokenizer now: fails early, and forked workers inherit it
    skipped: list = []
    files = expand_paths(paths, skipped)
    runner = _runner(scheduler, workers or available_cores())
    try:
        # shards are sized for the cores that count them: a running cluster's worker threads, not this machine's
        slots = workers or (runner.slots() if runner is not None else available_cores())
        if sample is not None or sample_bytes is not None:
            from estimator.tokens.sampling import sample_count

            profile = sample_count(files, job, format_in, sample, sample_bytes, seed, slots, progress, runner)
        else:
            total = sum(f.size for f in files)
            shard_bytes = min(SHARD_BYTES, max(MIN_SHARD_BYTES, math.ceil(total / (8 * slots))))
            shards = plan_shards(files, format_in, shard_bytes)
            reducer = OrderedReducer(shards, settings)
            map_shards(shards, job, slots, progress, reducer.add, runner)
            profile = reducer.result()
    finally:
        if runner is not None:
            runner.close()
    for finding in skipped:
        profile.findings.add(finding)
    profile.tokenizer = {"source": resolved.tokenizer_source if spec.tokenizer_file == resolved.tokenizer_file else None,
                         "factor_check": resolved.factor_check if settings.approximate else None}
    return finish(profile, files, strict)


def _resolve(model, catalogs, encoding, factor, approximate, chat_format, context, example_cap):
    from estimator.tokens.models import ModelCount, model_count

    if model is not None:
        resolved = model_count(model, catalogs, encoding)
    else:
        resolved = ModelCount({"encoding": "cl100k_base", "factor": 1.0, "approximate": False, "chat_format": "openai",
                               "context": None, "example_cap": None})
    explicit = {"encoding": encoding, "factor": factor, "approximate": approximate, "chat_format": chat_format,
                "context": context, "example_cap": example_cap}
    resolved.settings.update({k: v for k, v in explicit.items() if v is not None})
    if encoding is not None and resolved.tokenizer_file is not None:
        resolved.tokenizer_file = resolved.tokenizer_source = None  # an explicit encoding wins over a found file
    return resolved


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


def _runner(scheduler: str | None, workers: int) -> Any:
    if scheduler is None:
        return None
    from estimator.tokens.cluster import ClusterRunner  # imports dask only here

    return ClusterRunner(scheduler, workers)


# -- the map -----------------------------------------------------------------------------
_SHARED = None  # in pool workers: multiprocessing Array [bytes, tokens] the parent's progress line reads


def _init_worker(shared) -> None:
    global _SHARED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: no traceback per worker
    _SHARED = shared


def _shared_tick(nbytes: int, tokens: int) -> None:
    with _SHARED.get_lock():
        _SHARED[0] += nbytes
        _SHARED[1] += tokens


def _work(args: tuple[int, Shard, Job]) -> tuple[int, DatasetProfile, int]:
    index, shard, job = args
    profile, lines = count_shard(shard, job, _shared_tick if _SHARED is not None else None)
    return index, profile, lines


def map_shards(shards: list[Shard], job: Job, workers: int, progress: bool, on_result: OnResult,
               runner: Any = None) -> None:
    """Count every shard, in this process, a pool of ``workers`` processes, or on ``runner``'s cluster."""
    total = sum(s.size for s in shards)
    if runner is not None:
        with Progress(total, progress, label="counting on the cluster") as bar:
            runner.run(shards, job, bar, on_result)
        return
    tasks = [(s.index, s, job) for s in sorted(shards, key=lambda s: -s.size)]  # big first: better balance
    if workers <= 1 or len(shards) <= 1 or total < SINGLE_PROCESS_BYTES:
        with Progress(total, progress) as bar:
            for _, shard, _ in tasks:
                profile, lines = count_shard(shard, job, bar.tick)
                on_result(shard.index, profile, lines)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    shared = ctx.Array("q", 2)
    pool = ctx.Pool(min(workers, len(shards)), initializer=_init_worker, initargs=(shared,))  # fork before threads
    try:
        with Progress(total, progress) as bar:
            bar.poll(lambda: (shared[0], shared[1]))
            for index, profile, lines in pool.imap_unordered(_work, tasks, chunksize=1):
                on_result(index, profile, lines)
        pool.close()
    except BaseException:
        pool.terminate()  # Ctrl-C or an error: stop the workers now, quietly
        raise
    finally:
        pool.join()


class OrderedReducer:
    """Merge shard profiles in file order as they arrive, making shard-relative line numbers absolute.

    Results are held only until every earlier shard has arrived, so memory stays bounded when they
    come roughly in order (a cluster), and the merge order (hence which findings are kept) never
    depends on which worker finished first.
    """

    def __init__(self, shards: list[Shard], settings: CountSettings):
        self.order = [s.index for s in sorted(shards, key=lambda s: s.index)]
        self.by_index = {s.index: s for s in shards}
        self.pending: dict[int, tuple[DatasetProfile, int]] = {}
        self.next = 0
        self.offsets: dict[str, int] = {}
        self.total = DatasetProfile(settings=settings)

    def add(self, index: int, profile: DatasetProfile, lines: int) -> None:
        self.pending[index] = (profile, lines)
        while self.next < len(self.order) and self.order[self.next] in self.pending:
            shard = self.by_index[self.order[self.next]]
            profile, lines = self.pending.pop(shard.index)
            offset = self.offsets.get(shard.path, 0)
            if offset:
                profile.findings.shift_lines(shard.path, offset)
            self.offsets[shard.path] = offset + lines
            self.total.merge(profile)
            self.next += 1

    def result(self) -> DatasetProfile:
        if self.next != len(self.order):
            raise EstimatorError(f"internal: {len(self.order) - self.next} shard results missing")
        return self.total


def finish(profile: DatasetProfile, files: list[DataFile], strict: bool) -> DatasetProfile:
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
