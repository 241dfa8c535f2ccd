"""Evaluate a cross product of scenario values in one vectorised pass through the rules."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from estimator.catalog.bounds import check_value
from estimator.catalog.loader import Catalog
from estimator.errors import ConfigurationError, EstimatorError
from estimator.plan.checks import fits as fits_in_memory
from estimator.plan.engine import Given, evaluate
from estimator.plan.estimation import prepare
from estimator.plan.givens import OWNED, energy_givens, hardware_givens
from estimator.plan.providers import deadline_provider
from estimator.plan.scenario import TIERS, Scenario
from estimator.rules import REGISTRY
from estimator.units import parse_duration_hours, parse_number

SCENARIO_FIELDS = ("method", "model", "tokens", "epochs", "gpu", "gpus", "deadline", "provider", "tier", "region",
                   "dataset", "name")
OUTER = ("method", "model", "dataset")
COLUMNS = ["method", "model", "gpu", "provider", "tier", "gpus", "fits", "train_tokens", "train_flops",
           "memory_per_gpu_gb", "mfu", "wall_clock_hours", "wall_clock_days", "gpu_hours", "price_usd_per_gpu_hour",
           "cost_usd", "energy_kwh", "co2_kg", "tokens_vs_optimal"]


def split_fields(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Scenario fields vs overrides: any other key is an assumption or quantity override; a nested
    `set:` (or `overrides:`) mapping holds overrides too. A near-miss of a field name is an error."""
    import difflib

    fields = {k: v for k, v in values.items() if k in SCENARIO_FIELDS}
    overrides: dict[str, Any] = {}
    for key, value in values.items():
        if key in SCENARIO_FIELDS:
            continue
        if key in ("set", "overrides"):
            if not isinstance(value, dict):
                raise ConfigurationError(f"'{key}' must map assumption names to values")
            overrides |= value
            continue
        close = difflib.get_close_matches(str(key), SCENARIO_FIELDS, n=1, cutoff=0.75)
        if close and key not in SCENARIO_FIELDS:
            from estimator.catalog.loader import load_catalog

            if key not in load_catalog().assumptions:
                raise ConfigurationError(f"unknown key '{key}'; did you mean '{close[0]}'? (scenario fields: "
                                         f"{', '.join(SCENARIO_FIELDS)}; or an assumption name such as mfu)")
        overrides[key] = value
    return fields, overrides


def scenario_from(values: dict[str, Any]) -> Scenario:
    fields, overrides = split_fields(values)
    if "deadline" in fields:
        fields["deadline_hours"] = fields.pop("deadline")
    return Scenario(**fields, overrides=overrides)


