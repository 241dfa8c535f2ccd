"""Sensitivity (tornado) data: how a scenario's cost moves when one main assumption moves over a stated range.

Each factor is varied alone, the others held at their base values: every perturbed scenario (the
scenario's tokens, epochs or overrides changed) is a row of one resolution with the others:

- MFU: the P10-P90 `range` of the `mfu_base` rule that matched (assumptions.yaml), else ±25 %;
- price per GPU-hour: the cheapest and dearest provider listed for that GPU and tier;
- tokens per epoch: ±25 %;
- epochs: ±1 (the low end never below one epoch).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from estimator.catalog.loader import Catalog, load_catalog
from estimator.planning.result import Estimate
from estimator.planning.scenario import Scenario

TOKENS_SPAN = 0.25
EPOCHS_STEP = 1.0
MFU_FALLBACK_SPAN = 0.25
# a factor the scenario pins with an override is not varied (the user's value stands)
OVERRIDE_KEYS = {"mfu": ("mfu", "mfu_base"), "price": ("price_usd_per_gpu_hour",), "tokens": ("tokens", "train_tokens"),
                 "epochs": ("epochs", "train_tokens")}


@dataclass
class Swing:
    """Cost at the low and high end of one factor's range (the other factors at base)."""

    factor: str  # mfu | price | tokens | epochs
    label: str  # human name of the factor
    unit: str
    base_input: float
    low_input: float
    high_input: float
    range_note: str  # where the range comes from, in words
    cost_at_low: float = math.nan
    cost_at_high: float = math.nan
    error: str | None = None

    @property
    def spread_usd(self) -> float:
        """|cost at high - cost at low| (NaN when not computed)."""
        return abs(self.cost_at_high - self.cost_at_low)


@dataclass
class Sensitivity:
    """Tornado data for one scenario: base cost and one Swing per applicable factor, widest first."""

    name: str
    method: str
    base_cost_usd: float
    swings: list[Swing] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # factors that do not apply, with why

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "method": self.method, "base_cost_usd": self.base_cost_usd,
                "swings": [dataclasses.asdict(s) for s in self.swings], "skipped": list(self.skipped)}


def _step(est: Estimate, name: str):
    return next((s for s in est.steps if s.name == name), None)


def _mfu_swing(est: Estimate, cat: Catalog) -> Swing | None:
    step = _step(est, "mfu_base")
    if step is None or not isinstance(step.value, (int, float)):
        return None
    base = float(step.value)
    rng = step.range if step.kind == "assumption" else None
    if rng:
        low, high = float(rng[0]), float(rng[1])
        note = f"P10-P90 range of the matched rule ({step.formula})"
    else:
        low, high = base * (1 - MFU_FALLBACK_SPAN), base * (1 + MFU_FALLBACK_SPAN)
        note = f"±{MFU_FALLBACK_SPAN:.0%} (no published range for this rule)"
    return Swing("mfu", "GPU utilisation (MFU)", "fraction", base, low, high, note)


def _price_swing(est: Estimate, cat: Catalog) -> Swing | None:
    base = est.values.get("price_usd_per_gpu_hour")
    if est.gpu_id is None or base is None or not math.isfinite(base):
        return None
    rows = cat.prices_for(est.gpu_id, est.scenario.tier)  # every provider's price, also when one was chosen
    if len(rows) < 2:
        return None
    prices = [r.usd_per_gpu_hour for r in rows]
    low, high = min(prices), max(prices)
    cheap = min(rows, key=lambda r: r.usd_per_gpu_hour).provider
    dear = max(rows, key=lambda r: r.usd_per_gpu_hour).provider
    note = f"cheapest ({cheap}) to dearest ({dear}) of {len(rows)} {est.scenario.tier} prices for {est.gpu_id}"
    return Swing("price", "Price per GPU-hour", "USD/GPU-hour", float(base), low, high, note)


def _tokens_swing(est: Estimate) -> Swing | None:
    base = est.values.get("tokens")
    if base is None:
        base = est.values.get("billed_tokens_per_epoch")
    if base is None or not base > 0:
        return None
    return Swing("tokens", "Training tokens per epoch", "tokens", float(base), base * (1 - TOKENS_SPAN),
                 base * (1 + TOKENS_SPAN), f"±{TOKENS_SPAN:.0%}")


