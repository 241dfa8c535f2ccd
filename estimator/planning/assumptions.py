"""Evaluate an assumption rule table (first match wins) on scalars or arrays."""

from __future__ import annotations

import operator
import re
from typing import Any

import numpy as np

from estimator.catalog.schema import Assumption
from estimator.errors import ConfigurationError
from estimator.planning.engine import Given, Origin

CMP = re.compile(r"^\s*(>=|<=|>|<|==|!=)\s*([-+0-9.eE]+)\s*$")
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne}


def condition_mask(actual: Any, wanted: Any) -> np.ndarray:
    """Where `actual` (scalar or array) satisfies one `when` condition."""
    arr = np.asarray(actual, dtype=object)
    if isinstance(wanted, list):
        return np.isin(arr, wanted)
    if isinstance(wanted, str):
        m = CMP.match(wanted)
        if m:
            return _OPS[m.group(1)](np.asarray(actual, dtype=float), float(m.group(2)))
    return arr == wanted


def origins(table: Assumption, name: str) -> tuple[Origin, ...]:
    """One Origin per rule of the table (row = 1-based rule number)."""
    return tuple(Origin(name, i + 1, r.source, table.as_of, tuple(r.range) if r.range else None)
                 for i, r in enumerate(table.rules))


def describe(table: Assumption, name: str, index: int) -> str:
    r = table.rules[index]
    when = ", ".join(f"{k} {v}" if isinstance(v, str) and CMP.match(v) else f"{k}={v}" for k, v in r.when.items())
    return f"table '{name}' rule {index + 1}" + (f" (when {when})" if when else " (default)")


def lookup(table: Assumption, name: str, facts: dict[str, Any]) -> Given:
    """First matching rule per element. Facts are scenario quantities (scalars or equal-length arrays).

    The Given carries every rule as an Origin and, per row, the index of the rule that matched.
    """
    shape = np.broadcast_shapes(*(np.shape(v) for v in facts.values())) if facts else ()
    is_str = isinstance(table.rules[0].value, str)
    result = np.full(shape, None if is_str else np.nan, dtype=object if is_str else float)
    codes = np.full(shape, -1, dtype=int)
    for i, rule in enumerate(table.rules):
        mask = codes < 0
        for key, wanted in rule.when.items():
            if key not in facts:
                raise ConfigurationError(f"assumption '{name}' rule {i + 1} tests '{key}', which is not a scenario fact "
                                         f"(known: {', '.join(sorted(facts))})")
            mask &= np.broadcast_to(condition_mask(facts[key], wanted), shape)
        if mask.any():
            result[mask] = rule.value
            codes[mask] = i
        if not (codes < 0).any():
            break
    if (codes < 0).any():
        raise ConfigurationError(f"assumption '{name}': no rule matches {facts}; add a rule without 'when'")
    value = result.item() if result.ndim == 0 else result
    matched = sorted(set(np.ravel(codes).tolist()))  # not np.unique: it imports numpy.ma
    if len(matched) == 1:
        r = table.rules[matched[0]]
        return Given(value, table.unit, r.source, "assumption", describe(table, name, matched[0]),
                     (origins(table, name)[matched[0]],))
    sources = "; ".join(table.rules[i].source for i in matched)
    every = origins(table, name)
    variants = tuple(Given(None, table.unit, r.source, "assumption", describe(table, name, i), (every[i],))
                     for i, r in enumerate(table.rules))
    return Given(value, table.unit, sources, "assumption", f"table '{name}' rules {[i + 1 for i in matched]} per row",
                 (), variants, codes)


def facts_needed(table: Assumption) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for r in table.rules for k in r.when))