def evaluate_grid(base: dict[str, Any], grid: dict[str, list[Any]], cat: Catalog):
    """Every combination of `grid` values applied over `base`; one vectorised engine pass per (method, model).

    Returns a pandas DataFrame, one row per grid point (COLUMNS plus the varied keys). Rows that do not
    fit in memory have fits=False and NaN time and cost.
    """
    import pandas as pd

    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigurationError(f"grid '{key}' must be a non-empty list")
    # with a dataset, the token count depends on the packing length: evaluate those per value
    outer_keys = OUTER + (("seq_len", "micro_batch") if base.get("dataset") or "dataset" in grid else ())
    outer = [k for k in grid if k in outer_keys]
    inner = {k: v for k, v in grid.items() if k not in outer}
    frames = []
    for combo in itertools.product(*(grid[k] for k in outer)):
        frame = _one_pass(base | dict(zip(outer, combo)), inner, cat)
        varied = {k: v for k, v in zip(outer, combo) if k not in ("method", "model")}
        for key, value in varied.items():
            frame[key] = str(value) if key == "dataset" else value
        if varied:
            prefix = ", ".join(f"{k}={_label(v)}" for k, v in varied.items())
            frame["name"] = [n.replace("grid", f"grid: {prefix}", 1) if n == "grid" else
                             n.replace("grid: ", f"grid: {prefix}, ", 1) for n in frame["name"]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _column(values: list[Any], index: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)[index]


def _one_pass(base: dict[str, Any], inner: dict[str, list[Any]], cat: Catalog):
    import pandas as pd

    names = list(inner)
    sizes = [len(inner[k]) for k in names]
    n = math.prod(sizes)
    index = np.indices(sizes).reshape(len(names), -1) if names else np.zeros((0, 1), dtype=int)
    first = base | {k: inner[k][0] for k in names}
    scenario = scenario_from(first)
    if scenario.method == "api":
        return _api_pass(base, inner, names, index, cat)
    p = prepare(scenario, cat)
    cols: dict[str, np.ndarray] = {k: _column(inner[k], index[i]) for i, k in enumerate(names)}

    gpu_ids = np.full(n, p.hw.id, dtype=object)
    if "gpu" in cols:
        gpu_ids = np.array([cat.gpu(g).id for g in inner["gpu"]], dtype=object)[index[names.index("gpu")]]
        per_gpu = {g: hardware_givens(cat.gpu(g), "", p.dtype) for g in set(gpu_ids)}
        for key in ("gpu_memory_gb", "peak_tflops", "tdp_w", "gpu_generation", "gpu_vendor"):
            values = np.array([per_gpu[g][key].value for g in gpu_ids],
                              dtype=object if key.startswith("gpu_g") or key == "gpu_vendor" else float)
            p.given[key] = Given(values, p.given[key].unit, "hardware table (varies by row)", "catalog", f"{key} per GPU")
    for tier in inner.get("tier", []):
        if tier not in TIERS:
            raise ConfigurationError(f"grid tier '{tier}': choose one of {', '.join(TIERS)}")
    providers_col = cols.get("provider", np.full(n, scenario.provider, dtype=object))
    tiers_col = cols.get("tier", np.full(n, scenario.tier, dtype=object))
    owned = np.array([str(v).lower() == OWNED for v in providers_col])
    if {"gpu", "provider", "tier"} & set(cols):
        cache: dict[tuple[Any, Any, Any], float] = {}
        prices = np.full(n, np.nan)
        for i, key in enumerate(zip(gpu_ids, providers_col, tiers_col)):
            if owned[i]:
                continue
            if key not in cache:
                try:
                    cache[key] = cat.price(key[0], key[1], key[2])[0]
                except EstimatorError:  # no such price: the row gets no cost
                    cache[key] = float("nan")
            prices[i] = cache[key]
        p.given["price_usd_per_gpu_hour"] = Given(prices, "USD/GPU-hour", "price table (varies by row)", "catalog",
                                                  "price per (gpu, provider, tier)")
        owned_rows = owned
    else:
        owned_rows = owned if OWNED == str(scenario.provider or "").lower() and "gpu" in cols else np.zeros(n, bool)
    if "region" in cols:
        per_region = {r: energy_givens(cat, r) for r in set(cols["region"])}
        for key in ("pue", "grid_kgco2_per_kwh", "electricity_usd_per_kwh"):
            p.given[key] = Given(np.array([per_region[r][key].value for r in cols["region"]], dtype=float),
                                 p.given[key].unit, "energy table (varies by row)", "catalog", key)
    if owned_rows.any():
        _owned_prices(p, cat, gpu_ids, owned_rows, n)
    for key in ("tokens", "epochs", "gpus"):
        if key in cols:
            values = np.array([_grid_number(key, v) for v in inner[key]], dtype=float)
            if (values <= 0).any() or (key == "gpus" and (values != np.round(values)).any()):
                raise ConfigurationError(f"grid '{key}' must hold positive {'whole ' if key == 'gpus' else ''}numbers")
            p.given[key] = Given(values[index[names.index(key)]], "", "grid", "input", key)
    if "deadline" in cols:
        hours = np.array([_grid_number("deadline", v, parse_duration_hours) for v in inner["deadline"]],
                         dtype=float)[index[names.index("deadline")]]
        if (hours <= 0).any():
            raise ConfigurationError("grid 'deadline' must hold positive durations")
        p.providers["gpus"] = deadline_provider(cat, hours, p.given, p.overrides, p.providers)
        p.given.pop("gpus", None)
    for key in names:
        if key not in SCENARIO_FIELDS:
            values = check_value(key, np.asarray(inner[key], dtype=object), cat, "grid")
            p.overrides[key] = np.asarray(values)[index[names.index(key)]]
    ev = evaluate(REGISTRY, p.targets, p.given, p.overrides, p.providers)
    v = {k: np.broadcast_to(np.asarray(ev.values[k]), (n,)) for k in p.targets if k in ev.values}
    fits = fits_in_memory(v)
    # rows are the cartesian product in C order (np.indices), the same order as itertools.product
    parts = [[f"{k}={_label(v)}" for v in inner[k]] for k in names]
    labels = [", ".join(t) for t in itertools.product(*parts)] if names else [""] * n
    frame = pd.DataFrame({
        "name": [f"grid: {lab}" if lab else "grid" for lab in labels],
        "method": scenario.method, "model": p.spec.id, "gpu": gpu_ids, "provider": providers_col, "tier": tiers_col,
        "gpus": v["gpus"].astype(float), "fits": fits,
        **{k: v[k] for k in COLUMNS if k in v and k not in ("gpus",)},
    })
    for key in ("wall_clock_hours", "wall_clock_days", "gpu_hours", "cost_usd", "energy_kwh", "co2_kg"):
        frame.loc[~fits, key] = np.nan
    for key in names:
        if key not in frame.columns:
            frame[key] = cols[key]
    return frame


def _grid_number(key: str, value: Any, parse=parse_number) -> float:
    if isinstance(value, bool) or value is None:
        raise ConfigurationError(f"grid '{key}': {value!r} is not a number")
    try:
        return parse(value)
    except ValueError as exc:
        raise ConfigurationError(f"grid '{key}': {exc}") from None


def _owned_prices(p, cat: Catalog, gpu_ids: np.ndarray, rows: np.ndarray, n: int) -> None:
    """Owned GPUs in a grid: the owned-price rule per row (purchase ÷ life + energy), NaN without a purchase price."""
    from estimator.plan.assumptions import lookup
    from estimator.rules.cost import price_usd_per_gpu_hour as owned_price

    def value(name: str) -> float:
        if name in p.overrides:
            return p.overrides[name]
        return lookup(cat.assumption(name), name, {}).value

    purchase = p.overrides.get("purchase_usd_per_gpu")
    per_gpu = np.array([purchase if purchase is not None else (cat.gpu(g).purchase_usd or np.nan) for g in gpu_ids],
                       dtype=float)
    b = {k: np.broadcast_to(np.asarray(p.given[k].value, dtype=float), (n,)) for k in
         ("tdp_w", "pue", "electricity_usd_per_kwh")}
    current = p.given.get("price_usd_per_gpu_hour")
    prices = np.broadcast_to(np.asarray(current.value if current else np.nan, dtype=float), (n,)).copy()
    prices[rows] = owned_price(per_gpu, value("amortization_years"), value("owned_utilization"), b["tdp_w"], b["pue"],
                               b["electricity_usd_per_kwh"])[rows]
    p.given["price_usd_per_gpu_hour"] = Given(prices, "USD/GPU-hour", "price table, or purchase ÷ life + energy for "
                                              "owned rows", "catalog", "price per row")


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _api_pass(base: dict[str, Any], inner: dict[str, list[Any]], names: list[str], index: np.ndarray, cat: Catalog):
    """API scenarios are cheap: evaluate each grid point through the scalar path."""
    import pandas as pd

    from estimator.plan.estimation import estimate_scenario

    rows = []
    for j in range(index.shape[1] if names else 1):
        point = base | {k: inner[k][index[i, j]] for i, k in enumerate(names)}
        e = estimate_scenario(scenario_from(point), cat)
        label = ", ".join(f"{k}={_label(point[k])}" for k in names)
        rows.append({"name": f"grid: {label}" if label else "grid", "method": "api", "model": e.model_id, "fits": True,
                     "cost_usd": e.cost_usd,
                     "billed_tokens": e.values["billed_tokens"]} | {k: point[k] for k in names})
    return pd.DataFrame(rows)
