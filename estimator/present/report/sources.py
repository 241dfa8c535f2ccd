"""The rows of the report's "Assumptions and sources" and "Method" sections, gathered from the Estimates'
trace steps. Dates and price rows come from each step's origins (the catalog rows and assumption tables
the engine read, with their `as_of`), never from the wording of a source string.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from estimator.present.report.facts import names, scalar
from estimator.units import si, usd

STALE_DAYS = 365
PRICE_QUANTITIES = ("price_usd_per_gpu_hour", "listed_usd_per_gpu_hour", "training_usd_per_1m_tokens",
                    "electricity_usd_per_kwh")
# quantities of the cost chain, in the order the method section explains them, with plain names
PLAIN = {
    "cost_usd": "Cost (USD)",
    "api_cost_usd": "Hosted API fee (USD)",
    "billed_tokens": "Billed tokens",
    "gpu_hours": "GPU-hours",
    "wall_clock_hours": "Training time (hours)",
    "train_flops": "Training compute (FLOP)",
    "train_tokens": "Training tokens",
    "mfu": "GPU utilisation (MFU)",
    "gpus": "Number of GPUs",
    "memory_per_gpu_gb": "Memory per GPU (GB)",
    "energy_kwh": "Energy (kWh)",
    "energy_cost_usd": "Electricity cost (USD)",
    "co2_kg": "CO2 (kg)",
}


def is_stale(as_of: str | None, today: dt.date | None = None) -> bool:
    """Older than 12 months (as in givens.price_given)."""
    if not as_of:
        return False
    parts = [int(p) for p in str(as_of).split("-")] + [1, 1]
    return ((today or dt.date.today()) - dt.date(parts[0], parts[1], parts[2])).days > STALE_DAYS


def step_as_of(step) -> str | None:
    """The as-of date of the catalog row or assumption table a trace step read (the engine records it in
    the step's origins); the oldest when the value was derived from several rows."""
    dates = sorted(str(o.as_of) for o in getattr(step, "origins", ()) if getattr(o, "as_of", None))
    return dates[0] if dates else None


def _value_text(value: Any, unit: str) -> str:
    if scalar(value) is not None:
        value = scalar(value)
        if unit.startswith("USD"):
            text = usd(value) if abs(value) >= 0.01 else f"${value:.4g}"
            return text + unit[3:].replace("/", " / ")
        text = si(value) if abs(value) >= 1e4 else f"{value:.4g}"
        return f"{text} {unit}".strip()
    return f"{value} {unit}".strip()


def _price_rows(step) -> list[tuple]:
    """The provider rows behind a listed GPU price: (name, value, unit, entry, source, as_of) each."""
    listed = [o for o in step.origins if o.table == "gpu_prices"]
    prices = np.atleast_1d(np.asarray(step.value, dtype=float)).reshape(-1)
    out = []
    for o, price in zip(listed, prices):
        provider, gpu, tier = o.row
        out.append((f"price_usd_per_gpu_hour [{provider}]", float(price), step.unit, f"{provider} {gpu} {tier}",
                    o.source, o.as_of))
    return out


def assumption_rows(comparison) -> list[dict[str, Any]]:
    """Every assumption, catalog value and override the estimates used: value, source, as-of, stale flag.
    Dates and price rows come from the trace steps' origins (the catalog rows the engine read)."""
    rows: dict[tuple, dict[str, Any]] = {}
    labels = names(comparison)
    for label, est in zip(labels, comparison.estimates):
        for step in est.steps:
            if step.kind not in ("assumption", "catalog", "override"):
                continue
            found = [(step.name, step.value, step.unit, step.formula, step.source, step_as_of(step))]
            if step.kind == "catalog" and step.name == "listed_usd_per_gpu_hour" and step.origins:
                providers = _price_rows(step)
                found = [(step.name, float(est.values["rental_usd_per_gpu_hour"]), step.unit, step.formula,
                          f"{len(providers)} provider price(s), listed below", None)] if len(providers) > 1 else []
                found += providers
            for name, value, unit, formula, source, as_of in found:
                key = (name, repr(value), formula, source)
                row = rows.setdefault(key, {
                    "quantity": name, "value": _value_text(value, unit), "kind": step.kind, "entry": formula,
                    "source": source, "as_of": as_of or "",
                    "stale": bool(name.split(" ")[0] in PRICE_QUANTITIES and is_stale(as_of)), "used_by": []})
                if label not in row["used_by"]:
                    row["used_by"].append(label)
    group = {"assumption": 1, "override": 0, "catalog": 2}
    out = sorted(rows.values(), key=lambda r: (r["quantity"].split(" ")[0] not in PRICE_QUANTITIES, group[r["kind"]]))
    for row in out:
        row["of"] = len(labels)
        row["all"] = len(row["used_by"]) == len(labels) > 1
    return out


def method_rows(comparison) -> list[dict[str, Any]]:
    """Each rule used once: quantity, plain name, unit, formula, source, which methods use it (cost chain first)."""
    rows: dict[str, dict[str, Any]] = {}
    for est in comparison.estimates:
        for step in est.steps:
            if step.kind != "rule":
                continue
            row = rows.setdefault(step.name, {"quantity": step.name, "plain": PLAIN.get(step.name, ""),
                                              "unit": step.unit, "formula": step.formula, "source": step.source,
                                              "methods": []})
            if est.method not in row["methods"]:
                row["methods"].append(est.method)
    order = list(PLAIN)
    return sorted(rows.values(), key=lambda r: order.index(r["quantity"]) if r["quantity"] in order else len(order))
