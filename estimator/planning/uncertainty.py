"""Monte Carlo over the assumption ranges: P10/P50/P90 of time, GPU-hours and cost, as rows of one resolution."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog

Z90 = 1.2815515655446004  # standard normal 90th percentile
OUTPUTS = ("wall_clock_hours", "gpu_hours", "cost_usd")


def two_piece_normal(rng: np.random.Generator, value: float, low: float, high: float, n: int) -> np.ndarray:
    """Samples with median `value`, P10 `low` and P90 `high` (a split normal; asymmetric ranges allowed)."""
    z = rng.standard_normal(n)
    sigma_low, sigma_high = (value - low) / Z90, (high - value) / Z90
    return np.where(z < 0, value + z * sigma_low, value + z * sigma_high)


def ranges_used(estimate) -> dict[str, tuple[float, float, float, str]]:
    """{quantity: (value, low, high, source)} for every assumption in the trace whose matched rule has a range
    (read from the step's provenance), plus the spread of listed GPU prices when no provider was chosen."""
    out: dict[str, tuple[float, float, float, str]] = {}
    steps = {s.name: s for s in estimate.steps}
    overridden = {s.name for s in estimate.steps if s.kind == "override"}
    reach: set[str] = set()
    todo = [o for o in OUTPUTS if o in steps]
    while todo:  # what the outputs depend on, with the GPU count held at the plan's
        name = todo.pop()
        if name in reach or name == "gpus":
            continue
        reach.add(name)
        todo.extend(steps[name].inputs if name in steps else ())
    for step in estimate.steps:
        if step.kind != "assumption" or step.name in overridden or step.name not in reach or step.range is None:
            continue
        if isinstance(step.value, (int, float)):
            low, high = step.range
            out[step.name] = (float(step.value), float(low), float(high), f"table '{step.table}' rule {step.row} range")
    listed = steps.get("listed_usd_per_gpu_hour")
    if listed is not None and "rental_usd_per_gpu_hour" in reach and np.size(listed.value) >= 2 \
            and "price_usd_per_gpu_hour" not in overridden:
        prices = np.asarray(listed.value, dtype=float)
        value = float(estimate.values["price_usd_per_gpu_hour"])
        low, high = float(np.nanpercentile(prices, 10)), float(np.nanpercentile(prices, 90))
        out["rental_usd_per_gpu_hour"] = (value, min(low, value), max(high, value),
                                          f"P10-P90 of {np.count_nonzero(~np.isnan(prices))} providers' "
                                          f"{estimate.scenario.tier} prices")
    return out


def simulate_many(estimates: list, cat: Catalog, samples: int = 4000, seed: int = 0) -> list[dict[str, Any]]:
    """P10/P50/P90 of OUTPUTS for each estimate, its GPU count fixed at the plan's and its assumptions drawn
    from their ranges: `samples` rows per estimate, all in one resolution."""
    from estimator.planning.inputs import checked_overrides
    from estimator.planning.resolution import resolve
    from estimator.planning.rows import Rows

    out: list[dict[str, Any] | None] = [None] * len(estimates)
    gpu = [i for i, e in enumerate(estimates) if e.method != "api"]
    for i, e in enumerate(estimates):
        if e.method == "api":  # price and tokens are known: no spread
            out[i] = {"samples": 0, "seed": seed, "ranges": {}, "cost_usd": {q: e.cost_usd for q in ("p10", "p50", "p90")}}
    if not gpu:
        return out  # type: ignore[return-value]
    rng = np.random.default_rng(seed)
    # each estimate as it was computed: the settings it adopted to fit are part of its plan
    scenarios = [replace(estimates[i].scenario, overrides=estimates[i].scenario.overrides | estimates[i].adopted)
                 for i in gpu]
    rows = Rows.from_scenarios(scenarios, [checked_overrides(s.overrides, cat) for s in scenarios])
    rows = rows.take(np.repeat(np.arange(len(gpu)), samples))
    ranges = [ranges_used(estimates[i]) for i in gpu]
    names = sorted({k for r in ranges for k in r})
    for name in names:
        col = np.full(rows.n, np.nan)
        table = cat.assumptions.get(name)
        lo, hi = table.bounds if table is not None and table.bounds else (0.0, np.inf)
        for k, r in enumerate(ranges):
            if name in r:
                value, low, high, _ = r[name]
                draws = two_piece_normal(rng, value, low, high, samples)
                col[k * samples:(k + 1) * samples] = np.clip(draws, max(lo, 1e-6), hi)  # never outside what it can be
        rows.overrides[name] = col
    rows.overrides["gpus"] = np.repeat([float(estimates[i].values["gpus"]) for i in gpu], samples)
    res = resolve(rows, cat)
    for k, i in enumerate(gpu):
        block = slice(k * samples, (k + 1) * samples)
        result: dict[str, Any] = {"samples": samples, "seed": seed,
                                  "ranges": {n: {"value": v[0], "p10": v[1], "p90": v[2], "source": v[3]}
                                             for n, v in ranges[k].items()}}
        for key in OUTPUTS:
            p10, p50, p90 = np.percentile(res.column(key)[block], [10, 50, 90])
            result[key] = {"p10": float(p10), "p50": float(p50), "p90": float(p90)}
        out[i] = result
    return out  # type: ignore[return-value]
