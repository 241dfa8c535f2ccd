"""Estimate a corpus from a random sample of its byte-range shards, with a 95% confidence interval.

Cluster sampling without replacement, ratio estimator on bytes (Cochran, "Sampling
Techniques", 3rd ed., sec. 6.2-6.4): with N blocks, n sampled (f = n/N), block bytes x_i,
block totals y_i and total bytes X,

    Y_hat = X * sum(y_i) / sum(x_i)
    Var(Y_hat) ~= N^2 (1 - f) / n * s_e^2,   e_i = y_i - R_hat x_i,  s_e^2 = sum(e_i^2) / (n - 1)

and the interval is Y_hat +/- t(0.975, n - 1) * sqrt(Var). Blocks of unequal size (whole
compressed files next to byte ranges) are handled by the ratio on bytes.
"""

from __future__ import annotations

import math
import random

from estimator.tokens.files import DataFile, plan_shards
from estimator.tokens.profile import DatasetProfile
from estimator.tokens.shard import Job

TARGET_BLOCKS = 1000
MIN_BLOCK_BYTES = 64 * 1024
MAX_BLOCK_BYTES = 32 * 1024 * 1024
MIN_SAMPLED_BLOCKS = 8
METRICS = ("examples", "total_tokens", "trainable_tokens", "billed_tokens_per_epoch", "over_limit_examples",
           "over_context_examples")

# Student t, two-sided 95% (0.975 quantile), by degrees of freedom; 1.96 beyond 120.
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def t975(df: int) -> float:
    """Conservative t quantile: the table value at the largest tabulated df not above ``df``."""
    if df > 120:
        return 1.96
    return _T975[max(k for k in _T975 if k <= df)]


def ratio_estimate(x: list[float], y: list[float], total_x: float, n_blocks: int) -> dict[str, float | None]:
    """Ratio estimate of sum(y) over all blocks, and its 95% interval (None if n < 2)."""
    n = len(x)
    sx, sy = sum(x), sum(y)
    r = sy / sx if sx else 0.0
    est = total_x * r
    if n >= n_blocks:
        return {"estimate": est, "ci95_low": est, "ci95_high": est, "std_error": 0.0}
    if n < 2:
        return {"estimate": est, "ci95_low": None, "ci95_high": None, "std_error": None}
    s2 = sum((yi - r * xi) ** 2 for xi, yi in zip(x, y)) / (n - 1)
    se = math.sqrt(n_blocks**2 * (1 - n / n_blocks) / n * s2)
    half = t975(n - 1) * se
    return {"estimate": est, "ci95_low": max(0.0, est - half), "ci95_high": est + half, "std_error": se}


def sample_count(files: list[DataFile], job: Job, format_in: str | None, fraction: float | None,
                 sample_bytes: int | None, seed: int, workers: int, progress: bool, runner=None) -> DatasetProfile:
    """Count a random subset of blocks (locally, or on ``runner``'s cluster); the profile's ``sample`` holds
    the estimates and intervals."""
    from estimator.tokens.count import map_shards

    total_bytes = sum(f.size for f in files)
    block = min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, total_bytes // TARGET_BLOCKS))
    blocks = plan_shards(files, format_in, block, text_shard_bytes=block)
    n_blocks = len(blocks)
    if fraction is None:
        fraction = min(1.0, sample_bytes / total_bytes) if total_bytes else 1.0
    n = min(n_blocks, max(MIN_SAMPLED_BLOCKS, math.ceil(fraction * n_blocks)))
    chosen = sorted(random.Random(seed).sample(blocks, n), key=lambda s: s.index)
    results: dict[int, tuple[DatasetProfile, int]] = {}
    map_shards(chosen, job, workers, progress, lambda i, p, lines: results.__setitem__(i, (p, lines)), runner)

    merged = DatasetProfile(settings=job.settings)
    xs: list[float] = []
    ys: dict[str, list[float]] = {m: [] for m in METRICS}
    for shard in chosen:
        profile, _ = results[shard.index]
        profile.close_documents()  # plain text: a sampled block stands for one example
        if shard.start > 0:
            where = f"row group {shard.start}" if shard.container == "parquet" else f"byte {shard.start}"
            profile.findings.forget_lines(shard.path, where)
        xs.append(shard.size)
        for m in METRICS:
            ys[m].append(getattr(profile, m))
        merged.merge(profile)
    merged.files = len(files)
    merged.sample = {
        "fraction_requested": fraction,
        "blocks_sampled": n,
        "blocks_total": n_blocks,
        "block_bytes": block,
        "bytes_sampled": sum(xs),
        "bytes_total": total_bytes,
        "seed": seed,
        "method": ("every block was counted (the dataset has no more blocks than the sample needs): exact, not sampled"
                   if n >= n_blocks else
                   "cluster sample of byte-range blocks, ratio estimator on bytes, 95% t interval (Cochran 6.2-6.4)"),
        "complete": n >= n_blocks,
        "estimates": {m: ratio_estimate(xs, ys[m], total_bytes, n_blocks) for m in METRICS},
    }
    return merged
