"""Monte Carlo over the assumption ranges: P10/P50/P90 of time, GPU-hours and cost (vectorised, seeded)."""

from __future__ import annotations

from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.plan import assumptions as at
from estimator.plan.engine import evaluate
from estimator.rules import REGISTRY

Z90 = 1.2815515655446004  # standard normal 90th percentile
OUTPUTS = ("wall_clock_hours", "gpu_hours", "cost_usd")


def two_piece_normal(rng: np.random.Generator, value: float, low: float, high: float, n: int) -> np.ndarray:
    """Samples with median `value`, P10 `low` and P90 `high` (a split normal; asymmetric ranges allowed)."""
    z = rng.standard_normal(n)
    sigma_low, sigma_high = (value - low) / Z90, (high - value) / Z90
    return np.where(z < 0, value + z * sigma_low, value + z * sigma_high)


def ranges_used(estimate, cat: Catalog) -> dict[str, tuple[float, float, float, str]]:
    """{quantity: (value, low, high, source)} for every assumption in the trace whose matched rule has a range,
    plus the GPU price spread across providers when no provider was chosen."""
    out: dict[str, tuple[float, float, float, str]] = {}
    overridden = {s.name for s in estimate.steps if s.kind == "override"}
    inputs = {s.name: s.inputs for s in estimate.steps}
    reach: set[str] = set()
    todo = [o for o in OUTPUTS if o in inputs]
    while todo:  # what the outputs depend on, with the GPU count held at the plan's
        name = todo.pop()
        if name in reach or name == "gpus":
            continue
        reach.add(name)
        todo.extend(inputs.get(name, ()))
    for step in estimate.steps:
        if step.kind != "assumption" or step.name in overridden or step.name not in reach:
            continue
        table = cat.assumptions.get(step.name)
        rng = at.value_range(table, step.formula) if table else None
        if rng and isinstance(step.value, (int, float)):
            out[step.name] = (float(step.value), float(rng[0]), float(rng[1]), f"{step.formula} range")
    if (estimate.scenario.provider is None and estimate.gpu_id and "price_usd_per_gpu_hour" not in overridden
            and "price_usd_per_gpu_hour" in reach):
        prices = [p.usd_per_gpu_hour for p in cat.prices_for(estimate.gpu_id, estimate.scenario.tier)]
        if len(prices) >= 2:
            value = float(estimate.values["price_usd_per_gpu_hour"])
            low, high = float(np.percentile(prices, 10)), float(np.percentile(prices, 90))
            out["price_usd_per_gpu_hour"] = (value, min(low, value), max(high, value),
                                             f"P10-P90 of {len(prices)} providers' {estimate.scenario.tier} prices")
    return out


def simulate(estimate, cat: Catalog, prepared, samples: int = 4000, seed: int = 0) -> dict[str, Any]:
    """P10/P50/P90 of OUTPUTS with the GPU count fixed at the plan's and assumptions drawn from their ranges."""
    rng = np.random.default_rng(seed)
    ranges = ranges_used(estimate, cat)
    overrides = dict(prepared.overrides)
    for name, (value, low, high, _) in ranges.items():
        draws = two_piece_normal(rng, value, low, high, samples)
        table = cat.assumptions.get(name)
        lo, hi = table.bounds if table is not None and table.bounds else (0.0, np.inf)
        overrides[name] = np.clip(draws, max(lo, 1e-6), hi)  # never outside what the quantity can be
    overrides["gpus"] = estimate.values["gpus"]
    ev = evaluate(REGISTRY, list(OUTPUTS), prepared.given, overrides, prepared.providers)
    result: dict[str, Any] = {"samples": samples, "seed": seed,
                              "ranges": {k: {"value": v[0], "p10": v[1], "p90": v[2], "source": v[3]}
                                         for k, v in ranges.items()}}
    for key in OUTPUTS:
        arr = np.broadcast_to(np.asarray(ev.values[key], dtype=float), (samples,))
        p10, p50, p90 = np.percentile(arr, [10, 50, 90])
        result[key] = {"p10": float(p10), "p50": float(p50), "p90": float(p90)}
    return result
