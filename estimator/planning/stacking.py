"""Build given columns: spread the Given of each distinct catalog entry to the rows that use it."""

from __future__ import annotations

from typing import Any

import numpy as np

from estimator.planning.engine import Given


def _is_text(values: list[Any]) -> bool:
    return any(isinstance(v, str) for v in values)


def _array(values: list[Any]) -> np.ndarray:
    """Distinct values as an array; values of different lengths (price lists, length tables) padded with NaN."""
    if _is_text(values):
        out = np.empty(len(values), dtype=object)
        out[:] = [None if isinstance(v, float) and v != v else v for v in values]
        return out
    shapes = {np.shape(v) for v in values}
    if shapes == {()}:
        return np.asarray(values, dtype=float)
    width = max(np.size(v) for v in values)
    out = np.full((len(values), width), np.nan)
    for i, v in enumerate(values):
        flat = np.atleast_1d(np.asarray(v, dtype=float)).reshape(-1)
        out[i, : flat.size] = flat
    return out


def stack(dicts: list[dict[str, Given]], codes: np.ndarray) -> dict[str, Given]:
    """{quantity: Given} per distinct entry + the entry of each row -> {quantity: Given over rows}.

    One distinct entry gives the scalar Given unchanged; several give a column with one variant per entry.
    A quantity an entry lacks is NaN on its rows.
    """
    if len(dicts) == 1:
        return dict(dicts[0])
    keys = list(dict.fromkeys(k for d in dicts for k in d))
    out = {}
    for key in keys:
        variants = tuple(d.get(key, Given(np.nan, formula=f"{key} not available", source="not available"))
                         for d in dicts)
        values = _array([v.value for v in variants])
        first = next((d[key] for d in dicts if key in d), variants[0])
        out[key] = Given(values[codes], first.unit, "per row", first.kind, "per row", (),
                         tuple(Given(None, v.unit, v.source, v.kind, v.formula, v.origins) for v in variants), codes,
                         partial=any(v.partial for v in variants))
    return out


def column_given(rows, field: str, unit: str, kind: str, formula: str) -> Given:
    """A text field of the rows (method, dtype, ...) as a Given (scalar when every row agrees)."""
    values, codes = rows.text[field]
    if len(values) == 1:
        return Given(values[0], unit, "scenario", kind, formula)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return Given(out[codes], unit, "scenario", kind, formula)


def number_given(values: np.ndarray, unit: str, formula: str) -> Given | None:
    """A number the rows may give (NaN where not): None if no row gives it; partial where some do."""
    values = np.asarray(values, dtype=float)
    if np.isnan(values).all():
        return None
    if np.ndim(values) and (values == values[0]).all():
        return Given(float(values[0]), unit, "scenario", "input", formula)
    return Given(values, unit, "scenario", "input", formula, partial=bool(np.isnan(values).any()))


def override_column(value: Any) -> Any:
    """An override as the engine takes it: a plain value, or a partial Given where only some rows set it."""
    if isinstance(value, np.ndarray) and value.ndim:
        if value.dtype == object:
            missing = np.array([v is None for v in value])
        else:
            missing = np.isnan(value.astype(float))
        if missing.any():
            return Given(value, kind="override", partial=True)
    return value
