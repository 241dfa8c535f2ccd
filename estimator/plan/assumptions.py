"""Evaluate an assumption rule table (first match wins) on scalars or arrays."""

from __future__ import annotations

import operator
import re
from typing import Any

import numpy as np

from estimator.catalog.schema import Assumption
from estimator.errors import ConfigurationError
from estimator.plan.engine import Given

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


def lookup(table: Assumption, name: str, facts: dict[str, Any]) -> Given:
    """First matching rule per element. Facts are scenario quantities (scalars or equal-length arrays)."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in facts.values())) if facts else ()
    is_str = isinstance(table.rules[0].value, str)
    result = np.full(shape, None if is_str else np.nan, dtype=object if is_str else float)
    unset = np.ones(shape, dtype=bool)
    matched: list[int] = []
    for i, rule in enumerate(table.rules):
        mask = unset.copy()
        for key, wanted in rule.when.items():
            if key not in facts:
                raise ConfigurationError(f"assumption '{name}' rule {i + 1} tests '{key}', which is not a scenario fact "
                                         f"(known: {', '.join(sorted(facts))})")
            mask &= np.broadcast_to(condition_mask(facts[key], wanted), shape)
        if mask.any():
            result[mask] = rule.value
            unset &= ~mask
            matched.append(i)
        if not unset.any():
            break
    if unset.any():
        raise ConfigurationError(f"assumption '{name}': no rule matches {facts}; add a rule without 'when'")
    value = result.item() if result.ndim == 0 else result
    if len(matched) == 1:
        r = table.rules[matched[0]]
        when = ", ".join(f"{k} {v}" if isinstance(v, str) and CMP.match(v) else f"{k}={v}" for k, v in r.when.items())
        formula = f"table '{name}' rule {matched[0] + 1}" + (f" (when {when})" if when else " (default)")
        return Given(value, table.unit, r.source, "assumption", formula)
    sources = "; ".join(table.rules[i].source for i in matched)
    return Given(value, table.unit, sources, "assumption", f"table '{name}' rules {[i + 1 for i in matched]} per row")


def value_range(table: Assumption, rule_formula: str) -> tuple[float, float] | None:
    """The P10-P90 range of the rule named in a trace formula (for uncertainty)."""
    m = re.search(r"rule (\d+)", rule_formula)
    if not m:
        return None
    return table.rules[int(m.group(1)) - 1].range


def facts_needed(table: Assumption) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for r in table.rules for k in r.when))
