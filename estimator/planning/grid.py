"""Scenario grids: the cross product of values as rows of one resolution (the same path as a single estimate)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.choices import TIERS
from estimator.errors import ConfigurationError, close_matches
from estimator.planning.limits import DEFAULT_MAX_ROWS, check_grid_size
from estimator.planning.rows import NUMBER_FIELDS, TEXT_FIELDS, Rows, encode
from estimator.planning.scenario import Scenario

SCENARIO_FIELDS = ("method", "model", "tokens", "epochs", "gpu", "gpus", "deadline", "provider", "tier", "region",
                   "dataset", "name", "packing")
COLUMNS = ["method", "model", "gpu", "provider", "tier", "gpus", "fits", "train_tokens", "train_flops",
           "memory_per_gpu_gb", "mfu", "wall_clock_hours", "wall_clock_days", "gpu_hours", "gpu_days",
           "price_usd_per_gpu_hour", "cost_usd", "energy_kwh", "co2_kg", "tokens_vs_optimal", "billed_tokens", "epochs"]
NOT_FITTING = ("wall_clock_hours", "wall_clock_days", "gpu_hours", "gpu_days", "cost_usd", "energy_kwh", "co2_kg")
MAX_ROWS = DEFAULT_MAX_ROWS


def split_fields(values: dict[str, Any], cat: Catalog | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Scenario fields vs overrides: any other key is an assumption or quantity override; a nested
    `set:` (or `overrides:`) mapping holds overrides too. A near-miss of a field name is an error."""
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
        close = close_matches(str(key), SCENARIO_FIELDS, n=1, cutoff=0.75)
        if close:
            if cat is None:
                from estimator.catalog.loader import load_catalog

                cat = load_catalog()
            if key not in cat.assumptions:
                raise ConfigurationError(f"unknown key '{key}'; did you mean '{close[0]}'? (scenario fields: "
                                         f"{', '.join(SCENARIO_FIELDS)}; or an assumption name such as mfu)")
        overrides[key] = value
    return fields, overrides


def scenario_from(values: dict[str, Any], cat: Catalog | None = None) -> Scenario:
    fields, overrides = split_fields(values, cat)
    missing = [k for k in ("method", "model") if k not in fields]
    if missing:
        raise ConfigurationError(f"no '{missing[0]}' given (in the scenario or in 'defaults')")
    if "deadline" in fields:
        fields["deadline_hours"] = fields.pop("deadline")
    return Scenario(**fields, overrides=overrides)


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def grid_rows(base: dict[str, Any], grid: dict[str, list[Any]], cat: Catalog, max_rows: int = MAX_ROWS) -> Rows:
    """The cross product of `grid` over `base` as Rows (C order, like itertools.product of the values)."""
    from estimator.catalog.bounds import check_value

    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigurationError(f"grid '{key}' must be a non-empty list")
    for key in ("tokens", "epochs", "gpus", "deadline"):
        for v in grid.get(key, []):
            if isinstance(v, bool) or v is None:
                raise ConfigurationError(f"grid '{key}': {v!r} is not a number")
    for tier in grid.get("tier", []):
        if tier not in TIERS:
            raise ConfigurationError(f"grid tier '{tier}': choose one of {', '.join(TIERS)}")
    sizes = [len(v) for v in grid.values()]
    n = check_grid_size(grid, max_rows)
    names = list(grid)
    index = np.indices(sizes).reshape(len(names), -1) if names else np.zeros((0, 1), dtype=np.int64)
    # every value of every key must make a valid scenario with the base (types, ranges, ids checked once each)
    first = scenario_from(base | {k: grid[k][0] for k in names}, cat)
    per_key: dict[str, list[Scenario]] = {}
    for key in names:
        per_key[key] = [scenario_from(base | {k: grid[k][0] for k in names} | {key: v}, cat) for v in grid[key]]
    def provider(v: str) -> None:
        if v.lower() != "owned":
            cat._lookup("provider", {p: None for p in cat.providers()}, v)

    for key, find in (("gpu", cat.gpu), ("model", cat.model), ("region", cat.energy_region), ("provider", provider)):
        for v in grid.get(key, []):  # a typo in an id is an error, not a row that "does not fit"
            if isinstance(v, str):
                find(v)
            elif not (key == "model" and isinstance(v, dict)):
                raise ConfigurationError(f"grid '{key}': {v!r} is not an id")
    for key in ("gpus", "epochs"):  # the bounds --gpus, --set gpus= and scenario files obey
        values = [getattr(s, key) for s in per_key.get(key, [first])]
        if any(v is not None for v in values):
            check_value(key, [np.nan if v is None else v for v in values], cat, "grid")
    text: dict[str, tuple[list[Any], np.ndarray]] = {}
    numbers: dict[str, np.ndarray] = {}
    zeros = np.zeros(n, dtype=np.int64)
    field_of = {"deadline_hours": "deadline"}
    for f in TEXT_FIELDS:
        if f == "dtype":
            continue
        key = field_of.get(f, f)
        if key in per_key:
            values, codes = encode([getattr(s, f) for s in per_key[key]])
            text[f] = (values, codes[index[names.index(key)]])
        else:
            text[f] = ([getattr(first, f)], zeros)
    for f in NUMBER_FIELDS:
        key = field_of.get(f, f)
        if key in per_key:
            col = np.array([np.nan if getattr(s, f) is None else float(getattr(s, f)) for s in per_key[key]])
            numbers[f] = col[index[names.index(key)]]
        else:
            numbers[f] = np.full(n, np.nan if getattr(first, f) is None else float(getattr(first, f)))
    overrides: dict[str, Any] = {k: check_value(k, v, cat, "grid") for k, v in first.overrides.items()
                                 if k not in names}
    text["dtype"] = ([overrides.pop("dtype", None)], zeros)
    for key in names:
        if key in SCENARIO_FIELDS:
            continue
        checked = [check_value(key, v, cat, "grid") for v in grid[key]]
        if key == "dtype":  # the precision picks the hardware peak: a text field, not an override
            values, codes = encode(checked)
            text["dtype"] = (values, codes[index[names.index(key)]])
            continue
        col = np.array(checked, dtype=object if any(isinstance(v, str) for v in checked) else float)
        overrides[key] = col[index[names.index(key)]]
    parts = [[f"{k}={_label(v)}" for v in grid[k]] for k in names]
    labels = [", ".join(t) for t in itertools.product(*parts)] if names else [""] * n
    row_names = [f"grid: {lab}" if lab else "grid" for lab in labels]
    return Rows(n, text, numbers, overrides, row_names)


