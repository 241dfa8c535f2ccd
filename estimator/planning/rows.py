"""Scenarios as columns: one row per scenario, so one engine pass evaluates them all.

Text fields (method, model, GPU, provider, tier, region, dtype, dataset) are stored as a list
of distinct values plus one code per row, so that catalog lookups happen once per distinct
value (or combination) however many rows there are. Numbers are float columns, NaN where a
row does not give them. Overrides are a scalar (the same on every row) or a column with
NaN/None on the rows that do not set them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.planning.scenario import Scenario

TEXT_FIELDS = ("method", "model", "gpu", "provider", "tier", "region", "dtype", "dataset", "packing")
NUMBER_FIELDS = ("tokens", "epochs", "gpus", "deadline_hours")


def _key(value: Any) -> Any:
    """A hashable stand-in for a field value (inline model dicts, dataset path lists, profiles)."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, (str, bytes)):
        return ("object", id(value))
    return value


def encode(values: list[Any]) -> tuple[list[Any], np.ndarray]:
    """(distinct values, code per row)."""
    distinct: list[Any] = []
    index: dict[Any, int] = {}
    codes = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        k = _key(v)
        if k not in index:
            index[k] = len(distinct)
            distinct.append(v)
        codes[i] = index[k]
    return distinct, codes


@dataclass
class Rows:
    n: int
    text: dict[str, tuple[list[Any], np.ndarray]]
    numbers: dict[str, np.ndarray]
    overrides: dict[str, Any] = field(default_factory=dict)
    names: Any = None  # list or array of row names (or None)

    @classmethod
    def from_scenarios(cls, scenarios: list[Scenario], overrides: list[dict[str, Any]] | None = None) -> Rows:
        """Rows from scenarios; `overrides` are each scenario's checked overrides (default: as given)."""
        n = len(scenarios)
        over = overrides if overrides is not None else [dict(s.overrides) for s in scenarios]
        values = {f: [getattr(s, f) for s in scenarios] for f in TEXT_FIELDS if f != "dtype"}
        values["dtype"] = [o.get("dtype") for o in over]
        text = {f: encode(v) for f, v in values.items()}
        numbers = {f: np.array([np.nan if getattr(s, f) is None else float(getattr(s, f)) for s in scenarios])
                   for f in NUMBER_FIELDS}
        keys = list(dict.fromkeys(k for o in over for k in o if k != "dtype"))
        columns: dict[str, Any] = {}
        for k in keys:
            col = [o.get(k) for o in over]
            if all(k in o for o in over) and len({_key(v) for v in col}) == 1:
                columns[k] = col[0]
            elif all(v is None or isinstance(v, str) for v in col):
                columns[k] = np.array(col, dtype=object)
            else:
                columns[k] = np.array([np.nan if v is None else float(v) for v in col])
        return cls(n, text, numbers, columns, [s.name for s in scenarios])

    def column(self, name: str) -> np.ndarray:
        values, codes = self.text[name]
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out[codes]

    def distinct(self, *names: str) -> tuple[list[tuple[Any, ...]], np.ndarray]:
        """Distinct combinations of text fields (as values) and the combination code of each row."""
        sizes = [len(self.text[f][0]) for f in names]
        combined = np.zeros(self.n, dtype=np.int64)
        for f, size in zip(names, sizes):
            combined = combined * size + self.text[f][1]
        uniq, codes = np.unique(combined, return_inverse=True)
        combos = []
        for u in uniq:
            parts = []
            for f, size in reversed(list(zip(names, sizes))):
                parts.append(self.text[f][0][u % size])
                u //= size
            combos.append(tuple(reversed(parts)))
        return combos, codes.reshape(-1)

    def take(self, idx: np.ndarray) -> Rows:
        """The rows at `idx` (codes kept; distinct values shared)."""
        text = {f: (v, c[idx]) for f, (v, c) in self.text.items()}
        numbers = {f: a[idx] for f, a in self.numbers.items()}
        over = {k: (v[idx] if isinstance(v, np.ndarray) and v.ndim else v) for k, v in self.overrides.items()}
        names = None if self.names is None else np.asarray(self.names, dtype=object)[idx]
        return Rows(len(idx), text, numbers, over, names)

    def repeat(self, i: int, count: int) -> Rows:
        """Row `i` repeated `count` times (for draws and perturbations)."""
        return self.take(np.full(count, i, dtype=np.int64))

    def overrides_at(self, i: int) -> dict[str, Any]:
        """The overrides row `i` sets (dtype included)."""
        out = {}
        for k, v in self.overrides.items():
            if isinstance(v, np.ndarray) and v.ndim:
                v = v[i]
                if v is None or (isinstance(v, float) and v != v):
                    continue
                v = v.item() if isinstance(v, np.generic) else v
            out[k] = v
        dtype = self.text["dtype"][0][self.text["dtype"][1][i]]
        if dtype is not None:
            out["dtype"] = dtype
        return out

    def scenario(self, i: int) -> Scenario:
        """Row `i` as a Scenario."""
        text = {f: self.text[f][0][self.text[f][1][i]] for f in TEXT_FIELDS if f != "dtype"}
        numbers = {f: (None if np.isnan(self.numbers[f][i]) else float(self.numbers[f][i])) for f in NUMBER_FIELDS}
        if numbers["gpus"] is not None:
            numbers["gpus"] = int(numbers["gpus"])
        name = None if self.names is None else self.names[i]
        return Scenario(**text, **numbers, overrides=self.overrides_at(i), name=name)

    def with_overrides(self, per_row: dict[int, dict[str, Any]]) -> Rows:
        """A copy where row i also sets per_row[i] (settings no row set before stay unset elsewhere)."""
        over = dict(self.overrides)
        for key in {k for o in per_row.values() for k in o}:
            current = over.get(key)
            text = any(isinstance(o.get(key), str) for o in per_row.values())
            if isinstance(current, np.ndarray) and current.ndim:
                col = current.astype(object if text or current.dtype == object else float).copy()
            elif current is not None:
                col = np.full(self.n, current, dtype=object if text else float)
            else:
                col = np.full(self.n, None if text else np.nan, dtype=object if text else float)
            for i, o in per_row.items():
                if key in o:
                    col[i] = o[key]
            over[key] = col
        return Rows(self.n, self.text, self.numbers, over, self.names)