def _epochs_swing(est: Estimate) -> Swing | None:
    base = est.values.get("epochs")
    if base is None or not base > 0:
        return None
    low = base - EPOCHS_STEP if base - EPOCHS_STEP >= 1 else min(base, 1.0)
    note = f"±{EPOCHS_STEP:g} epoch" + ("" if low < base else " (cannot go below one epoch)")
    return Swing("epochs", "Epochs (passes over the data)", "epochs", float(base), float(low), base + EPOCHS_STEP, note)


def _varied(scenario: Scenario, factor: str, value: float, base: Estimate) -> Scenario:
    if factor == "mfu":
        return dataclasses.replace(scenario, overrides=scenario.overrides | {"mfu_base": value})
    if factor == "price":
        return dataclasses.replace(scenario, overrides=scenario.overrides | {"price_usd_per_gpu_hour": value})
    if factor == "tokens":  # the dataset's token count, replaced by a number; epochs held at the base estimate's
        return dataclasses.replace(scenario, tokens=value, dataset=None,
                                   epochs=scenario.epochs if scenario.epochs is not None else base.values.get("epochs"))
    return dataclasses.replace(scenario, epochs=value)


def _plan(estimate: Estimate, cat: Catalog, name: str | None) -> tuple[Sensitivity, list[tuple[Swing, Scenario, Scenario]]]:
    scenario = dataclasses.replace(estimate.scenario, overrides=estimate.scenario.overrides | estimate.adopted)
    label = name or scenario.name or f"{estimate.method} {estimate.model_id}"
    out = Sensitivity(label, estimate.method, float(estimate.cost_usd))
    candidates = {
        "mfu": _mfu_swing(estimate, cat) if estimate.method != "api" else None,
        "price": _price_swing(estimate, cat) if estimate.method != "api" else None,
        "tokens": _tokens_swing(estimate),
        "epochs": _epochs_swing(estimate),
    }
    todo = []
    for factor, swing in candidates.items():
        if set(OVERRIDE_KEYS[factor]) & set(scenario.overrides):
            out.skipped.append(f"{factor}: set by the scenario (override)")
            continue
        if swing is None:
            why = "no GPUs (hosted API price is fixed)" if estimate.method == "api" else "no range available"
            out.skipped.append(f"{factor}: {why}")
            continue
        out.swings.append(swing)
        todo.append((swing, _varied(scenario, factor, swing.low_input, estimate),
                     _varied(scenario, factor, swing.high_input, estimate)))
    return out, todo


def sensitivities(estimates: Sequence[Estimate], catalog: Catalog | None = None,
                  names: Sequence[str | None] | None = None) -> list[Sensitivity]:
    """How each estimate's cost moves when MFU, price, tokens and epochs move (one at a time): every
    perturbed scenario of every estimate is a row of one resolution."""
    from estimator.planning.estimation import estimate_scenarios

    cat = catalog or (estimates[0].catalog if estimates and estimates[0].catalog is not None else load_catalog())
    names = list(names) if names is not None else [None] * len(estimates)
    plans = [_plan(e, cat, n) for e, n in zip(estimates, names)]
    varied = [s for _, todo in plans for _, low, high in todo for s in (low, high)]
    results = iter(estimate_scenarios(varied, cat, strict=False) if varied else [])
    out = []
    for sens, todo in plans:
        for swing, _, _ in todo:
            low, high = next(results), next(results)
            bad = next((r for r in (low, high) if isinstance(r, Exception)), None)
            if bad is not None:
                swing.error = str(bad)
            else:
                swing.cost_at_low, swing.cost_at_high = float(low.cost_usd), float(high.cost_usd)
        sens.swings.sort(key=lambda s: -s.spread_usd if math.isfinite(s.spread_usd) else 0.0)
        out.append(sens)
    return out


def sensitivity(estimate: Estimate, catalog: Catalog | None = None, name: str | None = None) -> Sensitivity:
    """How the cost of `estimate`'s scenario moves when MFU, price, tokens and epochs move (one at a time)."""
    return sensitivities([estimate], catalog or estimate.catalog, [name])[0]
