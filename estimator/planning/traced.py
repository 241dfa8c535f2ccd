"""Shared pieces of the planning results: the trace printed by --explain, number formatting."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from estimator.planning.engine import Step


def fmt(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.4g}"
    return str(value)


def explain_steps(title: str, steps: list[Step], values: dict[str, Any], warnings: list[str]) -> str:
    """Every step, dependencies first: value, unit, formula or table row, inputs and source."""
    lines = [title]
    for s in steps:
        lines.append(f"{s.name} = {fmt(s.value)} {s.unit}".rstrip() + f"   [{s.kind}]")
        if s.formula:
            lines.append(f"    formula: {s.formula}")
        if s.inputs:
            lines.append("    from: " + ", ".join(f"{i}={fmt(values.get(i))}" for i in s.inputs))
        lines.append(f"    source: {s.source}")
    if warnings:
        lines.append("warnings:")
        lines += [f"  - {w}" for w in warnings]
    return "\n".join(lines)


def scalar_values(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        arr = np.asarray(v)
        out[k] = arr.item() if arr.ndim == 0 else v
    return out
