"""The one resolution: scenario rows -> given columns from the catalog -> one pass of the rules.

Every estimate, compare route, grid point, sensitivity perturbation and Monte Carlo draw is a
row here. Catalog lookups happen once per distinct value (model, GPU and precision, provider
and tier, energy region, dataset) and are spread to rows by code; the engine then evaluates
the rules over the columns. Hosted-API rows and GPU rows form two parts (different targets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimator.catalog.loader import Catalog
from estimator.errors import EstimatorError
from estimator.planning import assumptions as at
from estimator.planning.engine import Step, evaluate, row_of
from estimator.planning.parts import API_OUTPUTS, GPU_OUTPUTS, Part, common_givens, dataset_columns
from estimator.planning.stacking import number_given, override_column
from estimator.rules import REGISTRY


class RowNotes:
    """Warnings per row, without a Python list per row until one is asked for: a note shared by every row of a
    distinct catalog entry is stored once with the rows it applies to."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.groups: list[tuple[np.ndarray, list[str]]] = []  # (row mask, notes)
        self.rows: dict[int, list[str]] = {}

    def add(self, rows: np.ndarray, notes: list[str]) -> None:
        """Add `notes` to every row in the integer array `rows` (once each)."""
        if not notes or not len(rows):
            return
        mask = np.zeros(self.n, dtype=bool)
        mask[rows] = True
        for i in [i for i in self.rows if mask[i]]:
            self.rows[i] += [w for w in notes if w not in self.rows[i]]
        self.groups.append((mask, list(notes)))

    def __getitem__(self, i: int) -> list[str]:
        if i not in self.rows:
            out: list[str] = []
            for mask, notes in self.groups:
                if mask[i]:
                    out += [w for w in notes if w not in out]
            self.rows[i] = out
        return self.rows[i]


@dataclass
class Resolution:
    """The values of every row, the trace behind them, and each row's error and warnings."""

    rows: Any  # Rows
    cat: Catalog
    specs: list[Any]  # per distinct model value (None where it failed)
    model_codes: np.ndarray
    errors: list[EstimatorError | None]
    warnings: RowNotes
    profiles: list[Any]
    parts: list[Part] = field(default_factory=list)
    adopted: dict[int, dict[str, Any]] = field(default_factory=dict)  # row -> settings taken so that it fits

    def locate(self, i: int) -> tuple[Part, int] | tuple[None, None]:
        for part in self.parts:
            hit = np.flatnonzero(part.index == i)
            if hit.size:
                return part, int(hit[0])
        return None, None

    def values(self, i: int) -> dict[str, Any]:
        part, j = self.locate(i)
        if part is None:
            return {}
        return {k: _at(v, j) for k, v in part.ev.values.items()}

    def trace(self, i: int) -> list[Step]:
        """Row i's steps, dependencies first; a rule that picks a branch shows only the branch this row took."""
        part, j = self.locate(i)
        if part is None:
            return []
        steps = {name: step.at(j) for name, step in part.ev.steps.items()}
        values = {name: s.value for name, s in steps.items()}
        ordered: list[Step] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name not in steps:
                return
            seen.add(name)
            step = steps[name]
            rule = REGISTRY.rules.get(name)
            inputs = step.inputs
            if step.kind == "rule" and rule is not None and rule.uses is not None:
                inputs = rule.uses({k: values.get(k) for k in rule.inputs})
                step = Step(step.name, step.value, step.unit, step.kind, step.formula, tuple(inputs), step.source)
            for dep in inputs:
                visit(dep)
            ordered.append(step)

        for t in part.targets:
            visit(t)
        return ordered

    def column(self, name: str, dtype: Any = float) -> np.ndarray:
        """One quantity for every row (NaN where a row's part does not compute it, or failed)."""
        out = np.full(self.rows.n, np.nan if dtype is float else None, dtype=dtype)
        for part in self.parts:
            if name in part.ev.values:
                value = np.asarray(part.ev.values[name], dtype=dtype)
                out[part.index] = np.broadcast_to(value.reshape(-1) if value.size == 1 else value, part.index.shape)
        return out

    def kind(self) -> np.ndarray:
        out = np.full(self.rows.n, "", dtype=object)
        for part in self.parts:
            out[part.index] = part.kind
        return out


def _at(value: Any, j: int) -> Any:
    return row_of(value, j)


def resolve(rows, cat: Catalog, *, extra_targets: tuple[str, ...] = (), adopt: bool = True) -> Resolution:
    """Evaluate every row of `rows` through the rules in one pass per kind (GPU, hosted API).

    adopt: rows that do not fit in memory take the first setting that makes them fit (plan/adopt.py).
    """
    from estimator.planning.models import method_error, model_for

    n = rows.n
    errors: list[EstimatorError | None] = [None] * n
    warnings = RowNotes(n)
    models, model_codes = rows.text["model"]
    specs, spec_warnings = [], []
    for m in models:
        try:
            spec, w = model_for(m, cat)
        except EstimatorError as exc:
            spec, w = exc, []
        specs.append(spec)
        spec_warnings.append(w)
    methods = rows.column("method")
    method_codes = rows.text["method"][1]
    pairs, pair_codes = np.unique(model_codes * len(rows.text["method"][0]) + method_codes, return_inverse=True)
    for p, pair in enumerate(pairs):
        spec, method = specs[pair // len(rows.text["method"][0])], rows.text["method"][0][pair % len(rows.text["method"][0])]
        err = spec if isinstance(spec, EstimatorError) else method_error(spec, method, cat)
        if err is not None:
            for i in np.flatnonzero(pair_codes.reshape(-1) == p):
                errors[i] = err
    for c, w in enumerate(spec_warnings):
        warnings.add(np.flatnonzero(model_codes == c), w)
    specs = [None if isinstance(s, EstimatorError) else s for s in specs]
    res = Resolution(rows, cat, specs, model_codes, errors, warnings, [None] * n)
    ok = np.array([e is None for e in errors])
    api = ok & (methods == "api")
    gpu = ok & (methods != "api")
    if gpu.any():
        from estimator.planning.gpu_rows import gpu_part

        part = gpu_part(res, np.flatnonzero(gpu), extra_targets)
        if part is not None:
            res.parts.append(part)
    if api.any():
        from estimator.planning.api_rows import api_part

        res.parts.append(api_part(res, np.flatnonzero(api)))
    if adopt and gpu.any():
        from estimator.planning.adopt import adopt_fitting_settings

        return adopt_fitting_settings(res, lambda r, c, adopt: resolve(r, c, extra_targets=extra_targets, adopt=adopt))
    return res


__all__ = ["API_OUTPUTS", "GPU_OUTPUTS", "Part", "Resolution", "at", "common_givens", "dataset_columns",
           "evaluate", "number_given", "override_column", "resolve"]