def evaluate_grid(base: dict[str, Any], grid: dict[str, list[Any]], cat: Catalog, max_rows: int = MAX_ROWS):
    """Every combination of `grid` values applied over `base`, resolved like single estimates in one pass.

    Returns a pandas DataFrame, one row per grid point (COLUMNS plus the varied keys, and `error` for a
    point that cannot be estimated). Points that do not fit in memory have fits=False and NaN time and cost.
    """
    from estimator.planning.resolution import resolve

    rows = grid_rows(base, grid, cat, max_rows)
    return frame_of(resolve(rows, cat), list(grid), release=True)


def frame_of(res, varied: list[str], release: bool = False):
    """A resolution as a DataFrame (one row per scenario row). release: drop the resolution's other columns as
    soon as the table's are taken (a million-row grid holds ~100 quantities)."""
    import pandas as pd

    from estimator.planning.checks import IDLE_GPUS, idle_gpus
    from estimator.planning.checks import fits as fits_in_memory

    rows = res.rows
    kind = res.kind()
    ids = np.array([s.id if s is not None else None for s in res.specs], dtype=object)[res.model_codes]
    from estimator.planning.givens import DEFAULT_GPU

    methods = rows.column("method")
    values, codes = rows.text["gpu"]
    canonical = np.empty(len(values), dtype=object)
    for k, v in enumerate(values):
        try:
            canonical[k] = res.cat.gpu(v or DEFAULT_GPU).id
        except Exception:  # noqa: BLE001 - an unknown id: the row carries that error
            canonical[k] = v
    gpu_ids = np.where(methods == "api", None, canonical[codes])
    data: dict[str, Any] = {"name": rows.names, "method": methods, "model": ids, "gpu": gpu_ids,
                            "provider": rows.column("provider"), "tier": np.where(kind == "api", None, rows.column("tier"))}
    for key in COLUMNS:
        if key not in data and key != "fits":
            data[key] = res.column(key)
    api_cost = res.column("api_cost_usd")
    data["cost_usd"] = np.where(kind == "api", api_cost, data["cost_usd"])
    fits = np.ones(rows.n, dtype=bool)
    for part in res.parts:
        if part.kind == "gpu":
            fits[part.index] = np.broadcast_to(fits_in_memory(part.ev.values), part.index.shape)
    fits &= np.array([e is None for e in res.errors])
    data["fits"] = fits
    idle = np.zeros(rows.n, dtype=bool)  # the one sanity check a grid carries per row (checks.idle_gpus)
    for part in res.parts:
        if part.kind == "gpu":
            v = part.ev.values
            idle[part.index] = np.broadcast_to(idle_gpus(v["gpus"], v["micro_batch"], v["train_tokens"], v["seq_len"]),
                                               part.index.shape)
    data["warnings"] = np.where(idle & fits, IDLE_GPUS, None)
    if release:
        for part in res.parts:
            part.ev.values.clear()
            part.ev.steps.clear()
    data["tokens_vs_optimal"] = np.where(data["method"] == "pretrain", data["tokens_vs_optimal"], np.nan)
    data["epochs"] = np.where(data["method"] == "pretrain", np.nan, data["epochs"])  # as compare's table: none for pretraining
    frame = pd.DataFrame(data)
    frame.loc[~fits, list(NOT_FITTING)] = np.nan
    frame["error"] = [None if e is None else str(e) for e in res.errors]
    for key in varied:
        if key not in frame.columns:
            col = rows.overrides.get(key)
            if col is None:
                field = "deadline_hours" if key == "deadline" else key
                col = rows.numbers[field] if field in rows.numbers else rows.column(field)
            frame[key] = col if key != "dataset" else [str(v) for v in col]
    return frame


def grid(base: dict[str, Any], values: dict[str, list[Any]], *, catalog: Any = None, max_rows: int = MAX_ROWS):
    """The cross product of `values` over the scenario `base` as a DataFrame, one row per point, each row equal to
    the single estimate with the same inputs (see docs/api.md). Keys are scenario fields or assumption names."""
    from estimator.planning.inputs import resolve_catalog

    return evaluate_grid(base, values, resolve_catalog(catalog), max_rows)
